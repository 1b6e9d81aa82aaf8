"""Render a plan's content as a Word file laid out per Nghị định 30/2020/NĐ-CP, Phụ lục I, Mẫu 1.4.

Pure module: no models, no database. `render_plan_docx(content, header)` returns the .docx bytes:
A4 portrait, margins 20/20/30/15 mm, Times New Roman throughout, the header and the footer as
borderless two-column tables, page numbers centred in the top margin from page 2 on.

`format_number` and `format_place_date` are public because the issuance step writes the filled-in
number and date into the signed PDF at the positions where this module leaves blanks.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt
from docx.table import _Cell
from docx.text.paragraph import Paragraph

from .content import Block, DocumentHeader, PlanContent, Task

FONT_NAME = "Times New Roman"
BODY_SIZE = 14
NATIONAL_TITLE = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
NBSP = "\u00a0"
#: The gap left for a number or a date part that the clerk fills in at issuance.
BLANK = NBSP * 6

#: Names of document types by their abbreviation (ND30 Phụ lục III, mục I).
DOC_TYPE_NAMES: dict[str, str] = {
    "KH": "KẾ HOẠCH",
    "BC": "BÁO CÁO",
    "TTr": "TỜ TRÌNH",
    "TB": "THÔNG BÁO",
    "CTr": "CHƯƠNG TRÌNH",
    "HD": "HƯỚNG DẪN",
    "PA": "PHƯƠNG ÁN",
    "ĐA": "ĐỀ ÁN",
    "DA": "DỰ ÁN",
    "CT": "CHỈ THỊ",
    "QC": "QUY CHẾ",
    "QyĐ": "QUY ĐỊNH",
}

#: Points are lettered in Vietnamese alphabetical order (ND30 Phụ lục I, II.6.đ).
VIETNAMESE_LETTERS = (
    "a",
    "b",
    "c",
    "d",
    "đ",
    "e",
    "g",
    "h",
    "i",
    "k",
    "l",
    "m",
    "n",
    "o",
    "p",
    "q",
    "r",
    "s",
    "t",
    "u",
    "v",
    "x",
    "y",
)

PAGE_WIDTH_MM = 210
PAGE_HEIGHT_MM = 297
MARGIN_TOP_MM = 20
MARGIN_BOTTOM_MM = 20
MARGIN_LEFT_MM = 30
MARGIN_RIGHT_MM = 15
TEXT_WIDTH_MM = PAGE_WIDTH_MM - MARGIN_LEFT_MM - MARGIN_RIGHT_MM  # 165 mm
#: Share of the text width given to the left column of the header and footer tables. 44/56 keeps
#: "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" (12 pt bold, ≈ 88.3 mm) on one line.
LEFT_COLUMN_SHARE = 0.44
CELL_MARGIN_MM = 1.0

_ISSUER_SPLIT = re.compile(r"\s+(?=(?:TỈNH|THÀNH PHỐ|HUYỆN|QUẬN|THỊ XÃ|PHƯỜNG|XÃ)\b)")

# ---------------------------------------------------------------------------------------------
# Public formatting helpers


def format_number(number: int | None, doc_type: str, abbreviation: str) -> str:
    """The "Số" line: "Số: 05/KH-UBND" (at least two digits), or "Số:" + a blank gap + "/KH-UBND"
    while the document has no number yet."""
    symbol = f"/{doc_type}-{abbreviation}" if abbreviation else f"/{doc_type}"
    if number is None:
        return f"Số:{BLANK}{symbol}"
    return f"Số: {number:02d}{symbol}"


def format_place_date(place: str, date: dt.date | None) -> str:
    """The place-and-date line: "Đồng Nai, ngày 05 tháng 01 năm 2024" (days below 10 and months 1–2
    padded with a zero), or "Đồng Nai, ngày … tháng … năm …" with blank gaps while not issued."""
    prefix = f"{place.strip()}, " if place and place.strip() else ""
    if date is None:
        return f"{prefix}ngày{BLANK}tháng{BLANK}năm{BLANK}"
    month = f"{date.month:02d}" if date.month <= 2 else str(date.month)
    return f"{prefix}ngày {date.day:02d} tháng {month} năm {date.year}"


def format_vnd(amount: int) -> str:
    """An amount in đồng with dots between thousands: "150.000.000 đồng"."""
    return f"{amount:,}".replace(",", ".") + " đồng"


def format_archive_line(archive: str) -> str:
    """The last line of "Nơi nhận": "- Lưu: VT, THNC." (dash, colon after "Lưu", final dot)."""
    text = re.sub(r"\s+", " ", archive or "").strip().lstrip("-–+• ").strip()
    text = text.rstrip(" .;,")
    if not text:
        text = "Lưu: VT"
    match = re.match(r"(?i)^lưu\s*:?\s*(.*)$", text)
    text = f"Lưu: {match.group(1)}".rstrip(": ") if match else f"Lưu: {text}"
    return f"- {text}."


def roman(number: int) -> str:
    """Upper-case Roman numeral of a positive integer (section numbers I, II, …)."""
    values = (
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    )
    out = []
    for value, letters in values:
        while number >= value:
            out.append(letters)
            number -= value
    return "".join(out)


def point_letter(index: int) -> str:
    """The letter of the index-th point (0-based): a, b, c, d, đ, e, g, …; aa, bb, … after y."""
    count = len(VIETNAMESE_LETTERS)
    return VIETNAMESE_LETTERS[index % count] * (index // count + 1)


def doc_type_name(doc_type: str) -> str:
    """The name printed above the title for a type abbreviation: KH → "KẾ HOẠCH"."""
    return DOC_TYPE_NAMES.get(doc_type, doc_type.upper())


def issuer_lines(issuer_name: str) -> list[str]:
    """The issuing body's name on two lines: "ỦY BAN NHÂN DÂN" / "TỈNH ĐỒNG NAI"."""
    name = issuer_name.strip().upper()
    if "\n" in name:
        return [line.strip() for line in name.splitlines() if line.strip()]
    parts = _ISSUER_SPLIT.split(name, maxsplit=1)
    return [part.strip() for part in parts if part.strip()]


def _place_from_issuer(issuer_name: str) -> str:
    lines = issuer_lines(issuer_name)
    if len(lines) < 2:
        return ""
    place = re.sub(r"^(TỈNH|THÀNH PHỐ|HUYỆN|QUẬN|THỊ XÃ|PHƯỜNG|XÃ)\s+", "", lines[-1])
    return place.title()


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


# ---------------------------------------------------------------------------------------------
# Text measurement (to size the rules under the issuer, the motto and the title)

_FONT_DIRS = (
    "/usr/share/fonts/truetype/liberation2",
    "/usr/share/fonts/truetype/liberation",
    "/usr/share/fonts/truetype/msttcorefonts",
)


@functools.lru_cache(maxsize=4)
def _advance_widths(bold: bool) -> tuple[dict[int, int], int] | None:
    """({code point: advance width}, unitsPerEm) of a Times-metric font; None if unavailable."""
    try:
        from fontTools.ttLib import TTFont
    except ImportError:  # pragma: no cover - fontTools comes with pyHanko[opentype]
        return None
    names = (
        ("LiberationSerif-Bold.ttf", "Times_New_Roman_Bold.ttf")
        if bold
        else ("LiberationSerif-Regular.ttf", "Times_New_Roman.ttf")
    )
    for directory in _FONT_DIRS:
        for name in names:
            path = Path(directory) / name
            if path.is_file():
                with TTFont(str(path)) as font:
                    metrics = font["hmtx"].metrics
                    widths = {cp: metrics[glyph][0] for cp, glyph in font.getBestCmap().items()}
                    return widths, font["head"].unitsPerEm
    return None


def text_width_mm(text: str, size_pt: float, *, bold: bool = False) -> float:
    """Approximate printed width of `text` in Times New Roman (or metric-equal Liberation Serif)."""
    text = unicodedata.normalize("NFC", text)
    loaded = _advance_widths(bold)
    if loaded is None:
        points = len(text) * size_pt * (0.55 if bold else 0.5)
    else:
        widths, units = loaded
        fallback = widths.get(32, units // 2)
        points = sum(widths.get(ord(char), fallback) for char in text) / units * size_pt
    return points / 72 * 25.4


# ---------------------------------------------------------------------------------------------
# Low-level docx helpers


def _set_rfonts(rpr, name: str = FONT_NAME) -> None:
    """Point every script slot of `w:rFonts` at `name` and drop theme fonts (which would win)."""
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        rfonts.set(qn(attr), name)


def _set_language(rpr, lang: str = "vi-VN") -> None:
    element = rpr.find(qn("w:lang"))
    if element is None:
        element = OxmlElement("w:lang")
        rpr.append(element)
    element.set(qn("w:val"), lang)
    element.set(qn("w:eastAsia"), lang)


# Children of w:pPr that come after w:pBdr, in schema order.
_AFTER_PBDR = (
    "w:shd",
    "w:tabs",
    "w:suppressAutoHyphens",
    "w:kinsoku",
    "w:wordWrap",
    "w:overflowPunct",
    "w:topLinePunct",
    "w:autoSpaceDE",
    "w:autoSpaceDN",
    "w:bidi",
    "w:adjustRightInd",
    "w:snapToGrid",
    "w:spacing",
    "w:ind",
    "w:contextualSpacing",
    "w:mirrorIndents",
    "w:suppressOverlap",
    "w:jc",
    "w:textDirection",
    "w:textAlignment",
    "w:textboxTightWrap",
    "w:outlineLvl",
    "w:divId",
    "w:cnfStyle",
    "w:rPr",
    "w:sectPr",
    "w:pPrChange",
)


def _paragraph_border(paragraph: Paragraph, side: str = "top") -> None:
    ppr = paragraph._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    line = OxmlElement(f"w:{side}")
    line.set(qn("w:val"), "single")
    line.set(qn("w:sz"), "6")  # eighths of a point: 0.75 pt
    line.set(qn("w:space"), "1")
    line.set(qn("w:color"), "000000")
    border.append(line)
    ppr.insert_element_before(border, *_AFTER_PBDR)


def _paragraph_mark_size(paragraph: Paragraph, size_pt: float) -> None:
    """Size of the paragraph mark, which sets the height of an empty paragraph."""
    ppr = paragraph._p.get_or_add_pPr()
    rpr = OxmlElement("w:rPr")
    for tag in ("w:sz", "w:szCs"):
        element = OxmlElement(tag)
        element.set(qn("w:val"), str(int(size_pt * 2)))
        rpr.append(element)
    ppr.insert_element_before(rpr, "w:sectPr", "w:pPrChange")


def _format(
    paragraph: Paragraph,
    *,
    align=WD_ALIGN_PARAGRAPH.JUSTIFY,
    first_line: bool = True,
    before: float = 0,
    after: float = 6,
    keep_with_next: bool = False,
) -> None:
    fmt = paragraph.paragraph_format
    fmt.alignment = align
    fmt.first_line_indent = Cm(1.27) if first_line else Cm(0)
    fmt.space_before = Pt(before)
    fmt.space_after = Pt(after)
    fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    if keep_with_next:
        fmt.keep_with_next = True


def _run(
    paragraph: Paragraph,
    text: str,
    *,
    size: float = BODY_SIZE,
    bold: bool = False,
    italic: bool = False,
):
    run = paragraph.add_run(text)
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.italic = italic
    return run


def _rule(container, width_mm: float, available_mm: float, *, after: float = 0) -> Paragraph:
    """An empty centred paragraph whose top border is a solid rule `width_mm` long."""
    paragraph = container.add_paragraph()
    _format(paragraph, align=WD_ALIGN_PARAGRAPH.CENTER, first_line=False, before=3, after=after)
    side = max((available_mm - width_mm) / 2, 0)
    paragraph.paragraph_format.left_indent = Mm(side)
    paragraph.paragraph_format.right_indent = Mm(side)
    _paragraph_border(paragraph, "top")
    _paragraph_mark_size(paragraph, 2)
    return paragraph


def _borderless_table(document: DocxDocument, widths_mm: Iterable[float]):
    """A one-row table with no borders, fixed column widths and narrow cell margins."""
    widths = list(widths_mm)
    table = document.add_table(rows=1, cols=len(widths))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    tbl_pr = table._tbl.tblPr
    width = tbl_pr.find(qn("w:tblW"))
    if width is None:
        width = OxmlElement("w:tblW")
        tbl_pr.append(width)
    width.set(qn("w:type"), "dxa")
    width.set(qn("w:w"), str(round(sum(widths) / 25.4 * 1440)))
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{side}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    tbl_pr.append(borders)
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        element = OxmlElement(f"w:{side}")
        element.set(qn("w:w"), str(round(CELL_MARGIN_MM / 25.4 * 1440)))
        element.set(qn("w:type"), "dxa")
        margins.append(element)
    tbl_pr.append(margins)
    _reorder_tbl_pr(tbl_pr)
    for column, width_mm in zip(table.columns, widths, strict=True):
        column.width = Mm(width_mm)
        for cell in column.cells:
            cell.width = Mm(width_mm)
    return table


_TBL_PR_ORDER = (
    "w:tblStyle",
    "w:tblpPr",
    "w:tblOverlap",
    "w:bidiVisual",
    "w:tblStyleRowBandSize",
    "w:tblStyleColBandSize",
    "w:tblW",
    "w:jc",
    "w:tblCellSpacing",
    "w:tblInd",
    "w:tblBorders",
    "w:shd",
    "w:tblLayout",
    "w:tblCellMar",
    "w:tblLook",
    "w:tblCaption",
    "w:tblDescription",
)


def _reorder_tbl_pr(tbl_pr) -> None:
    """Put the children of w:tblPr in schema order (Word refuses files where they are not)."""
    order = {qn(tag): index for index, tag in enumerate(_TBL_PR_ORDER)}
    children = sorted(tbl_pr, key=lambda el: order.get(el.tag, len(order)))
    for child in children:
        tbl_pr.remove(child)
        tbl_pr.append(child)


def _add_row(table, widths_mm: list[float]):
    row = table.add_row()
    for cell, width_mm in zip(row.cells, widths_mm, strict=True):
        cell.width = Mm(width_mm)
    return row


def _cant_split(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:cantSplit"))


def _cell_paragraph(cell: _Cell, first: list[bool]) -> Paragraph:
    """The cell's initial empty paragraph on first use, then new ones."""
    if first[0]:
        first[0] = False
        return cell.paragraphs[0]
    return cell.add_paragraph()


def _page_number_field(paragraph: Paragraph, size: float) -> None:
    def fld_run(kind: str | None = None, instr: str | None = None, text: str | None = None):
        run = _run(paragraph, "", size=size)
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
            run._r.append(element)
        if instr:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = instr
            run._r.append(element)
        if text:
            run.text = text

    fld_run("begin")
    fld_run(instr=" PAGE ")
    fld_run("separate")
    fld_run(text="2")
    fld_run("end")


# ---------------------------------------------------------------------------------------------
# The renderer


def render_plan_docx(content: PlanContent, header: DocumentHeader) -> bytes:
    """The plan as a .docx per ND30 Mẫu 1.4 (header, type and title, legal bases, body, recipients
    and signature block)."""
    return _PlanRenderer(content, header).render()


def _is_task_wrapper(block: Block) -> bool:
    """An untitled block holding exactly one task: the task stands at the block's number."""
    return not block.title and not block.paragraphs and not block.children and len(block.tasks) == 1


class _PlanRenderer:
    """Builds one document; methods follow the order of the page."""

    def __init__(self, content: PlanContent, header: DocumentHeader) -> None:
        self.content = content
        self.header = header
        self.document: DocxDocument = Document()
        left = TEXT_WIDTH_MM * LEFT_COLUMN_SHARE
        self.widths = [left, TEXT_WIDTH_MM - left]

    def render(self) -> bytes:
        self._setup_page()
        self._setup_styles()
        self._page_numbers()
        self._header_table()
        self._type_and_title()
        self._legal_bases_and_preamble()
        self._body()
        self._closing()
        self._footer_table()
        buffer = io.BytesIO()
        self.document.save(buffer)
        return buffer.getvalue()

    # -- page and styles ------------------------------------------------------------------

    def _setup_page(self) -> None:
        section = self.document.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width = Mm(PAGE_WIDTH_MM)
        section.page_height = Mm(PAGE_HEIGHT_MM)
        section.top_margin = Mm(MARGIN_TOP_MM)
        section.bottom_margin = Mm(MARGIN_BOTTOM_MM)
        section.left_margin = Mm(MARGIN_LEFT_MM)
        section.right_margin = Mm(MARGIN_RIGHT_MM)
        section.header_distance = Mm(10)
        section.footer_distance = Mm(10)

    def _setup_styles(self) -> None:
        styles = self.document.styles
        defaults = styles.element.find(qn("w:docDefaults"))
        if defaults is not None:
            rpr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
            if rpr is not None:
                _set_rfonts(rpr)
                _set_language(rpr)
        for rfonts in list(styles.element.iter(qn("w:rFonts"))):  # styles and table conditions
            _set_rfonts(rfonts.getparent())
        normal = styles["Normal"]
        normal.font.name = FONT_NAME
        normal.font.size = Pt(BODY_SIZE)
        rpr = normal.element.get_or_add_rPr()
        _set_rfonts(rpr)
        _set_language(rpr)
        fmt = normal.paragraph_format
        fmt.space_before = Pt(0)
        fmt.space_after = Pt(6)
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
        for name in ("Header", "Footer"):
            style = styles[name]
            _set_rfonts(style.element.get_or_add_rPr())
            style.font.size = Pt(BODY_SIZE)

    def _page_numbers(self) -> None:
        """Page number, 14 pt, centred in the top margin; none on page 1."""
        section = self.document.sections[0]
        section.different_first_page_header_footer = True
        first = section.first_page_header
        first.is_linked_to_previous = False
        _format(first.paragraphs[0], align=WD_ALIGN_PARAGRAPH.CENTER, first_line=False, after=0)
        paragraph = section.header.paragraphs[0]
        _format(paragraph, align=WD_ALIGN_PARAGRAPH.CENTER, first_line=False, after=0)
        _page_number_field(paragraph, BODY_SIZE)

    # -- header ---------------------------------------------------------------------------

    def _place(self) -> str:
        return (
            self.header.place or self.content.place or _place_from_issuer(self.header.issuer_name)
        )

    def _header_table(self) -> None:
        """Ô 1–4: issuer | Quốc hiệu and Tiêu ngữ, then "Số" | place and date on the same line."""
        table = _borderless_table(self.document, self.widths)
        row = table.rows[0]
        available = [w - 2 * CELL_MARGIN_MM for w in self.widths]
        left, right = row.cells

        first = [True]
        if self.header.parent_name:
            for line in issuer_lines(self.header.parent_name):
                paragraph = _cell_paragraph(left, first)
                _format(paragraph, align=WD_ALIGN_PARAGRAPH.CENTER, first_line=False, after=0)
                _run(paragraph, line, size=13)
        names = issuer_lines(self.header.issuer_name)
        for line in names:
            paragraph = _cell_paragraph(left, first)
            _format(paragraph, align=WD_ALIGN_PARAGRAPH.CENTER, first_line=False, after=0)
            _run(paragraph, line, size=13, bold=True)
        longest = max((text_width_mm(n, 13, bold=True) for n in names), default=40)
        _rule(left, min(longest, available[0]) * 0.4, available[0])

        first = [True]
        paragraph = _cell_paragraph(right, first)
        _format(paragraph, align=WD_ALIGN_PARAGRAPH.CENTER, first_line=False, after=0)
        _run(paragraph, NATIONAL_TITLE, size=12, bold=True)
        paragraph = _cell_paragraph(right, first)
        _format(paragraph, align=WD_ALIGN_PARAGRAPH.CENTER, first_line=False, after=0)
        _run(paragraph, MOTTO, size=13, bold=True)
        _rule(right, text_width_mm(MOTTO, 13, bold=True), available[1])

        row = _add_row(table, self.widths)
        left, right = row.cells
        paragraph = left.paragraphs[0]
        _format(paragraph, align=WD_ALIGN_PARAGRAPH.CENTER, first_line=False, before=6, after=0)
        _run(
            paragraph,
            format_number(
                self.header.number, self.content.doc_type, self.header.issuer_abbreviation
            ),
            size=13,
        )
        paragraph = right.paragraphs[0]
        _format(paragraph, align=WD_ALIGN_PARAGRAPH.CENTER, first_line=False, before=6, after=0)
        _run(
            paragraph, format_place_date(self._place(), self.header.issued_on), size=13, italic=True
        )

    def _type_and_title(self) -> None:
        """Ô 5a: the type name and the summary line, both 14 bold centred, a short rule below."""
        paragraph = self.document.add_paragraph()
        _format(
            paragraph,
            align=WD_ALIGN_PARAGRAPH.CENTER,
            first_line=False,
            before=18,
            after=0,
            keep_with_next=True,
        )
        _run(paragraph, doc_type_name(self.content.doc_type), bold=True)
        widest = 0.0
        for line in self.content.title.splitlines() or [""]:
            paragraph = self.document.add_paragraph()
            _format(
                paragraph,
                align=WD_ALIGN_PARAGRAPH.CENTER,
                first_line=False,
                after=0,
                keep_with_next=True,
            )
            _run(paragraph, line.strip(), bold=True)
            widest = max(widest, text_width_mm(line.strip(), BODY_SIZE, bold=True))
        line_width = min(widest, TEXT_WIDTH_MM)
        _rule(self.document, max(line_width * 0.4, 20), TEXT_WIDTH_MM, after=12)

    # -- body -----------------------------------------------------------------------------

    def _paragraph(
        self, text: str, *, bold: bool = False, italic: bool = False, keep_with_next: bool = False
    ) -> Paragraph:
        paragraph = self.document.add_paragraph()
        _format(paragraph, keep_with_next=keep_with_next)
        _run(paragraph, text, bold=bold, italic=italic)
        return paragraph

    def _lines(self, text: str) -> list[str]:
        return [line.strip() for line in text.splitlines() if line.strip()]

    def _legal_bases_and_preamble(self) -> None:
        bases = [b.strip().rstrip(" ;.,") for b in self.content.legal_bases if b.strip()]
        for index, basis in enumerate(bases):
            ending = "." if index == len(bases) - 1 else ";"
            self._paragraph(basis + ending, italic=True)
        for line in self._lines(self.content.preamble):
            self._paragraph(line)

    def _body(self) -> None:
        implementation_seen = False
        for index, section in enumerate(self.content.sections, start=1):
            if section.title:
                self._paragraph(
                    f"{roman(index)}. {section.title.upper()}", bold=True, keep_with_next=True
                )
            self._block_contents(section, level=1)
            if section.kind == "implementation" and not implementation_seen:
                implementation_seen = True
                self._reporting_deadlines(section)
        if not implementation_seen:
            self._reporting_deadlines(None)

    def _reporting_deadlines(self, section: Block | None) -> None:
        """Deadlines as paragraphs, unless the section's text already states them."""
        written = " ".join(_normalise(t) for t in _block_texts(section)) if section else ""
        for deadline in self.content.reporting_deadlines:
            if _normalise(deadline.text) not in written:
                self._paragraph(deadline.text)

    def _block_contents(self, block: Block, level: int) -> None:
        """Paragraphs, then children numbered at `level`, then tasks numbered after them."""
        for paragraph in block.paragraphs:
            for line in self._lines(paragraph):
                self._paragraph(line)
        number = 0
        for child in block.children:
            if _is_task_wrapper(child):
                self._task(child.tasks[0], level, _label(level, number))
                number += 1
            elif child.title:
                self._heading(child.title, level, _label(level, number))
                self._block_contents(child, level + 1)
                number += 1
            else:
                self._block_contents(child, level + 1)
        for task in block.tasks:
            self._task(task, level, _label(level, number))
            number += 1

    def _heading(self, title: str, level: int, label: str) -> None:
        self._paragraph(f"{label} {title}", bold=level == 1, keep_with_next=True)

    def _task(self, task: Task, level: int, label: str) -> None:
        """A task: its title as the numbered item, its description, then who, when, how much."""
        self._heading(task.title, level, label)
        for paragraph in task.description:
            for line in self._lines(paragraph):
                self._paragraph(line)
        bullet = "-" if level <= 2 else "+"
        if task.lead_units:
            names = "; ".join(unit.name for unit in task.lead_units)
            self._paragraph(f"{bullet} Đơn vị chủ trì: {names}")
        if task.coordinating_units:
            names = "; ".join(unit.name for unit in task.coordinating_units)
            self._paragraph(f"{bullet} Đơn vị phối hợp: {names}")
        if task.timeline:
            self._paragraph(f"{bullet} Thời gian thực hiện: {task.timeline}")
        if task.budget_vnd is not None:
            self._paragraph(f"{bullet} Dự toán kinh phí: {format_vnd(task.budget_vnd)}")

    def _closing(self) -> None:
        lines = self._lines(self.content.closing)
        if not lines:
            return
        last = lines[-1]
        if not last.endswith("./."):
            lines[-1] = last.rstrip(" .;,") + "./."
        for line in lines:
            self._paragraph(line)

    # -- footer ---------------------------------------------------------------------------

    def _footer_table(self) -> None:
        """Ô 9b "Nơi nhận" on the left, level with ô 7a; the signature block on the right."""
        recipients = self.content.recipients
        table = _borderless_table(self.document, self.widths)
        row = table.rows[0]
        _cant_split(row)
        left, right = row.cells

        first = [True]
        paragraph = _cell_paragraph(left, first)
        _format(paragraph, align=WD_ALIGN_PARAGRAPH.LEFT, first_line=False, before=6, after=0)
        _run(paragraph, "Nơi nhận:", size=12, bold=True, italic=True)
        names = [*recipients.lines, *(unit.name for unit in recipients.units)]
        for name in names:
            text = name.strip().lstrip("-–+• ").strip().rstrip(" ;.,")
            if not text:
                continue
            paragraph = _cell_paragraph(left, first)
            _format(paragraph, align=WD_ALIGN_PARAGRAPH.LEFT, first_line=False, after=0)
            _run(paragraph, f"- {text};", size=11)
        paragraph = _cell_paragraph(left, first)
        _format(paragraph, align=WD_ALIGN_PARAGRAPH.LEFT, first_line=False, after=0)
        _run(paragraph, format_archive_line(recipients.archive), size=11)

        first = [True]
        signature = self.content.signature
        for index, line in enumerate(signature.lines()):
            paragraph = _cell_paragraph(right, first)
            _format(
                paragraph,
                align=WD_ALIGN_PARAGRAPH.CENTER,
                first_line=False,
                before=6 if index == 0 else 0,
                after=0,
            )
            _run(paragraph, line.upper(), bold=True)
        for _ in range(4):  # room for the signature and the seal
            paragraph = _cell_paragraph(right, first)
            _format(paragraph, align=WD_ALIGN_PARAGRAPH.CENTER, first_line=False, after=0)
        paragraph = _cell_paragraph(right, first)
        _format(paragraph, align=WD_ALIGN_PARAGRAPH.CENTER, first_line=False, before=12, after=0)
        _run(paragraph, signature.signer_name, bold=True)


def _label(level: int, index: int) -> str:
    if level == 1:
        return f"{index + 1}."
    if level == 2:
        return f"{point_letter(index)})"
    return "-"


def _block_texts(block: Block) -> list[str]:
    texts = [block.title, *block.paragraphs]
    for task in block.tasks:
        texts.extend([task.title, *task.description])
    for child in block.children:
        texts.extend(_block_texts(child))
    return texts
