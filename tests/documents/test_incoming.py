"""Incoming documents (văn bản đến): the ministry's guidance letter read from Word, registered,
seen by the right units, and the start of a new plan; through the services and the API."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from types import ModuleType

import docx
import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import include, path
from rest_framework.test import APIClient

from agencies.errors import InvalidInput, NotFound, PermissionDenied
from documents.api_incoming import (
    IncomingDetailView,
    IncomingImportView,
    IncomingListView,
    IncomingStartPlanView,
)
from documents.content import PlanContent
from documents.importing import import_letter_docx, proper_body_name
from documents.models import IncomingDocument, Plan, PlanEvent
from documents.selectors import incoming_get_visible, incoming_list_visible
from documents.services import incoming_import_docx, plan_start_from_incoming
from notifications.models import Notification

LETTER_PATH = Path(django_settings.BASE_DIR) / "documents/seeds/btttt-2905-huong-dan-2021.docx"
LETTER = LETTER_PATH.read_bytes()
LEGAL_BASIS = (
    "Thực hiện Văn bản số 2905/BTTTT-TTĐN ngày 09/8/2020 của Bộ Thông tin và Truyền thông về "
    "việc hướng dẫn xây dựng kế hoạch công tác thông tin đối ngoại năm 2021"
)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# ---------------------------------------------------------------------------------------------
# Reading the letter (pure)


def test_the_ministry_letter_is_read_with_its_number_date_sender_and_subject() -> None:
    # given the ministry's guidance letter 2905/BTTTT-TTĐN / when read
    letter = import_letter_docx(LETTER)
    # then its header
    assert letter.sender == "BỘ THÔNG TIN VÀ TRUYỀN THÔNG"
    assert letter.parent_sender == ""
    assert letter.number_text == "2905/BTTTT-TTĐN"  # written "Số: 2905 /BT/TT-TTĐN"
    assert (letter.number, letter.symbol) == (2905, "BTTTT-TTĐN")
    assert letter.doc_type == ""  # a công văn has no type abbreviation
    assert (letter.place, letter.date) == ("Hà Nội", "2020-08-09")
    assert letter.subject == (
        "V/v hướng dẫn xây dựng kế hoạch công tác thông tin đối ngoại năm 2021"
    )
    assert letter.addressees == ["Ủy ban nhân dân các tỉnh, thành phố trực thuộc Trung ương"]
    # and its body, "Nơi nhận" and signature
    assert len(letter.body) == 20
    assert letter.body[0].startswith("Thực hiện Nghị định số 72/2015/NĐ-CP")
    assert letter.body[-1] == "Trân trọng ./."
    assert any(p.startswith("e) Thực hiện Chiến lược") and "biển, đảo;" in p for p in letter.body)
    assert letter.recipients == [
        "Như trên",
        "Bộ trưởng (để b/c)",
        "Thứ trưởng Hoàng Vĩnh Bảo",
        "Sở TT&TT các tỉnh, thành phố",
    ]
    assert letter.archive == "Lưu: VT, TTĐN, NV.(02)."
    assert letter.signer_name == "Hoàng Vĩnh Bảo"
    # and the corrected number is flagged for review
    assert letter.unplaced == []
    assert [issue["code"] for issue in letter.issues] == ["symbol_normalized"]
    assert letter.needs_review is True


def test_every_paragraph_of_the_letter_is_kept() -> None:
    letter = import_letter_docx(LETTER)
    kept = " \n ".join(
        [
            letter.sender,
            letter.subject,
            letter.archive,
            *letter.header_lines,
            *letter.addressees,
            *letter.body,
            *letter.recipients,
            *letter.signature,
            *letter.unplaced,
        ]
    )
    document = docx.Document(io.BytesIO(LETTER))
    paragraphs = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                paragraphs.extend(p.text for p in cell.paragraphs)
    missing = [
        p
        for p in paragraphs
        if _norm(p)
        and _norm(p).lstrip("- ").rstrip(";") not in kept
        and not _norm(p).startswith("Kính gửi:")
    ]
    assert missing == []


def test_body_names_are_written_as_in_a_sentence() -> None:
    assert proper_body_name("BỘ THÔNG TIN VÀ TRUYỀN THÔNG") == "Bộ Thông tin và Truyền thông"
    assert proper_body_name("BỘ VĂN HÓA, THỂ THAO VÀ DU LỊCH") == "Bộ Văn hóa, Thể thao và Du lịch"
    assert proper_body_name("ỦY BAN NHÂN DÂN TỈNH ĐỒNG NAI") == "Ủy ban nhân dân tỉnh Đồng Nai"
    assert proper_body_name("BỘ NGOẠI GIAO") == "Bộ Ngoại giao"
    assert proper_body_name("Sở Tài chính") == "Sở Tài chính"


def test_a_typed_document_without_kinh_gui_is_read() -> None:
    # given a guidance typed as "HƯỚNG DẪN" with a parent body and its own number
    document = docx.Document()
    for text in (
        "UBND TỈNH ĐỒNG NAI",
        "SỞ THÔNG TIN VÀ TRUYỀN THÔNG",
        "Số: 12/HD-STTTT",
        "Đồng Nai, ngày 03 tháng 02 năm 2025",
        "HƯỚNG DẪN",
        "Xây dựng kế hoạch chuyển đổi số năm 2025",
        "Thực hiện chỉ đạo của UBND tỉnh, Sở hướng dẫn như sau:",
        "1. Các đơn vị xây dựng kế hoạch trước ngày 15/3/2025.",
        "Nơi nhận:",
        "- Các sở, ban, ngành;",
        "- Lưu: VT.",
        "GIÁM ĐỐC",
        "Trần Văn Bình",
    ):
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    # when read / then
    letter = import_letter_docx(buffer.getvalue())
    assert (letter.parent_sender, letter.sender) == (
        "UBND TỈNH ĐỒNG NAI",
        "SỞ THÔNG TIN VÀ TRUYỀN THÔNG",
    )
    assert (letter.number_text, letter.doc_type, letter.date) == ("12/HD-STTTT", "HD", "2025-02-03")
    assert letter.subject == "Xây dựng kế hoạch chuyển đổi số năm 2025"
    assert len(letter.body) == 2
    assert letter.recipients == ["Các sở, ban, ngành"]
    assert letter.signer_name == "Trần Văn Bình"
    assert (letter.unplaced, letter.needs_review) == ([], False)


# ---------------------------------------------------------------------------------------------
# Registering (services)


def test_registering_the_letter_stores_it_for_the_unit(drafter, directory) -> None:
    # when the drafter registers the letter, assigned to their unit with a deadline
    incoming = incoming_import_docx(
        actor=drafter,
        data=LETTER,
        file_name="2905.docx",
        assigned_unit_id=directory["so-tttt"].pk,
        deadline="2020-09-15",
    )
    # then it is stored as read, with the file's hash
    incoming.refresh_from_db()
    assert incoming.sender == "BỘ THÔNG TIN VÀ TRUYỀN THÔNG"
    assert incoming.number == "2905/BTTTT-TTĐN"
    assert incoming.date == dt.date(2020, 8, 9)
    assert incoming.subject.startswith("V/v hướng dẫn xây dựng kế hoạch")
    assert incoming.place == "Hà Nội"
    assert len(incoming.body) == 20
    assert incoming.registered_by == drafter
    assert incoming.registering_unit == directory["so-tttt"]
    assert incoming.deadline == dt.date(2020, 9, 15)
    assert incoming.file_name == "2905.docx"
    assert len(incoming.file_sha256) == 64
    assert incoming.needs_review is True
    assert list(incoming_list_visible(user=drafter)) == [incoming]


def test_the_same_file_is_registered_once_per_unit(drafter, agency_head, police) -> None:
    incoming_import_docx(actor=drafter, data=LETTER)
    with pytest.raises(InvalidInput, match="đã được vào sổ"):
        incoming_import_docx(actor=agency_head, data=LETTER)  # same unit
    incoming_import_docx(actor=police, data=LETTER)  # another unit registers its own copy
    assert IncomingDocument.objects.count() == 2


def test_the_assigned_unit_sees_the_document_and_is_notified(
    clerk, drafter, agency_head, police, directory
) -> None:
    # given the clerk of the Văn phòng registers the letter and assigns it to Sở TT&TT
    incoming = incoming_import_docx(
        actor=clerk, data=LETTER, assigned_unit_id=directory["so-tttt"].pk
    )
    # then the Sở's people see it and were notified; another unit does not see it
    assert incoming_get_visible(user=drafter, incoming_id=incoming.pk) == incoming
    assert incoming_get_visible(user=clerk, incoming_id=incoming.pk) == incoming
    with pytest.raises(NotFound):
        incoming_get_visible(user=police, incoming_id=incoming.pk)
    notified = set(
        Notification.objects.filter(kind="incoming.assigned").values_list("user_id", flat=True)
    )
    assert {drafter.pk, agency_head.pk} <= notified
    assert police.pk not in notified and clerk.pk not in notified


def test_an_unknown_assigned_unit_or_bad_deadline_is_refused(drafter) -> None:
    with pytest.raises(InvalidInput, match="Đơn vị được giao"):
        incoming_import_docx(actor=drafter, data=LETTER, assigned_unit_id=999_999)
    with pytest.raises(InvalidInput, match="Hạn xử lý"):
        incoming_import_docx(actor=drafter, data=LETTER, deadline="15/09/2020")
    assert IncomingDocument.objects.exists() is False


# ---------------------------------------------------------------------------------------------
# Starting a plan


def test_a_plan_is_started_from_the_letter(drafter, directory) -> None:
    # given the registered letter
    incoming = incoming_import_docx(actor=drafter, data=LETTER)
    # when the drafter starts a plan from it
    plan = plan_start_from_incoming(actor=drafter, incoming=incoming)
    # then a draft of the drafter's unit cites the letter as its legal basis
    content = PlanContent.from_dict(plan.content)
    assert plan.status == Plan.Status.DRAFT
    assert plan.drafting_unit == directory["so-tttt"]
    assert plan.drafter == drafter
    assert content.legal_bases == [LEGAL_BASIS]
    assert content.title == "Công tác thông tin đối ngoại tỉnh Đồng Nai năm 2021"
    assert plan.title == content.title and content.year == 2021
    assert content.preamble.endswith("năm 2021 như sau:")
    assert [s.kind for s in content.sections] == ["purpose", "tasks", "budget", "implementation"]
    assert content.recipients.lines == ["Bộ Thông tin và Truyền thông"]
    # and the creation event records the letter; the letter lists the plan
    (event,) = plan.events.all()
    assert event.kind == PlanEvent.Kind.CREATED
    assert event.data["incoming"] == {
        "id": incoming.pk,
        "number": "2905/BTTTT-TTĐN",
        "date": "2020-08-09",
        "sender": "BỘ THÔNG TIN VÀ TRUYỀN THÔNG",
        "subject": incoming.subject,
        "file_sha256": incoming.file_sha256,
    }
    assert list(incoming.plans.all()) == [plan]


def test_only_a_drafter_who_sees_the_letter_may_start_a_plan(drafter, agency_head, police) -> None:
    incoming = incoming_import_docx(actor=drafter, data=LETTER)
    with pytest.raises(PermissionDenied):
        plan_start_from_incoming(actor=agency_head, incoming=incoming)  # not a drafter
    with pytest.raises(PermissionDenied):
        plan_start_from_incoming(actor=police, incoming=incoming)  # another unit
    assert Plan.objects.exists() is False
    assert incoming.plans.exists() is False


# ---------------------------------------------------------------------------------------------
# The API (urls as config/api_urls.py is to mount them)

api_urls = ModuleType("incoming_api_test_urls")
api_urls.urlpatterns = [  # type: ignore[attr-defined]
    path("api/v1/incoming/", IncomingListView.as_view(), name="api-incoming"),
    path("api/v1/incoming/import/", IncomingImportView.as_view(), name="api-incoming-import"),
    path(
        "api/v1/incoming/<id:incoming_id>/",
        IncomingDetailView.as_view(),
        name="api-incoming-detail",
    ),
    path(
        "api/v1/incoming/<id:incoming_id>/start-plan/",
        IncomingStartPlanView.as_view(),
        name="api-incoming-start-plan",
    ),
    path("", include("config.urls")),
]


@pytest.fixture
def api(settings):
    settings.ROOT_URLCONF = api_urls

    def client_for(user) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    return client_for


def test_api_registers_lists_reads_and_starts_a_plan(api, drafter, directory) -> None:
    client = api(drafter)
    # when the letter is uploaded
    response = client.post(
        "/api/v1/incoming/import/",
        {
            "file": SimpleUploadedFile("2905.docx", LETTER),
            "assigned_unit": directory["so-tttt"].pk,
            "deadline": "2020-09-15",
        },
    )
    # then 201 with the document as read
    assert response.status_code == 201, response.json()
    body = response.json()
    document = body["document"]
    assert (document["number"], document["date"], document["sender"]) == (
        "2905/BTTTT-TTĐN",
        "2020-08-09",
        "BỘ THÔNG TIN VÀ TRUYỀN THÔNG",
    )
    assert document["subject"].startswith("V/v hướng dẫn")
    assert document["assigned_unit_name"] == "Sở Thông tin và Truyền thông"
    assert document["deadline"] == "2020-09-15"
    assert body["needs_review"] is True and body["unplaced"] == []
    # and it is listed and readable
    listed = client.get("/api/v1/incoming/").json()["results"]
    assert [item["id"] for item in listed] == [document["id"]]
    detail = client.get(f"/api/v1/incoming/{document['id']}/")
    assert detail.status_code == 200 and detail.json()["file_name"] == "2905.docx"
    # when a plan is started from it
    started = client.post(f"/api/v1/incoming/{document['id']}/start-plan/")
    # then 201 with the new draft
    assert started.status_code == 201, started.json()
    assert started.json()["content"]["legal_bases"] == [LEGAL_BASIS]
    assert client.get(f"/api/v1/incoming/{document['id']}/").json()["plans"] == [
        started.json()["id"]
    ]


def test_api_refuses_a_bad_file_or_no_file_with_400(api, drafter) -> None:
    client = api(drafter)
    response = client.post(
        "/api/v1/incoming/import/", {"file": SimpleUploadedFile("x.docx", b"not a docx")}
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "Tệp không phải là tệp Word (.docx) hợp lệ."
    assert client.post("/api/v1/incoming/import/", {}).status_code == 400
    assert IncomingDocument.objects.exists() is False


def test_api_refuses_a_file_over_the_limit(api, drafter, settings) -> None:
    settings.IMPORT_MAX_BYTES = 1024
    response = api(drafter).post(
        "/api/v1/incoming/import/", {"file": SimpleUploadedFile("2905.docx", LETTER)}
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Tệp quá lớn")
    assert IncomingDocument.objects.exists() is False


def test_api_hides_another_units_document(api, drafter, police) -> None:
    incoming = incoming_import_docx(actor=drafter, data=LETTER)
    client = api(police)
    assert client.get("/api/v1/incoming/").json() == {"results": [], "next": None}
    assert client.get(f"/api/v1/incoming/{incoming.pk}/").status_code == 404
    assert client.post(f"/api/v1/incoming/{incoming.pk}/start-plan/").status_code == 404
    assert Plan.objects.exists() is False


def test_api_start_plan_by_a_non_drafter_is_403(api, drafter, agency_head) -> None:
    incoming = incoming_import_docx(actor=drafter, data=LETTER)
    response = api(agency_head).post(f"/api/v1/incoming/{incoming.pk}/start-plan/")
    assert response.status_code == 403
    assert Plan.objects.exists() is False
