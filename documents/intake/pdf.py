"""The PDF reader: a PDF's text as lines, from its text layer, or (a scan) by OCR with Tesseract's
Vietnamese model.

Every page is read from its text layer when it has one (a PDF printed from Word, or a scan
already recognised); a page that is only a picture is rendered (pdfium, grey, at the scan's own
resolution), straightened, and recognised by `tesseract -l vie` (Debian packages tesseract-ocr,
tesseract-ocr-vie, installed by scripts/install.sh), one page per CPU at a time. The words and
their boxes become lines and tables as a Word file gives them (documents/intake/layout.py; ruled
tables are found in the page picture, grid.py), which the plan and letter readers read.

Limits, each refused with a Vietnamese message before anything is created: the size
(settings.IMPORT_MAX_BYTES), the number of pages (IMPORT_PDF_MAX_PAGES, 30) and the time OCR may
take (IMPORT_OCR_TIME_LIMIT, 300 s). A password-protected or damaged PDF is refused as well.
"""

from __future__ import annotations

import concurrent.futures
import functools
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .grid import Grid, deskewed, find_grids
from .layout import Page, Word, page_lines
from .lines import Line, Table
from .safety import check_upload, refuse

DEFAULT_MAX_PAGES = 30
DEFAULT_OCR_TIME_LIMIT = 300
#: Resolution of the page images given to Tesseract: the scan's own when the page is one
#: picture (upscaling misleads Tesseract's layout analysis), within these bounds, else 300.
OCR_DPI = 300
OCR_DPI_RANGE = (200, 400)
#: Resolution of the page pictures searched for ruled tables (pages with a text layer).
GRID_DPI = 100
#: A page with fewer letters and digits than this in its text layer is a picture to recognise.
MIN_TEXT_CHARS = 20
#: Recognised words below this confidence that are also small are specks, not text.
SPECK_CONFIDENCE = 30
PDF_MAGIC = b"%PDF"
#: Marks OCR reads on their own when a capital's diacritic is detached from it.
ACCENTS = frozenset("`'^~´\"")
#: Letters OCR takes from other alphabets for Vietnamese ones: Icelandic "Ð" for "Đ".
_LOOK_ALIKES = str.maketrans({"Ð": "Đ", "ð": "đ"})

#: progress(pages_done, pages_total): called as pages are read, for a progress indicator.
Progress = Callable[[int, int], None]


def is_pdf(data: bytes) -> bool:
    return bytes(data[:1024]).lstrip().startswith(PDF_MAGIC)


def _setting(name: str, default: int) -> int:
    from django.conf import settings

    try:
        return int(getattr(settings, name, default))
    except Exception:  # settings not configured (a script): the documented default
        return default


def max_pages() -> int:
    return _setting("IMPORT_PDF_MAX_PAGES", DEFAULT_MAX_PAGES)


def ocr_time_limit() -> int:
    return _setting("IMPORT_OCR_TIME_LIMIT", DEFAULT_OCR_TIME_LIMIT)


def ocr_workers() -> int:
    """Pages recognised at once: settings.IMPORT_OCR_WORKERS, by default one per CPU (up to 4)."""
    return max(1, _setting("IMPORT_OCR_WORKERS", min(4, os.cpu_count() or 1)))


@dataclass
class PdfText:
    """What was read from a PDF: lines and tables, and how (for the record and the report)."""

    lines: list[Line]
    tables: dict[int, Table]
    pages: int
    ocr_pages: list[int] = field(default_factory=list)  # 1-based numbers of the pages OCR read
    seconds: float = 0.0
    ocr_seconds: float = 0.0
    confidence: float | None = None  # OCR's mean word confidence (0-100)

    def record(self) -> dict[str, Any]:
        """A JSON-ready summary kept with the import."""
        return {
            "kind": "pdf",
            "pages": self.pages,
            "ocr_pages": self.ocr_pages,
            "seconds": round(self.seconds, 2),
            "ocr_seconds_per_page": round(self.ocr_seconds / len(self.ocr_pages), 2)
            if self.ocr_pages
            else None,
            "ocr_confidence": None if self.confidence is None else round(self.confidence, 1),
        }


def read_pdf(
    data: bytes, *, max_bytes: int | None = None, progress: Progress | None = None
) -> PdfText:
    """The lines of a PDF, from its text layer or by OCR; InvalidInput for what cannot be read
    or goes over a limit."""
    check_upload(data, max_bytes=max_bytes)
    if not is_pdf(data):
        raise refuse("Tệp không phải là tệp PDF hợp lệ.")
    start = time.perf_counter()
    document = _open(bytes(data))
    try:
        reader = _PageReader(document, progress)
        pages = reader.read()
    finally:
        document.close()
    lines, tables = page_lines(pages)
    if not any(line.text.strip() for line in lines):
        raise refuse("Không đọc được chữ nào trong tệp PDF (trang trắng hoặc ảnh quá mờ).")
    return PdfText(
        lines=lines,
        tables=tables,
        pages=len(pages),
        ocr_pages=reader.ocr_pages,
        seconds=time.perf_counter() - start,
        ocr_seconds=reader.ocr_seconds,
        confidence=reader.confidence(),
    )


def _open(data: bytes) -> Any:
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise refuse(
                "Tệp PDF được bảo vệ bằng mật khẩu. Vui lòng gỡ mật khẩu rồi tải lên lại."
            ) from exc
        raise refuse("Không đọc được tệp PDF: tệp bị hỏng hoặc không đúng định dạng.") from exc
    count = len(document)
    if count == 0:
        document.close()
        raise refuse("Tệp PDF không có trang nào.")
    if count > max_pages():
        document.close()
        raise refuse(
            f"Tệp PDF có {count} trang, vượt quá giới hạn {max_pages()} trang của một lần nhập. "
            "Vui lòng tách tệp hoặc tải lên bản Word (.docx)."
        )
    return document


class _PageReader:
    """Reads every page: its text layer, or OCR for the pages that are pictures."""

    def __init__(self, document: Any, progress: Progress | None) -> None:
        self.document = document
        self.progress = progress or (lambda done, total: None)
        self.ocr_pages: list[int] = []
        self.ocr_seconds = 0.0
        self._confidences: list[float] = []

    def read(self) -> list[Page]:
        pages = _text_layer_pages(self.document)
        pictures = [
            i
            for i, page in enumerate(pages)
            if _letters(page) < MIN_TEXT_CHARS and _has_picture(self.document[i])
        ]
        total = len(pages)
        self.progress(total - len(pictures), total)
        if pictures and len(pictures) < total and not tesseract_ready():
            # A PDF with text and a few pictures (a signature, a logo) is read without OCR.
            pictures = []
        if pictures:
            self.ocr_pages = [i + 1 for i in pictures]
            started = time.perf_counter()
            for done, (index, page, confidences) in enumerate(self._recognise(pictures), 1):
                pages[index] = page
                self._confidences.extend(confidences)
                self.progress(total - len(pictures) + done, total)
            self.ocr_seconds = time.perf_counter() - started
        return pages

    def confidence(self) -> float | None:
        if not self._confidences:
            return None
        return sum(self._confidences) / len(self._confidences)

    def _recognise(self, indexes: list[int]) -> Iterator[tuple[int, Page, list[float]]]:
        """OCR of the pages `indexes`, a few at a time, as they finish."""
        check_tesseract()
        deadline = time.monotonic() + ocr_time_limit()
        rendered: dict[int, tuple[list[Grid], float]] = {}
        workers = ocr_workers()
        with (
            tempfile.TemporaryDirectory(prefix="kh-ocr-") as tmp,
            concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool,
        ):
            pending: dict[concurrent.futures.Future, int] = {}
            queue = list(indexes)
            while queue or pending:
                while queue and len(pending) < workers:
                    index = queue.pop(0)
                    image, *rendered[index] = self._render(index, Path(tmp))
                    pending[pool.submit(_ocr_page, image, deadline)] = index
                done, _ = concurrent.futures.wait(
                    pending, return_when=concurrent.futures.FIRST_COMPLETED
                )
                for future in done:
                    index = pending.pop(future)
                    grids, scale = rendered.pop(index)
                    width, height = self.document[index].get_size()
                    page, confidences = _scaled(future.result(), scale, width, height)
                    page.grids = grids
                    yield index, page, confidences

    def _render(self, index: int, folder: Path) -> tuple[Path, list[Grid], float]:
        """The page as a grey image file, its ruled tables, and the size of a pixel in points
        (pdfium is not thread-safe: pages are rendered here, in turn)."""
        page = self.document[index]
        dpi = scan_dpi(page)
        image = deskewed(page.render(scale=dpi / 72, grayscale=True).to_pil())
        path = folder / f"page-{index + 1}.png"
        image.save(path, compress_level=1)
        return path, find_grids(image, 72 / dpi), 72 / dpi


def scan_dpi(page: Any) -> float:
    """The resolution of the picture that fills the page (a scan), within OCR_DPI_RANGE."""
    import pypdfium2.raw as pdfium_c

    best = 0.0
    for image in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2):
        left, _bottom, right, _top = image.get_bounds()
        if right - left > 0.5 * page.get_width():
            best = max(best, image.get_px_size()[0] / ((right - left) / 72))
    low, high = OCR_DPI_RANGE
    return min(max(best, low), high) if best else OCR_DPI


def _has_picture(page: Any) -> bool:
    import pypdfium2.raw as pdfium_c

    return any(True for _ in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2))


def _letters(page: Page) -> int:
    return sum(c.isalnum() for fragment in page.fragments for w in fragment for c in w.text)


def _text_layer_pages(document: Any) -> list[Page]:
    """Every page's words from the text layer (none for a scanned page)."""
    pages = []
    for index in range(len(document)):
        page = document[index]
        width, height = page.get_size()
        textpage = page.get_textpage()
        try:
            words = _text_layer_words(textpage, height)
        finally:
            textpage.close()
        grids = find_grids(page.render(scale=GRID_DPI / 72, grayscale=True).to_pil(), 72 / GRID_DPI)
        pages.append(Page(width=width, height=height, fragments=_by_baseline(words), grids=grids))
    return pages


def _text_layer_words(textpage: Any, page_height: float) -> list[Word]:
    """The words of a text layer with their boxes, top-down, in points: characters between
    spaces (or a jump along the line); a word's box is its font's height over its baseline."""
    words: list[Word] = []
    current: Word | None = None
    baseline = 0.0
    text = textpage.get_text_range()
    for index, char in enumerate(text[: textpage.count_chars()]):
        if char.isspace() or not char.isprintable():
            current = None
            continue
        left, _bottom, right, _top = textpage.get_charbox(index, loose=True)
        origin, size = _origin_and_size(textpage, index)
        y = page_height - origin
        if current is None or left - current.x1 > 0.3 * size or abs(y - baseline) > 0.3 * size:
            bold = _is_bold(textpage, index)
            current = Word(char, left, right, y - 0.8 * size, y + 0.2 * size, bold=bold)
            words.append(current)
            baseline = y
        else:
            current.text += char
            current.x1 = max(current.x1, right)
    return words


def _origin_and_size(textpage: Any, index: int) -> tuple[float, float]:
    """A character's baseline (PDF y, upwards) and its font size in points."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    x, y = ctypes.c_double(), ctypes.c_double()
    pdfium_c.FPDFText_GetCharOrigin(textpage.raw, index, x, y)
    size = float(pdfium_c.FPDFText_GetFontSize(textpage.raw, index)) or 10.0
    return y.value, size


def _is_bold(textpage: Any, index: int) -> bool:
    """Bold: the font's weight, or its name ("TimesNewRomanPS-BoldMT")."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    if pdfium_c.FPDFText_GetFontWeight(textpage.raw, index) >= 600:
        return True
    buffer = ctypes.create_string_buffer(128)
    flags = ctypes.c_int()
    pdfium_c.FPDFText_GetFontInfo(textpage.raw, index, buffer, 128, flags)
    return b"bold" in buffer.value.lower()


def _by_baseline(words: list[Word]) -> list[list[Word]]:
    """Words in fragments of one printed line each."""
    fragments: dict[int, list[Word]] = {}
    for word in words:
        fragments.setdefault(round(word.bottom), []).append(word)
    return list(fragments.values())


# ---------------------------------------------------------------------------------------------
# OCR


@functools.cache
def _tesseract_languages() -> frozenset[str]:
    try:
        result = subprocess.run(
            ["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    return frozenset(line.strip() for line in result.stdout.splitlines()[1:])


def tesseract_ready() -> bool:
    """Tesseract and its Vietnamese model are installed."""
    return shutil.which("tesseract") is not None and "vie" in _tesseract_languages()


def check_tesseract() -> None:
    """Refuse a scan when the server cannot recognise Vietnamese text."""
    if not tesseract_ready():
        raise refuse(
            "Tệp PDF là bản quét (chỉ có hình ảnh) nhưng máy chủ chưa cài phần mềm nhận dạng chữ "
            "tiếng Việt (Tesseract). Vui lòng tải lên bản Word (.docx) hoặc PDF có lớp chữ."
        )


def _ocr_page(image: Path, deadline: float) -> list[list[Word]]:
    """Tesseract's words of one page image (boxes in pixels), grouped by line."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise _too_slow()
    environment = {**os.environ, "OMP_THREAD_LIMIT": "1"}  # one page a core, not one core a page
    try:
        result = subprocess.run(
            ["tesseract", str(image), "stdout", "-l", "vie", "--psm", "3", "tsv"],
            capture_output=True,
            text=True,
            timeout=remaining,
            env=environment,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise _too_slow() from exc
    if result.returncode != 0:
        raise refuse("Không nhận dạng được chữ trong tệp PDF quét (lỗi phần mềm nhận dạng).")
    return parse_tsv(result.stdout)


def _too_slow() -> Exception:
    return refuse(
        f"Nhận dạng chữ tệp PDF quét vượt quá thời gian cho phép ({ocr_time_limit()} giây). "
        "Vui lòng tải lên tệp ít trang hơn, hoặc bản Word (.docx)."
    )


def parse_tsv(tsv: str) -> list[list[Word]]:
    """Tesseract's TSV output as words grouped by the line Tesseract found them on; specks (a
    small mark read with low confidence) left out."""
    lines: dict[tuple[str, str, str], list[Word]] = {}
    rows = [row.split("\t") for row in tsv.splitlines()[1:]]
    heights = sorted(int(r[9]) for r in rows if len(r) == 12 and r[0] == "5" and r[11].strip())
    typical = heights[len(heights) // 2] if heights else 0
    for row in rows:
        if len(row) != 12 or row[0] != "5" or not row[11].strip():
            continue
        left, top, width, height = (int(v) for v in row[6:10])
        if _is_speck(row[11].strip(), float(row[10]), height, typical):
            continue
        text = row[11].strip().translate(_LOOK_ALIKES)
        word = Word(text, left, left + width, top, top + height, confidence=float(row[10]))
        lines.setdefault((row[2], row[3], row[4]), []).append(word)
    return list(lines.values())


def _is_speck(text: str, confidence: float, height: int, typical: int) -> bool:
    """A mark that is not a word: small and read with low confidence, a line read as "__", or
    tiny and read as a letter or an accent (the diacritics of a line in capitals, detached from
    their letters)."""
    if confidence < SPECK_CONFIDENCE and height < 0.5 * typical:
        return True
    if not text.strip("_"):
        return True  # a rule or an underline read as "__"
    accent_or_letter = any(c.isalnum() for c in text) or text in ACCENTS
    return height < 0.3 * typical and accent_or_letter


def _scaled(
    fragments: list[list[Word]], scale: float, width: float, height: float
) -> tuple[Page, list[float]]:
    """OCR's pixel boxes in PDF points, as the text layer gives them, and the words'
    confidences."""
    confidences = [word.confidence or 0.0 for fragment in fragments for word in fragment]
    scaled = [
        [
            Word(
                w.text,
                w.x0 * scale,
                w.x1 * scale,
                w.top * scale,
                w.bottom * scale,
                confidence=w.confidence,
            )
            for w in fragment
        ]
        for fragment in fragments
    ]
    return Page(width=width, height=height, fragments=scaled), confidences
