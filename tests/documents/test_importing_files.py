"""Bad files: each kind is refused with a clear Vietnamese message, before anything is created,
by the plan importer, the letter importer, the services and the API."""

from __future__ import annotations

import io
import os
import random
import zipfile
from types import ModuleType
from typing import Any

import docx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import include, path
from rest_framework.test import APIClient

from agencies.errors import InvalidInput
from documents import importing
from documents.importing import check_docx, import_letter_docx, import_plan_docx
from documents.intake import safety
from documents.models import IncomingDocument, Plan
from documents.selectors import plan_import_notes
from documents.services import incoming_import_docx, plan_import_docx
from tests.documents.seeds import SEED


def _docx(*paragraphs: str) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


DOCUMENT_XML = "word/document.xml"
GOOD = _docx("KẾ HOẠCH", "Chuyển đổi số năm 2025", "I. MỤC ĐÍCH", "Nâng cao hiệu quả.")


def _rezip(data: bytes, name: str, content: bytes | None) -> bytes:
    """`data` (a .docx) with the member `name` replaced by `content`, or removed (None)."""
    names = {name: content}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            if info.filename in names:
                if names[info.filename] is not None:
                    target.writestr(info.filename, names[info.filename], zipfile.ZIP_DEFLATED)
            else:
                target.writestr(info, source.read(info.filename))
    return out.getvalue()


def _with_member(data: bytes, name: str, content: bytes) -> bytes:
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, content)
    return out.getvalue()


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED = OLE2 + b"\0" * 504 + "EncryptionInfo".encode("utf-16-le") + b"\0" * 64
ENCRYPTED += "EncryptedPackage".encode("utf-16-le") + os.urandom(2048)
OLD_WORD = OLE2 + b"\0" * 504 + "WordDocument".encode("utf-16-le") + os.urandom(2048)


def _refusal(data: bytes, **kwargs: Any) -> str:
    with pytest.raises(InvalidInput) as caught:
        import_plan_docx(data, directory=[], **kwargs)
    assert caught.value.status == 400
    return caught.value.message


@pytest.mark.parametrize(
    "data, words",
    [
        pytest.param(b"", "trống", id="empty"),
        pytest.param(
            bytes(random.Random(1).randrange(256) for _ in range(4096)),
            "không phải là tệp Word",
            id="random",
        ),
        pytest.param(b"%PDF-1.7\n...", "PDF", id="pdf"),
        pytest.param(b"PK\x03\x04 broken", "tệp nén bị hỏng", id="broken-zip"),
        pytest.param(ENCRYPTED, "bảo vệ bằng mật khẩu", id="password-protected"),
        pytest.param(OLE2 + b"\0" * 1024, "bảo vệ bằng mật khẩu", id="ole2"),
        pytest.param(OLD_WORD, "Word cũ (.doc)", id="old-doc"),
        pytest.param(_rezip(GOOD, DOCUMENT_XML, None), "thiếu phần nội dung", id="no-document-xml"),
        pytest.param(
            _rezip(GOOD, DOCUMENT_XML, b"<w:document><w:body><w:p>"),
            "không phải XML hợp lệ",
            id="malformed-xml",
        ),
        pytest.param(
            _rezip(
                GOOD,
                DOCUMENT_XML,
                b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><d>&a;&a;</d>',
            ),
            "DTD",
            id="entity-declarations",
        ),
        pytest.param(
            _with_member(GOOD, "word/media/bomb.bin", b"\0" * (5 * 1024 * 1024)),
            "zip bomb",
            id="zip-bomb-ratio",
        ),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(data: bytes, words: str) -> None:
    # given a file that is not a sound Word document / when imported / then a clear refusal
    assert words in _refusal(data)


def test_archive_expanding_beyond_the_limit_is_refused_before_reading(monkeypatch) -> None:
    # given a limit of 1 MB expanded and a file whose members add up to 2 MB (compressible 4x)
    monkeypatch.setattr(safety, "MAX_UNCOMPRESSED_BYTES", 1024 * 1024)
    rng = random.Random(2)
    filler = bytes(rng.choice(b"abcd") for _ in range(2 * 1024 * 1024))
    data = _with_member(GOOD, "word/media/filler.bin", filler)
    # when imported / then refused from the zip directory
    message = _refusal(data)
    assert "giải nén quá lớn" in message and "tối đa 1 MB" in message


def test_archive_with_too_many_members_is_refused(monkeypatch) -> None:
    monkeypatch.setattr(safety, "MAX_ZIP_MEMBERS", 10)
    data = GOOD
    for index in range(10):
        data = _with_member(data, f"extra/item{index}.xml", b"<x/>")
    assert "quá nhiều thành phần" in _refusal(data)


def test_file_over_the_setting_limit_is_refused_before_it_is_opened(settings) -> None:
    # given IMPORT_MAX_BYTES = 1 MB and a 1.5 MB file
    settings.IMPORT_MAX_BYTES = 1024 * 1024
    data = b"PK" + b"\0" * (1536 * 1024)
    # when imported / then the message names the limit
    assert _refusal(data) == "Tệp quá lớn (tối đa 1 MB)."
    assert importing.too_large_message() == "Tệp quá lớn (tối đa 1 MB)."


def test_default_limit_is_ten_megabytes(settings) -> None:
    del settings.IMPORT_MAX_BYTES
    assert importing.max_import_bytes() == 10 * 1024 * 1024


def test_a_sound_file_passes_the_checks() -> None:
    check_docx(GOOD)
    assert import_plan_docx(GOOD, directory=[]).content["title"] == "Chuyển đổi số năm 2025"


def test_the_letter_importer_refuses_the_same_files() -> None:
    with pytest.raises(InvalidInput, match="mật khẩu"):
        import_letter_docx(ENCRYPTED)
    with pytest.raises(InvalidInput, match="XML"):
        import_letter_docx(_rezip(GOOD, DOCUMENT_XML, b"<broken"))


# ---------------------------------------------------------------------------------------------
# Nothing is created


@pytest.mark.parametrize("data", [ENCRYPTED, b"not a zip", _rezip(GOOD, DOCUMENT_XML, b"<broken")])
def test_a_bad_file_creates_no_plan_and_no_incoming_document(drafter, data: bytes) -> None:
    # when a drafter imports a bad file as a plan, then as an incoming document
    with pytest.raises(InvalidInput):
        plan_import_docx(actor=drafter, data=data)
    with pytest.raises(InvalidInput):
        incoming_import_docx(actor=drafter, data=data)
    # then nothing was created
    assert Plan.objects.exists() is False
    assert IncomingDocument.objects.exists() is False


# ---------------------------------------------------------------------------------------------
# The API


@pytest.fixture
def api_urls(settings) -> None:
    urls = ModuleType("import_test_urls")
    urls.urlpatterns = [path("", include("config.urls"))]  # type: ignore[attr-defined]
    settings.ROOT_URLCONF = urls


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_api_import_of_a_plan_answers_201_with_needs_review(api_urls, drafter) -> None:
    # given a plan naming a unit that is not in the directory
    data = _docx(
        "KẾ HOẠCH",
        "Chuyển đổi số năm 2025",
        "I. NHIỆM VỤ",
        "1. Xây dựng kho dữ liệu dùng chung",
        "- Đơn vị chủ trì: Sở TT&TT",
        "- Đơn vị phối hợp: Tỉnh đoàn",
    )
    # when uploaded through the API
    response = _api(drafter).post(
        "/api/v1/documents/import/", {"file": SimpleUploadedFile("ke-hoach.docx", data)}
    )
    # then the draft is created and flagged for review
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["document"]["title"] == "Chuyển đổi số năm 2025"
    assert body["needs_review"] is True
    assert body["unplaced"] == []
    assert any("Tỉnh đoàn" in warning for warning in body["warnings"])
    (task,) = body["document"]["content"]["sections"][0]["tasks"]
    assert task["lead_units"][0]["name"] == "Sở Thông tin và Truyền thông"
    event = Plan.objects.get().events.get()
    assert event.data["needs_review"] is True and event.data["unplaced"] == []


def test_api_import_of_a_clean_plan_needs_no_review(api_urls, drafter) -> None:
    # given a complete plan (header, body, "Nơi nhận", signature) / when imported / then clean
    upload = SimpleUploadedFile("ke-hoach.docx", SEED.read_bytes())
    response = _api(drafter).post("/api/v1/documents/import/", {"file": upload})
    assert response.status_code == 201, response.json()
    assert (response.json()["needs_review"], response.json()["warnings"]) == (False, [])


@pytest.mark.parametrize(
    "data, words",
    [
        (ENCRYPTED, "mật khẩu"),
        (b"not a zip", "không phải là tệp Word"),
        (_rezip(GOOD, DOCUMENT_XML, b"<broken"), "XML"),
    ],
)
def test_api_import_of_a_bad_file_answers_400_and_creates_nothing(
    api_urls, drafter, data: bytes, words: str
) -> None:
    upload = SimpleUploadedFile("ke-hoach.docx", data)
    response = _api(drafter).post("/api/v1/documents/import/", {"file": upload})
    assert response.status_code == 400
    assert words in response.json()["detail"]
    assert Plan.objects.exists() is False


def test_api_import_over_the_limit_answers_400(api_urls, drafter, settings) -> None:
    settings.IMPORT_MAX_BYTES = 1024
    upload = SimpleUploadedFile("ke-hoach.docx", GOOD)
    response = _api(drafter).post("/api/v1/documents/import/", {"file": upload})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Tệp quá lớn (tối đa")
    assert Plan.objects.exists() is False


# ---------------------------------------------------------------------------------------------
# What the import leaves for the drafter


def test_the_import_notes_of_a_plan_are_kept_for_the_drafter(drafter) -> None:
    # given a plan imported from a file with a paragraph the importer cannot place
    data = _docx(
        "(Dự thảo lần 2)",
        "KẾ HOẠCH",
        "Chuyển đổi số năm 2025",
        "I. NHIỆM VỤ",
        "1. Xây dựng kho dữ liệu dùng chung",
        "- Đơn vị chủ trì: Tỉnh đoàn",
    )
    plan, result = plan_import_docx(actor=drafter, data=data)
    # when the notes are read back / then they say what to place and what to check
    notes = plan_import_notes(plan=plan)
    assert notes["unplaced"] == ["(Dự thảo lần 2)"] == result.unplaced
    # no place, no "Nơi nhận", no signer: each said too, next to the part it concerns
    assert {(issue["code"], issue.get("path")) for issue in notes["issues"]} == {
        ("unit_unmatched", "sections.0"),
        ("no_place", "place"),
        ("no_recipients", "recipients"),
        ("no_signer", "signature"),
    }
    assert notes["needs_review"] is True


def test_a_plan_not_imported_has_no_import_notes(drafter, make_content) -> None:
    from documents.services import plan_create

    plan = plan_create(actor=drafter, content=make_content())
    assert plan_import_notes(plan=plan) == {"unplaced": [], "issues": [], "needs_review": False}
