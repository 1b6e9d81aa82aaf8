"""docx → PDF with LibreOffice: page size, fonts, text, page numbers, failures, parallel calls.

Slow tests (each runs LibreOffice, about one second) are marked `slow`. Pure: no database.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.metadata
import io
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import unicodedata
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pdfplumber
import pypdf
import pytest

from agencies.errors import DomainError
from documents import conversion
from documents.content import DocumentHeader, PlanContent
from documents.conversion import ConversionError, docx_to_pdf
from documents.importing import import_plan_docx
from documents.rendering import render_plan_docx
from tests.documents.seeds import SEED

A4 = (595.28, 841.89)
DATE_LINE = "Đồng Nai, ngày 08 tháng 11 năm 2023"
# Text area of the page in points: left margin 30 mm, right margin 15 mm.
TEXT_CENTRE_X = (30 + (210 - 15)) / 2 / 25.4 * 72

needs_soffice = pytest.mark.skipif(
    not conversion.soffice_available(), reason="LibreOffice (soffice) is not installed"
)


@pytest.fixture(scope="module")
def seed_docx() -> bytes:
    if not SEED.is_file():
        pytest.skip("seed plan not available")
    content = PlanContent.from_dict(import_plan_docx(SEED.read_bytes(), directory=[]).content)
    header = DocumentHeader(
        issuer_name="ỦY BAN NHÂN DÂN TỈNH ĐỒNG NAI",
        issuer_abbreviation="UBND",
        number=262,
        issued_on=dt.date(2023, 11, 8),
        place="Đồng Nai",
    )
    return render_plan_docx(content, header)


@pytest.fixture(autouse=True)
def _no_cache(settings: Any) -> None:
    """These tests are about the converter itself: no conversion comes from the cache."""
    settings.PDF_CACHE_DIR = ""


@pytest.fixture(scope="module")
def seed_pdf(seed_docx: bytes) -> bytes:
    if not conversion.soffice_available():
        pytest.skip("LibreOffice (soffice) is not installed")
    return docx_to_pdf(seed_docx)


def _text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return unicodedata.normalize("NFC", "\n".join(page.extract_text() for page in reader.pages))


# ---------------------------------------------------------------------------------------------
# The seed plan as PDF


@pytest.mark.slow
@needs_soffice
def test_seed_pdf_is_a4(seed_pdf: bytes) -> None:
    # given the rendered seed plan / when converted / then every page is A4 portrait
    reader = pypdf.PdfReader(io.BytesIO(seed_pdf))
    assert len(reader.pages) >= 2
    for page in reader.pages:
        box = page.mediabox
        assert abs(float(box.width) - A4[0]) < 0.5
        assert abs(float(box.height) - A4[1]) < 0.5


@pytest.mark.slow
@needs_soffice
def test_seed_pdf_uses_liberation_serif_for_times_new_roman(seed_pdf: bytes) -> None:
    # given the rendered seed plan / when converted / then only Liberation Serif (metric-equal
    # to Times New Roman) is embedded, in its regular, bold and italic faces
    reader = pypdf.PdfReader(io.BytesIO(seed_pdf))
    fonts = {
        str(font.get_object()["/BaseFont"]).split("+")[-1]
        for page in reader.pages
        for font in (page["/Resources"].get("/Font") or {}).values()
    }
    assert {"LiberationSerif", "LiberationSerif-Bold", "LiberationSerif-Italic"} <= fonts
    assert all(name.startswith("LiberationSerif") for name in fonts)


@pytest.mark.slow
@needs_soffice
def test_seed_pdf_text_is_vietnamese_nfc(seed_pdf: bytes) -> None:
    # given the rendered seed plan / when its text is extracted / then header and body read back
    text = _text(seed_pdf)
    assert "KẾ HOẠCH" in text
    assert DATE_LINE in text
    assert "Số: 262/KH-UBND" in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Nguyễn Thị Hoàng" in text


@pytest.mark.slow
@needs_soffice
def test_seed_pdf_page_numbers_from_page_two(seed_pdf: bytes) -> None:
    # given the rendered seed plan / when the top margin of each page is read / then "2" centred
    # on page 2, nothing on page 1
    with pdfplumber.open(io.BytesIO(seed_pdf)) as pdf:
        top_margin = 20 / 25.4 * 72

        def header_chars(page) -> list[dict[str, Any]]:
            return [c for c in page.chars if c["bottom"] < top_margin and c["text"].strip()]

        assert header_chars(pdf.pages[0]) == []
        chars = header_chars(pdf.pages[1])
        assert "".join(c["text"] for c in chars) == "2"
        centre = (chars[0]["x0"] + chars[-1]["x1"]) / 2
        assert abs(centre - TEXT_CENTRE_X) < 5
        assert round(chars[0]["size"]) == 14
        if len(pdf.pages) > 2:
            assert "".join(c["text"] for c in header_chars(pdf.pages[2])) == "3"


@pytest.mark.slow
@needs_soffice
def test_seed_pdf_layout_on_page_one(seed_pdf: bytes) -> None:
    # given the rendered seed plan / when page 1 is read / then number and date on one line, the
    # national title on the right half, body text starting at the 30 mm left margin
    with pdfplumber.open(io.BytesIO(seed_pdf)) as pdf:
        page = pdf.pages[0]
        number = page.search("Số: 262/KH-UBND")[0]
        date = page.search(DATE_LINE)[0]
        assert abs(number["top"] - date["top"]) < 3
        assert number["x1"] < page.width / 2 < date["x0"] + 30
        national = page.search("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")[0]
        assert national["x0"] > 30 / 25.4 * 72 + 165 / 25.4 * 72 * 0.40
        left = min(c["x0"] for c in page.chars if c["text"].strip())
        assert abs(left - 30 / 25.4 * 72) < 2


def _pdfa_identification(pdf: bytes) -> tuple[str, str]:
    """(pdfaid:part, pdfaid:conformance) from the catalogue's XMP metadata stream."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")

    def value(name: str) -> str:
        match = re.search(rf"pdfaid:{name}(?:>|=\")\s*([^<\"]+)", xmp)
        assert match, f"no pdfaid:{name} in the XMP metadata"
        return match.group(1).strip()

    return value("part"), value("conformance")


@pytest.mark.slow
@needs_soffice
def test_pdfa_conversion(seed_docx: bytes) -> None:
    # given a docx / when converted as PDF/A / then PDF 1.4 or later whose XMP metadata declares
    # PDF/A-2b (pdfaid:part 2, conformance B), with the text intact
    pdf = docx_to_pdf(seed_docx, pdfa=True)
    assert re.match(rb"%PDF-1\.[4-7]", pdf)
    assert _pdfa_identification(pdf) == ("2", "B")
    assert DATE_LINE in _text(pdf)
    assert b"pdfaid" not in docx_to_pdf(seed_docx)  # plain PDF unless asked


@pytest.mark.slow
@needs_soffice
def test_parallel_conversions_both_succeed(seed_docx: bytes) -> None:
    # given two conversions at once / when run in threads / then both return a PDF (own profiles)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda _: docx_to_pdf(seed_docx), range(2)))
    for pdf in results:
        assert pdf.startswith(b"%PDF")
        assert DATE_LINE in _text(pdf)


# ---------------------------------------------------------------------------------------------
# Failures


def _zip(**files: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(os.urandom(2048), id="random-bytes"),
        pytest.param(_zip(**{"readme.txt": b"hello"}), id="zip-without-document-xml"),
    ],
)
def test_non_docx_input_raises_conversion_error(data: bytes) -> None:
    # given bytes that are not a Word file / when converted / then ConversionError (503)
    with pytest.raises(ConversionError) as caught:
        docx_to_pdf(data)
    error = caught.value
    assert isinstance(error, DomainError)
    assert (error.status, error.code) == (503, "conversion_failed")
    assert error.message == "Không chuyển được văn bản sang PDF. Vui lòng thử lại sau."


@pytest.mark.slow
@needs_soffice
def test_corrupt_docx_raises_conversion_error() -> None:
    # given a zip that looks like a docx but whose XML is broken / when converted / then
    # LibreOffice writes nothing and ConversionError is raised (never empty bytes)
    data = _zip(**{"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document"})
    with pytest.raises(ConversionError):
        docx_to_pdf(data)


def test_missing_binary_raises_conversion_error(seed_docx: bytes, settings: Any) -> None:
    # given no LibreOffice at the configured path / when converted / then ConversionError
    settings.UNOSERVER_HOST = ""
    settings.SOFFICE_BINARY = "/nonexistent/soffice"
    with pytest.raises(ConversionError):
        docx_to_pdf(seed_docx)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def fresh_health() -> Any:
    """Forget what earlier tests taught the converter about unoserver instances."""
    conversion._health.forget()
    yield
    conversion._health.forget()


def _fake_soffice(calls: list[str]) -> Any:
    def convert(docx: bytes, *, pdfa: bool, timeout: int) -> bytes:
        calls.append("soffice")
        return b"%PDF-1.4 converted once"

    return convert


def test_unoserver_still_warming_up_is_skipped_within_a_second(
    seed_docx: bytes, settings: Any, monkeypatch: pytest.MonkeyPatch, fresh_health: Any
) -> None:
    # given a port that accepts connections but never answers (unoserver binds its port before
    # LibreOffice is connected) / when converting twice / then the first call gives up on it in
    # well under a second and converts once; the second does not ask it again
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        settings.UNOSERVER_HOST, settings.UNOSERVER_PORT = "127.0.0.1", silent.getsockname()[1]
        calls: list[str] = []
        monkeypatch.setattr(conversion, "_convert_with_soffice", _fake_soffice(calls))
        monkeypatch.setattr(
            conversion,
            "_convert_with_unoserver",
            lambda *args: pytest.fail("used a server that does not answer"),
        )
        probes: list[int] = []
        real_probe = conversion._probe
        monkeypatch.setattr(
            conversion, "_probe", lambda host, port: probes.append(port) or real_probe(host, port)
        )
        started = time.monotonic()
        assert docx_to_pdf(seed_docx) == b"%PDF-1.4 converted once"
        first = time.monotonic() - started
        docx_to_pdf(seed_docx)
    # bounded by the probe's time-out, not the XML-RPC default (none: it would hang)
    assert first < 5
    assert len(probes) == 1  # the second conversion remembered the answer
    assert calls == ["soffice", "soffice"]


def test_unoserver_down_is_skipped_at_once(
    seed_docx: bytes, settings: Any, monkeypatch: pytest.MonkeyPatch, fresh_health: Any
) -> None:
    # given UNOSERVER_HOST pointing at a closed port / when converting / then soffice at once
    settings.UNOSERVER_HOST, settings.UNOSERVER_PORT = "127.0.0.1", _free_port()
    calls: list[str] = []
    monkeypatch.setattr(conversion, "_convert_with_soffice", _fake_soffice(calls))
    started = time.monotonic()
    docx_to_pdf(seed_docx)
    assert time.monotonic() - started < 5  # a refused connection, not a time-out
    assert calls == ["soffice"]
    assert conversion.unoserver_ready("127.0.0.1", settings.UNOSERVER_PORT) is False


def test_unoserver_failure_falls_back_and_is_not_asked_again_for_a_while(
    seed_docx: bytes, settings: Any, monkeypatch: pytest.MonkeyPatch, fresh_health: Any
) -> None:
    # given a server that answers the check but returns no PDF / when converting twice / then
    # both conversions come from soffice and the server is asked once only
    settings.UNOSERVER_HOST, settings.UNOSERVER_PORT = "127.0.0.1", 2999
    asked: list[int] = []
    monkeypatch.setattr(conversion, "_probe", lambda host, port: True)

    def broken(*args: Any) -> None:
        asked.append(1)

    monkeypatch.setattr(conversion, "_convert_with_unoserver", broken)
    calls: list[str] = []
    monkeypatch.setattr(conversion, "_convert_with_soffice", _fake_soffice(calls))
    docx_to_pdf(seed_docx)
    docx_to_pdf(seed_docx)
    assert (len(asked), calls) == (1, ["soffice", "soffice"])


def test_soffice_that_writes_nothing_raises_instead_of_returning_empty(
    seed_docx: bytes, settings: Any, tmp_path: Path
) -> None:
    # given an soffice that exits 0 without writing a PDF (as LibreOffice does when it cannot
    # load a file) / when converting / then ConversionError, never empty bytes
    fake = tmp_path / "soffice"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    settings.UNOSERVER_HOST = ""
    settings.SOFFICE_BINARY = str(fake)
    with pytest.raises(ConversionError):
        docx_to_pdf(seed_docx)


@pytest.mark.slow
@needs_soffice
def test_unreachable_unoserver_falls_back_to_soffice(seed_docx: bytes, settings: Any) -> None:
    # given UNOSERVER_HOST pointing at a closed port / when converted / then soffice does the job
    # quickly (no client retries)
    settings.UNOSERVER_HOST = "127.0.0.1"
    settings.UNOSERVER_PORT = _free_port()
    started = time.monotonic()
    pdf = docx_to_pdf(seed_docx)
    assert pdf.startswith(b"%PDF")
    assert time.monotonic() - started < 30


# ---------------------------------------------------------------------------------------------
# A real unoserver (Debian's python3 with python3-uno), when available


def _system_python_has_uno() -> bool:
    python = Path("/usr/bin/python3")
    if not python.exists():
        return False
    probe = subprocess.run([str(python), "-c", "import uno"], capture_output=True, timeout=30)
    return probe.returncode == 0


@pytest.fixture(scope="module")
def unoserver(tmp_path_factory: pytest.TempPathFactory):
    """A unoserver started for these tests: the venv's unoserver package run by Debian's python3."""
    if not conversion.soffice_available() or not _system_python_has_uno():
        pytest.skip("unoserver needs LibreOffice and Debian's python3-uno")
    root = tmp_path_factory.mktemp("unoserver")
    distribution = importlib.metadata.distribution("unoserver")
    package = Path(distribution.locate_file("unoserver"))
    shutil.copytree(package, root / "lib" / "unoserver")
    shutil.copytree(Path(distribution._path), root / "lib" / Path(distribution._path).name)
    # Another test process may take a port between _free_port() and unoserver binding it (the
    # suite runs in several processes): then unoserver exits, or someone else answers; start
    # again on other ports.
    for _attempt in range(5):
        process, port = _unoserver_start(root)
        try:
            if _unoserver_answers(process, port):
                yield "127.0.0.1", port
                return
        finally:
            # The server and its LibreOffice share a process group of their own: stop them all.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
    pytest.skip("unoserver did not start")


def _unoserver_start(root: Path) -> tuple[subprocess.Popen[bytes], int]:
    port, uno_port = _free_port(), _free_port()
    process = subprocess.Popen(
        [
            "/usr/bin/python3",
            "-m",
            "unoserver.server",
            "--interface",
            "127.0.0.1",
            "--port",
            str(port),
            "--uno-port",
            str(uno_port),
            "--user-installation",
            str(root / "profile"),
        ],
        env={**os.environ, "PYTHONPATH": str(root / "lib"), "HOME": str(root)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    return process, port


def _unoserver_answers(process: subprocess.Popen[bytes], port: int) -> bool:
    """Whether our unoserver answers on `port` within a minute (False: it died, or the port is
    another server's)."""
    from xmlrpc.client import ProtocolError, ServerProxy

    deadline = time.monotonic() + 60
    while True:
        try:
            with ServerProxy(f"http://127.0.0.1:{port}") as proxy:
                proxy.info()
            return process.poll() is None
        except ProtocolError:
            return False  # an HTTP server that is not unoserver: the port was taken
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                return False
            time.sleep(0.5)


@pytest.mark.slow
def test_unoserver_converts_when_configured(
    seed_docx: bytes, settings: Any, unoserver: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a running unoserver / when converting / then the PDF comes from it, not from soffice
    settings.UNOSERVER_HOST, settings.UNOSERVER_PORT = unoserver

    def no_soffice(*args: Any, **kwargs: Any) -> bytes:
        raise AssertionError("fell back to soffice")

    monkeypatch.setattr(conversion, "_convert_with_soffice", no_soffice)
    pdf = docx_to_pdf(seed_docx)
    assert DATE_LINE in _text(pdf)
    assert _pdfa_identification(docx_to_pdf(seed_docx, pdfa=True)) == ("2", "B")


# ---------------------------------------------------------------------------------------------
# The cache of conversions, by content hash


@pytest.mark.slow
@needs_soffice
def test_the_same_file_is_converted_once(seed_docx: bytes, settings: Any, tmp_path: Path) -> None:
    # given a cache and one conversion of the seed plan
    settings.PDF_CACHE_DIR = str(tmp_path)
    settings.UNOSERVER_HOST = ""
    first = docx_to_pdf(seed_docx)
    assert len(list(tmp_path.glob("*.pdf"))) == 1

    # when LibreOffice is gone, the same file still converts: from the cache
    settings.SOFFICE_BINARY = "/nonexistent/soffice"
    assert docx_to_pdf(seed_docx) == first

    # but another file is not served from it
    other = _rezip_with_extra(seed_docx)
    with pytest.raises(ConversionError):
        docx_to_pdf(other)


def test_the_cache_keeps_at_most_its_size(settings: Any, tmp_path: Path) -> None:
    cache = conversion._PdfCache(tmp_path, max_files=3)
    for i in range(5):
        cache.put(f"{i:064x}", b"%PDF-1.7 " + bytes([i]) + b" %%EOF")
    assert len(list(tmp_path.glob("*.pdf"))) == 3
    assert cache.get(f"{4:064x}") is not None
    assert cache.get(f"{0:064x}") is None


def test_a_damaged_cache_entry_is_not_served(tmp_path: Path) -> None:
    cache = conversion._PdfCache(tmp_path, max_files=3)
    (tmp_path / f"{'a' * 64}.pdf").write_bytes(b"not a pdf")
    assert cache.get("a" * 64) is None


def test_rendering_the_same_content_gives_the_same_bytes() -> None:
    import time

    from documents.content import DocumentHeader, PlanContent
    from documents.rendering import render_plan_docx
    from tests.conftest import BASE_CONTENT

    header = DocumentHeader(
        issuer_name="ỦY BAN NHÂN DÂN TỈNH ĐỒNG NAI",
        issuer_abbreviation="UBND",
        number=None,
        issued_on=None,
        place="Đồng Nai",
    )
    first = render_plan_docx(PlanContent.from_dict(BASE_CONTENT), header)
    time.sleep(1.1)  # zip members used to carry the time of saving
    assert render_plan_docx(PlanContent.from_dict(BASE_CONTENT), header) == first


def _rezip_with_extra(docx: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(docx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, source.read(info.filename))
        target.writestr("customXml/extra.xml", "<x/>")
    return out.getvalue()
