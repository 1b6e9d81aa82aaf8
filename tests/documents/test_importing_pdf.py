"""Plans imported from PDF: printed from Word (a text layer) and scanned (pictures only, read by
Tesseract's Vietnamese model), through the importer, the service, the API and the page "Tạo kế
hoạch" with its progress. Slow: LibreOffice prints the files, Tesseract reads the scan (about
two seconds a page)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from agencies.errors import InvalidInput
from bench.recognition import CORPUS, MEASURES, ROOT, score_document
from documents import conversion
from documents.importing import import_plan_file, import_plan_pdf
from documents.models import Plan, PlanEvent
from tests.corpus.scan import image_pdf
from tests.documents.seeds import DIRECTORY

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not conversion.soffice_available(), reason="LibreOffice is not installed"),
]


def expected(doc_id: str) -> dict:
    return json.loads((CORPUS / "expected" / f"{doc_id}.json").read_text(encoding="utf-8"))


def word_file(doc_id: str) -> bytes:
    return (ROOT / expected(doc_id)["file"]).read_bytes()


@pytest.fixture(scope="module")
def seed_pdf() -> bytes:
    return conversion.docx_to_pdf(word_file("dongnai-262-KH-UBND-2023"))


@pytest.fixture(scope="module")
def scanned_seed(seed_pdf: bytes) -> tuple[bytes, int]:
    return image_pdf(seed_pdf)


def assert_at_least(score, goal: float) -> None:
    for measure in MEASURES:
        count = score.counts[measure]
        for name, value in (("precision", count.precision), ("recall", count.recall)):
            assert value is None or value >= goal, f"{measure} {name} {value:.1%}"
    assert score.word_recall >= goal


# ---------------------------------------------------------------------------------------------
# The importer


def test_the_seed_printed_to_pdf_reads_as_well_as_its_word_file(seed_pdf: bytes) -> None:
    start = time.perf_counter()
    score = score_document(
        expected("dongnai-262-KH-UBND-2023"),
        seed_pdf,
        pdf=True,
        original=word_file("dongnai-262-KH-UBND-2023"),
    )
    assert time.perf_counter() - start < 5
    assert_at_least(score, 1.0)


def test_a_task_table_printed_to_pdf_is_read_row_by_row() -> None:
    # dongthap-617: the tasks are an appendix table of 16 rows across three pages
    doc_id = "dongthap-617-KH-UBND-2025"
    pdf = conversion.docx_to_pdf(word_file(doc_id))
    score = score_document(expected(doc_id), pdf, pdf=True, original=word_file(doc_id))
    assert_at_least(score, 0.95)


def test_the_scanned_seed_is_read_by_ocr_at_ninety_percent_or_more(
    scanned_seed: tuple[bytes, int],
) -> None:
    # given the seed printed, rasterised and put back into a PDF without any text
    data, pages = scanned_seed
    assert pages == 9
    # when it is imported
    score = score_document(
        expected("dongnai-262-KH-UBND-2023"),
        data,
        pdf=True,
        original=word_file("dongnai-262-KH-UBND-2023"),
    )
    # then every measure is at 90 % or more
    assert_at_least(score, 0.90)
    print(f"scanned seed: {score.seconds:.1f} s, {score.seconds / pages:.1f} s a page")  # noqa: T201


def test_the_scan_record_says_which_pages_ocr_read(scanned_seed: tuple[bytes, int]) -> None:
    data, pages = scanned_seed
    steps: list[tuple[int, int]] = []
    result = import_plan_pdf(data, directory=DIRECTORY, progress=lambda d, t: steps.append((d, t)))
    record = result.source["pdf"]
    assert record["pages"] == pages
    assert record["ocr_pages"] == list(range(1, pages + 1))
    assert record["ocr_confidence"] > 80
    assert steps[0] == (0, pages)
    assert steps[-1] == (pages, pages)
    assert [d for d, _ in steps] == sorted(d for d, _ in steps)


def test_import_plan_file_tells_word_from_pdf(seed_pdf: bytes) -> None:
    from_pdf = import_plan_file(seed_pdf, directory=DIRECTORY)
    from_word = import_plan_file(word_file("dongnai-262-KH-UBND-2023"), directory=DIRECTORY)
    assert from_pdf.content["title"] == from_word.content["title"]
    assert "pdf" in from_pdf.source
    assert "pdf" not in from_word.source


# ---------------------------------------------------------------------------------------------
# Service, API, page


@pytest.mark.django_db
def test_the_api_imports_a_pdf(drafter, seed_pdf: bytes) -> None:
    client = APIClient()
    client.force_authenticate(drafter)
    response = client.post(
        "/api/v1/documents/import/",
        {"file": SimpleUploadedFile("ke-hoach.pdf", seed_pdf, "application/pdf")},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["document"]["title"].startswith("Hoạt động thông tin đối ngoại")
    assert body["pdf"]["pages"] == 9
    assert body["pdf"]["ocr_pages"] == []


@pytest.mark.django_db
def test_a_pdf_over_the_page_limit_creates_nothing(drafter, seed_pdf: bytes, settings) -> None:
    from documents.services import plan_import_docx

    settings.IMPORT_PDF_MAX_PAGES = 5
    with pytest.raises(InvalidInput, match="9 trang, vượt quá giới hạn 5 trang"):
        plan_import_docx(actor=drafter, data=seed_pdf)
    assert Plan.objects.count() == 0
    assert PlanEvent.objects.count() == 0


@pytest.mark.django_db
def test_the_page_imports_a_pdf_and_reports_its_progress(
    client, drafter, agency_head, seed_pdf
) -> None:
    client.force_login(drafter)
    token = "0123456789abcdef-progress"
    response = client.post(
        reverse("plan-create"),
        {
            "mode": "import",
            "progress_token": token,
            "import-file": SimpleUploadedFile("ke-hoach.pdf", seed_pdf, "application/pdf"),
        },
    )
    plan = Plan.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("plan-edit", kwargs={"plan_id": plan.pk})
    progress = client.get(reverse("import-progress", args=[token]))
    assert progress.json() == {"done": 9, "total": 9}
    # the progress is the user's own: another user asking with the token learns nothing
    assert cache.get(f"import-progress:{drafter.pk}:{token}") == {"done": 9, "total": 9}
    client.force_login(agency_head)
    assert client.get(reverse("import-progress", args=[token])).json() == {"done": 0, "total": 0}


def test_the_form_and_its_script_offer_pdf() -> None:
    template = Path("templates/pages/plan_create.html").read_text(encoding="utf-8")
    assert "data-progress-url" in template
    assert 'name="progress_token"' in template
    assert Path("static/js/file_import.js").is_file()
