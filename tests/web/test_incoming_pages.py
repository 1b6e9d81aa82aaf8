"""The incoming-document pages: the list with its upload form, one document, and "Tạo kế hoạch
từ văn bản này"."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import include, path, reverse

from documents.models import IncomingDocument, Plan
from documents.services import incoming_import_docx

pytestmark = pytest.mark.django_db

LETTER = (
    Path(django_settings.BASE_DIR) / "documents/seeds/btttt-2905-huong-dan-2021.docx"
).read_bytes()

# The pages as config/urls.py is to mount them (web/urls_incoming.py at the site root).
urls = ModuleType("incoming_page_test_urls")
urls.urlpatterns = [  # type: ignore[attr-defined]
    path("", include("web.urls")),
    path("", include("web.urls_incoming")),
    path("api/v1/", include("notifications.urls")),
]


@pytest.fixture(autouse=True)
def _incoming_urls(settings: Any) -> None:
    settings.ROOT_URLCONF = urls


def _upload(client: Client, data: bytes, **fields: Any) -> Any:
    return client.post(
        reverse("incoming-list"),
        {"incoming-file": SimpleUploadedFile("2905.docx", data), **fields},
    )


@pytest.mark.parametrize(
    "name, args",
    [("incoming-list", []), ("incoming-detail", [1]), ("incoming-start-plan", [1])],
)
def test_pages_require_login(name: str, args: list[int]) -> None:
    url = reverse(name, args=args)
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_list_shows_the_upload_form(org, client_for) -> None:
    page = client_for(org.drafter).get(reverse("incoming-list"))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in html
    assert 'name="incoming-file"' in html and 'name="incoming-assigned_unit"' in html
    assert "Chưa có văn bản đến." in html


def test_uploading_the_letter_registers_it_and_shows_it(org, client_for) -> None:
    # when the drafter uploads the ministry's letter, assigned to their unit
    client = client_for(org.drafter)
    response = _upload(
        client,
        LETTER,
        **{"incoming-assigned_unit": org.stttt.pk, "incoming-deadline": "2020-09-15"},
    )
    # then it is registered and its page opens, with the number, subject and review note
    incoming = IncomingDocument.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("incoming-detail", args=[incoming.pk])
    page = client.get(response["Location"]).content.decode()
    assert "2905/BTTTT-TTĐN" in page
    assert "V/v hướng dẫn xây dựng kế hoạch công tác thông tin đối ngoại năm 2021" in page
    assert "BỘ THÔNG TIN VÀ TRUYỀN THÔNG" in page
    assert "09/08/2020" in page and "15/09/2020" in page
    assert "Cần kiểm tra" in page  # the corrected number
    assert "Tạo kế hoạch từ văn bản này" in page
    # and the list shows it with the button
    listing = client.get(reverse("incoming-list")).content.decode()
    assert "2905/BTTTT-TTĐN" in listing
    assert reverse("incoming-start-plan", args=[incoming.pk]) in listing


def test_a_bad_file_is_refused_and_nothing_is_registered(org, client_for) -> None:
    response = _upload(client_for(org.drafter), b"PK\x03\x04 not really a docx")
    assert response.status_code == 400
    assert "tệp nén bị hỏng" in response.content.decode()
    assert IncomingDocument.objects.exists() is False


def test_a_password_protected_file_is_refused(org, client_for) -> None:
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2048
    response = _upload(client_for(org.drafter), data)
    assert response.status_code == 400
    assert "Tệp được bảo vệ bằng mật khẩu" in response.content.decode()
    assert IncomingDocument.objects.exists() is False


def test_a_file_over_the_limit_is_refused_by_the_form(org, client_for, settings) -> None:
    settings.IMPORT_MAX_BYTES = 1024
    response = _upload(client_for(org.drafter), LETTER)
    assert response.status_code == 400
    assert "Tệp quá lớn (tối đa" in response.content.decode()
    assert IncomingDocument.objects.exists() is False


def test_starting_a_plan_opens_the_editor_on_the_new_draft(org, client_for) -> None:
    # given the registered letter
    incoming = incoming_import_docx(actor=org.drafter, data=LETTER)
    # when the drafter presses "Tạo kế hoạch từ văn bản này"
    client = client_for(org.drafter)
    response = client.post(reverse("incoming-start-plan", args=[incoming.pk]))
    # then the new draft opens in the editor, citing the letter
    plan = Plan.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("plan-edit", args=[plan.pk])
    assert plan.content["legal_bases"][0].startswith(
        "Thực hiện Văn bản số 2905/BTTTT-TTĐN ngày 09/8/2020 của Bộ Thông tin và Truyền thông"
    )
    assert plan.drafting_unit == org.stttt
    page = client.get(reverse("incoming-detail", args=[incoming.pk])).content.decode()
    assert plan.title in page


def test_a_non_drafter_sees_no_button_and_is_refused(org, client_for) -> None:
    incoming = incoming_import_docx(actor=org.head, data=LETTER)
    client = client_for(org.head)
    page = client.get(reverse("incoming-detail", args=[incoming.pk])).content.decode()
    assert "Tạo kế hoạch từ văn bản này" not in page
    response = client.post(reverse("incoming-start-plan", args=[incoming.pk]))
    assert response.status_code == 302
    assert Plan.objects.exists() is False


def test_another_unit_cannot_see_the_document(org, client_for) -> None:
    incoming = incoming_import_docx(actor=org.drafter, data=LETTER)
    client = client_for(org.outsider)
    assert client.get(reverse("incoming-detail", args=[incoming.pk])).status_code == 404
    assert client.post(reverse("incoming-start-plan", args=[incoming.pk])).status_code == 404
    assert "2905/BTTTT-TTĐN" not in client.get(reverse("incoming-list")).content.decode()
    assert Plan.objects.exists() is False


def test_the_assigned_unit_sees_the_document(org, client_for) -> None:
    incoming = incoming_import_docx(actor=org.clerk, data=LETTER, assigned_unit_id=org.sonv.pk)
    page = client_for(org.foreign).get(reverse("incoming-detail", args=[incoming.pk]))
    assert page.status_code == 200
    assert "Sở Ngoại vụ" in page.content.decode()
