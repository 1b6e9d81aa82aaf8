"""The incoming register (sổ văn bản đến): arrival numbers per unit and year, gap-free under
concurrency; documents registered from PDF, scanned ones read by OCR; a signed PDF kept as it
arrived so that its signatures verify after import; the pages and the API around them."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docx
import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from agencies.errors import InvalidInput
from agencies.models import User
from documents import conversion
from documents.importing import fold
from documents.models import IncomingDocument, IncomingRegister
from documents.services import (
    incoming_import_file,
    incoming_original,
    incoming_verify_signatures,
)
from tests.corpus.scan import image_pdf

LETTER = (
    Path(django_settings.BASE_DIR) / "documents/seeds/btttt-2905-huong-dan-2021.docx"
).read_bytes()
needs_soffice = pytest.mark.skipif(
    not conversion.soffice_available(), reason="LibreOffice is not installed"
)


def letter_copy(number: int) -> bytes:
    """The ministry's letter with one more paragraph: another file (another hash)."""
    document = docx.Document(io.BytesIO(LETTER))
    document.add_paragraph(f"Bản sao số {number}.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# Arrival numbers


@pytest.mark.django_db
def test_arrival_numbers_follow_each_other_per_unit(drafter, agency_head, police) -> None:
    first = incoming_import_file(actor=drafter, data=letter_copy(1))
    second = incoming_import_file(actor=agency_head, data=letter_copy(2))  # same unit
    other = incoming_import_file(actor=police, data=letter_copy(3))  # another unit
    assert (first.arrival_number, second.arrival_number, other.arrival_number) == (1, 2, 1)
    assert first.arrival_year == first.registered_at.year
    assert first.arrival_text == f"1/{first.arrival_year}"
    register = IncomingRegister.objects.get(unit=drafter.unit, year=first.arrival_year)
    assert register.last_number == 2


@pytest.mark.django_db
def test_a_refused_or_failed_registration_takes_no_number(drafter, monkeypatch) -> None:
    incoming_import_file(actor=drafter, data=LETTER)
    with pytest.raises(InvalidInput, match="đã được vào sổ"):
        incoming_import_file(actor=drafter, data=LETTER)  # the same file again

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(IncomingDocument.objects, "create", broken)
    with pytest.raises(RuntimeError):
        incoming_import_file(actor=drafter, data=letter_copy(1))
    monkeypatch.undo()
    after = incoming_import_file(actor=drafter, data=letter_copy(2))
    assert after.arrival_number == 2  # 1 went to the first letter; the failure gave its back


def run_together(*calls: Callable[[], Any]) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def worker(index: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except Exception as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.mark.django_db(transaction=True)
def test_arrival_numbers_stay_gap_free_when_registered_at_the_same_instant(drafter) -> None:
    files = [letter_copy(n) for n in range(6)]
    actor = User.objects.get(pk=drafter.pk)
    results = run_together(
        *[lambda data=data: incoming_import_file(actor=actor, data=data) for data in files]
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    numbers = sorted(r.arrival_number for r in results)
    assert numbers == [1, 2, 3, 4, 5, 6]


# ---------------------------------------------------------------------------------------------
# PDF, scans, signatures


@pytest.fixture(scope="module")
def letter_pdf() -> bytes:
    if not conversion.soffice_available():
        pytest.skip("LibreOffice is not installed")
    return conversion.docx_to_pdf(LETTER)


@pytest.mark.slow
@needs_soffice
@pytest.mark.django_db
def test_a_pdf_letter_is_registered_and_kept_as_it_arrived(drafter, letter_pdf: bytes) -> None:
    incoming = incoming_import_file(actor=drafter, data=letter_pdf, file_name="2905.pdf")
    incoming.refresh_from_db()
    assert incoming.number == "2905/BTTTT-TTĐN"
    assert incoming.subject.startswith("V/v hướng dẫn xây dựng kế hoạch")
    assert incoming.signer_name == "Hoàng Vĩnh Bảo"
    assert incoming.content_type == "application/pdf"
    assert bytes(incoming.original) == letter_pdf
    assert incoming.reading["ocr_pages"] == []
    assert incoming.signatures["status"] == "unsigned"
    assert incoming.arrival_number == 1
    name, content_type, data = incoming_original(incoming=incoming)
    assert (name, content_type, data) == ("2905.pdf", "application/pdf", letter_pdf)


@pytest.mark.slow
@needs_soffice
@pytest.mark.django_db
def test_a_scanned_letter_is_read_by_ocr_and_numbered(drafter, letter_pdf: bytes) -> None:
    scan, pages = image_pdf(letter_pdf)
    steps: list[tuple[int, int]] = []
    incoming = incoming_import_file(
        actor=drafter, data=scan, progress=lambda done, total: steps.append((done, total))
    )
    assert incoming.number == "2905/BTTTT-TTĐN"
    # OCR may lose the diacritics of a bold line in capitals, not its letters
    assert fold(incoming.sender) == fold("BỘ THÔNG TIN VÀ TRUYỀN THÔNG")
    assert incoming.signer_name == "Hoàng Vĩnh Bảo"
    assert incoming.reading["ocr_pages"] == list(range(1, pages + 1))
    assert steps[-1] == (pages, pages)
    assert incoming.arrival_number == 1


@pytest.fixture
def signed_letter(letter_pdf: bytes, directory: Any) -> bytes:
    from signing.services import pdf_sign_as_person

    vice_minister = User.objects.create_user(
        username="thutruong",
        full_name="Hoàng Vĩnh Bảo",
        unit=directory["ubnd-tinh"],
        role=User.Role.SIGNER,
        position="Thứ trưởng",
    )
    return pdf_sign_as_person(
        pdf=letter_pdf, user=vice_minister, position_line="THỨ TRƯỞNG**", issue_fields=False
    )


@pytest.mark.slow
@needs_soffice
@pytest.mark.django_db
def test_a_signed_pdf_keeps_its_signatures_verifiable_after_import(
    drafter, signed_letter: bytes, client
) -> None:
    incoming = incoming_import_file(actor=drafter, data=signed_letter, file_name="2905-ky.pdf")
    # the verdict when it was registered
    assert incoming.signatures["status"] == "valid"
    assert [s["signer_name"] for s in incoming.signatures["signatures"]] == ["Hoàng Vĩnh Bảo"]
    # verified again from the kept bytes, later
    incoming.refresh_from_db()
    report = incoming_verify_signatures(incoming=incoming)
    assert report.is_valid
    assert report.sha256 == incoming.file_sha256
    # the page gives the file back byte for byte and says the signature holds
    client.force_login(drafter)
    download = client.get(reverse("incoming-file", args=[incoming.pk]))
    assert download.content == signed_letter
    page = client.get(reverse("incoming-detail", args=[incoming.pk]) + "?kiem-tra-chu-ky=1")
    html = page.content.decode()
    assert "Hợp lệ" in html
    assert "Kiểm tra lúc này" in html


@pytest.mark.django_db
def test_a_word_letter_has_no_signatures_to_verify(drafter) -> None:
    incoming = incoming_import_file(actor=drafter, data=LETTER)
    with pytest.raises(InvalidInput, match="không có chữ ký số"):
        incoming_verify_signatures(incoming=incoming)


@pytest.mark.django_db
def test_the_api_gives_the_arrival_number_and_the_file(drafter, police) -> None:
    client = APIClient()
    client.force_authenticate(drafter)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        "/api/v1/incoming/import/",
        {"file": SimpleUploadedFile("2905.docx", LETTER)},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    document = response.json()["document"]
    assert document["arrival_number"] == 1
    assert document["content_type"].endswith("wordprocessingml.document")
    file = client.get(f"/api/v1/incoming/{document['id']}/file/")
    assert file.status_code == 200
    assert file.content == LETTER
    client.force_authenticate(police)
    assert client.get(f"/api/v1/incoming/{document['id']}/file/").status_code == 404


@pytest.mark.django_db
def test_the_list_page_shows_arrival_numbers_and_accepts_pdf(drafter, client) -> None:
    incoming_import_file(actor=drafter, data=LETTER)
    client.force_login(drafter)
    html = client.get(reverse("incoming-list")).content.decode()
    assert "Số đến" in html
    assert 'accept=".docx,.pdf"' in html
    assert "data-progress-url" in html
