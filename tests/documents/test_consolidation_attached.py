"""The consolidation (bảng tổng hợp, tiếp thu, giải trình ý kiến) goes with the version the
drafter sends on, never changes afterwards, and is downloadable (.docx, PDF) by whoever may see
the plan: on its page, on the reviewers' and the signer's task pages, and over the API (issue 11
§4)."""

from __future__ import annotations

import io

import docx
import pdfplumber
import pytest
from django.test import Client
from rest_framework.test import APIClient

from agencies.models import User
from documents import services as documents
from documents.consolidation import consolidation_from_dict
from documents.consolidation_selectors import version_consolidation_docx
from documents.models import ConsultationRequest, Plan
from tests.helpers import complete, in_days, open_task
from workflows.services import plan_submit

pytestmark = pytest.mark.django_db

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def consolidated(drafter, agency_head, foreign_affairs, signer, make_content, directory) -> Plan:
    """A plan consulted with Sở Ngoại vụ, whose comment the drafter explained, sent on."""
    plan = documents.plan_create(actor=drafter, content=make_content(signer=signer))
    plan = plan_submit(plan=plan, actor=drafter)
    plan = complete(agency_head, plan, "agency_review", "approve")
    data = {"unit_ids": [directory["so-nv"].pk], "deadline": in_days(5)}
    plan = complete(drafter, plan, "choose_agencies", "send", data=data)
    plan = complete(
        foreign_affairs, plan, "consult", "agree_with_comments", comment="Bổ sung kinh phí in."
    )
    request = ConsultationRequest.objects.get(plan=plan)
    resolutions = {str(request.pk): {"resolution": "explained", "note": "Đã có trong mục 1."}}
    return complete(drafter, plan, "consolidate", "send", data={"resolutions": resolutions})


def _table_text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def _login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def plan(drafter, agency_head, foreign_affairs, signer, make_content, directory) -> Plan:
    return consolidated(drafter, agency_head, foreign_affairs, signer, make_content, directory)


def test_the_version_sent_on_carries_the_consolidation_as_it_stood(plan):
    # given the version the consolidation made
    version = plan.versions.get(number=plan.version_number)
    assert version.reason == "consolidated"
    # then it carries every answer and the drafter's explanation, for that version
    kept = consolidation_from_dict(version.consolidation)
    assert kept.version == version.number
    [answer] = kept.rounds[0].answers
    assert (answer.agency, answer.verdict, answer.resolution) == (
        "Sở Ngoại vụ",
        "agree_with_comments",
        "explained",
    )
    assert answer.resolution_note == "Đã có trong mục 1."
    # and the earlier version (submitted) carries none
    assert plan.versions.get(number=1).consolidation is None


def test_the_kept_consolidation_does_not_change_when_the_answers_do(plan):
    # given the document as sent on
    version = plan.versions.get(number=plan.version_number)
    before = version_consolidation_docx(version=version)
    # when the request row changes afterwards (as a later round's edits might)
    ConsultationRequest.objects.filter(plan=plan).update(resolution_note="Sửa về sau.")
    # then the document sent on stays the same, byte for byte
    version.refresh_from_db()
    after = version_consolidation_docx(version=version)
    assert after == before
    assert "Đã có trong mục 1." in _table_text(after)
    assert "Sửa về sau." not in _table_text(after)


def test_the_finance_reviewer_finds_it_on_the_task_page_and_downloads_it(plan, finance_reviewer):
    # given
    client = _login(finance_reviewer)
    task = open_task(finance_reviewer, plan, "budget_review")
    number = plan.version_number
    docx_url = f"/ke-hoach/{plan.pk}/phien-ban/{number}/tong-hop-y-kien/docx/"
    # when
    page = client.get(f"/nhiem-vu/{task.pk}/")
    download = client.get(docx_url)
    # then
    assert page.status_code == 200
    assert docx_url in page.content.decode()
    assert download.status_code == 200
    assert download["Content-Type"] == DOCX
    assert "BẢNG TỔNG HỢP, TIẾP THU, GIẢI TRÌNH Ý KIẾN GÓP Ý" in _table_text(download.content)


def test_the_vetter_and_the_signer_download_it_and_strangers_cannot(
    plan, finance_reviewer, office_vetter, signer, newspaper, police
):
    # given the plan at the signer's task, past budget review and vetting
    complete(finance_reviewer, plan, "budget_review", "approve")
    complete(office_vetter, plan, "vetting", "approve")
    number = plan.versions.filter(consolidation__isnull=False).get().number
    api_url = f"/api/v1/documents/{plan.pk}/versions/{number}/consolidation/docx/"
    page_url = f"/ke-hoach/{plan.pk}/phien-ban/{number}/tong-hop-y-kien/docx/"
    # then the vetter and the signer download it (page and API), the signer sees it on the task
    for user in (office_vetter, signer):
        assert _login(user).get(page_url).status_code == 200
        response = _api(user).get(api_url)
        assert response.status_code == 200
        assert response["Content-Type"] == DOCX
    task = open_task(signer, plan, "sign")
    assert page_url in _login(signer).get(f"/nhiem-vu/{task.pk}/").content.decode()
    # and anyone the plan is not shared with is told it does not exist
    for stranger in (newspaper, police):
        assert _login(stranger).get(page_url).status_code == 404
        response = _api(stranger).get(api_url)
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"


def test_a_version_without_consolidation_has_none_to_download(plan, drafter):
    for url in (
        f"/api/v1/documents/{plan.pk}/versions/1/consolidation/docx/",
        f"/api/v1/documents/{plan.pk}/versions/99/consolidation/pdf/",
    ):
        response = _api(drafter).get(url)
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"
    assert (
        _login(drafter).get(f"/ke-hoach/{plan.pk}/phien-ban/1/tong-hop-y-kien/pdf/").status_code
        == 404
    )


def test_the_plan_page_and_the_api_point_to_it(plan, drafter):
    number = plan.version_number
    page = _login(drafter).get(f"/ke-hoach/{plan.pk}/").content.decode()
    assert f"/ke-hoach/{plan.pk}/phien-ban/{number}/tong-hop-y-kien/pdf/" in page
    versions = _api(drafter).get(f"/api/v1/documents/{plan.pk}/").json()["versions"]
    assert [(v["number"], v["has_consolidation"]) for v in versions] == [
        (1, False),
        (number, True),
    ]


@pytest.mark.slow
def test_the_pdf_is_the_consolidation_laid_out(plan, office_vetter, finance_reviewer):
    complete(finance_reviewer, plan, "budget_review", "approve")
    number = plan.version_number
    response = _api(office_vetter).get(
        f"/api/v1/documents/{plan.pk}/versions/{number}/consolidation/pdf/"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    with pdfplumber.open(io.BytesIO(response.content)) as document:
        text = "\n".join(p.extract_text() or "" for p in document.pages)
    assert "TIẾP THU, GIẢI TRÌNH" in text
    assert "Đã có trong mục 1." in text
