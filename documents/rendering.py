"""Render a document's content as a Word file laid out per Nghị định 30/2020/NĐ-CP, Phụ lục I.

Pure module: no models, no database. `render_plan_docx(content, header)` (alias
`render_document_docx`) returns the .docx bytes for every type the system issues, from the same
structured content:

- the types of Mẫu 1.4 ("văn bản có tên loại": Kế hoạch, Báo cáo, Tờ trình, Thông báo, …): type name
  and summary centred in bold, a short rule under them;
- Quyết định (Mẫu 1.2/1.3): "QUYẾT ĐỊNH" / "Về việc …", the authority line (thẩm quyền ban hành),
  legal bases and "Theo đề nghị của …" in italic, "QUYẾT ĐỊNH:", articles "Điều 1. …";
- Công văn (Mẫu 1.5): no type name, "V/v …" in 12 pt under the number, "Kính gửi:".

Common to all: A4 portrait, margins 20/20/30/15 mm, Times New Roman throughout, the header and the
footer as borderless two-column tables, page numbers centred in the top margin from page 2 on, the
urgency and secrecy stamps (ô 10a/10b) as bordered boxes under the number, appendices (Mẫu 2.1) on
new pages, each numbered from its own page 1.

`format_number` and `format_place_date` are public because the issuance step writes the filled-in
number and date into the signed PDF at the positions where this module leaves blanks ("Số:" + a gap
+ "/KH-UBND", "ngày … tháng … năm …" on page 1): keep those blanks in every type.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor
from docx.table import _Cell
from docx.text.paragraph import Paragraph

from .budget import ReviewedFigures, ReviewedLine, reviewed_figures
from .content import (
    DOC_TYPES,
    LETTER,
    SECRECY_LEVELS,
    URGENCY_LEVELS,
    Appendix,
    Block,
    DocumentHeader,
    PlanContent,
    Task,
)

FONT_NAME = "Times New Roman"
BODY_SIZE = 14
NATIONAL_TITLE = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
NBSP = "\u00a0"
#: The gap left for a number or a date part that the clerk fills in at issuance.
BLANK = NBSP * 6

#: Names of document types by their abbreviation (ND30 Phụ lục III, mục I); "" for a công văn.
DOC_TYPE_NAMES: dict[str, str] = DOC_TYPES

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
#: Rules under the issuer, the summary and an appendix title: 1/3–1/2 of the line (here 2/5).
SHORT_RULE_SHARE = 0.4
CELL_MARGIN_MM = 1.0

_ISSUER_SPLIT = re.compile(r"\s+(?=(?:TỈNH|THÀNH PHỐ|HUYỆN|QUẬN|THỊ XÃ|PHƯỜNG|XÃ)\b)")

# ---------------------------------------------------------------------------------------------
# Public formatting helpers


def stable_docx(document: DocxDocument) -> bytes:
    """`document` saved as bytes that depend only on its content: python-docx stamps every zip
    member with the current time, so the same content gave a different file each second. Same
    content, same bytes: a file can be recognised (and its PDF reused) by its hash."""
    buffer = io.BytesIO()
    document.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = info.external_attr
            target.writestr(member, source.read(info.filename))
    return out.getvalue()


def format_symbol(doc_type: str, abbreviation: str, unit_abbreviation: str = "") -> str:
    """The ký hiệu after the number: "KH-UBND"; for a công văn the issuer's and the drafting unit's
    abbreviations, "UBND-VX" (ND30 Phụ lục I, II.3.b: công văn carry no type abbreviation)."""
    parts = [abbreviation, unit_abbreviation] if doc_type == LETTER else [doc_type, abbreviation]
    return "-".join(part.strip() for part in parts if part and part.strip())


def format_number(
    number: int | None, doc_type: str, abbreviation: str, unit_abbreviation: str = ""
) -> str:
    """The "Số" line: "Số: 05/KH-UBND" or "Số: 12/UBND-VX" (at least two digits, "/" and "-", no
    spaces), or "Số:" + a blank gap + "/KH-UBND" while the document has no number yet."""
    symbol = "/" + format_symbol(doc_type, abbreviation, unit_abbreviation)
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


#: What a draft lacks, written where it belongs and highlighted, never filled with a default: an
#: imported file without "Nơi nhận" or without a signature block (documents/intake/footer.py).
GAP_RECIPIENTS = "[Chưa có nơi nhận: bổ sung trước khi trình ký]"
GAP_SIGNATURE = "[Chưa có thẩm quyền ký, chức vụ và người ký: chọn người ký]"


def _gap(paragraph: Paragraph, text: str, *, size: float = BODY_SIZE) -> None:
    """A visibly marked empty place: italic, highlighted."""
    run = _run(paragraph, text, size=size, italic=True)
    run.font.highlight_color = WD_COLOR_INDEX.YELLOW


def format_drafter_mark(initials: str, copies: int | None) -> str:
    """Ô 12: the drafter's initials in upper case, a dot, the number of copies in brackets:
    "PL.(300)"; "PL." or "(300)" when only one is known, "" when neither is."""
    text = re.sub(r"\s+", "", initials or "").strip(".").upper()
    mark = f"{text}." if text else ""
    if copies is not None:
        mark += f"({copies})"
    return mark


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
    """The name printed above the title for a type abbreviation: KH → "KẾ HOẠCH"; "" for CV."""
    return DOC_TYPE_NAMES.get(doc_type, doc_type.upper())


def doc_type_words(doc_type: str) -> str:
    """The type as written inside a sentence: "Kế hoạch", "Quyết định", "Công văn"."""
    name = doc_type_name(doc_type) or "CÔNG VĂN"
    return name.capitalize()


_ADMIN_UNIT = re.compile(r"\b(TỈNH|THÀNH PHỐ|HUYỆN|QUẬN|THỊ XÃ|THỊ TRẤN|PHƯỜNG|XÃ)\s+(\S.*)$")
#: Names kept capitalised inside a sentence.
_PROPER_BODIES = ("Ủy ban nhân dân", "Hội đồng nhân dân")


def issuer_in_text(issuer_name: str) -> str:
    """A body (or an office holder) as written inside a sentence: "ỦY BAN NHÂN DÂN TỈNH ĐỒNG NAI"
    → "Ủy ban nhân dân tỉnh Đồng Nai"; "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH ĐỒNG NAI" → "Chủ tịch Ủy ban
    nhân dân tỉnh Đồng Nai"."""
    name = " ".join(issuer_lines(issuer_name))
    place = ""
    match = _ADMIN_UNIT.search(name)
    if match:
        place = f"{match.group(1).lower()} {match.group(2).title()}"
        name = name[: match.start()].strip()
    text = name.lower().capitalize()
    for body in _PROPER_BODIES:
        text = re.sub(re.escape(body.lower()), body, text, flags=re.IGNORECASE)
    return f"{text} {place}".strip()


def format_attachment_note(
    doc_type: str,
    *,
    number: int | None,
    issued_on: dt.date | None,
    abbreviation: str,
    unit_abbreviation: str = "",
    issuer_name: str = "",
) -> str:
    """The line under an appendix's title: "(Kèm theo Kế hoạch số 05/KH-UBND ngày 05 tháng 01 năm
    2024 của Ủy ban nhân dân tỉnh Đồng Nai)". Before issuance the number and the date stay blank:
    ND30 Phụ lục I, III.1.c leaves them unfilled in electronic documents."""
    number_text = format_number(number, doc_type, abbreviation, unit_abbreviation)
    number_text = number_text.removeprefix("Số:").strip(" ") if number else number_text[3:]
    date_text = format_place_date("", issued_on)
    of = f" của {issuer_in_text(issuer_name)}" if issuer_name.strip() else ""
    return f"(Kèm theo {doc_type_words(doc_type)} số {number_text} {date_text}{of})"


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


#: The longest text a .docx core property takes (python-docx refuses more).
CORE_PROPERTY_MAX = 255


def _core_property(text: str) -> str:
    """`text` cut to what a .docx core property holds, on a word, with an ellipsis."""
    text = text.strip()
    if len(text) <= CORE_PROPERTY_MAX:
        return text
    return text[: CORE_PROPERTY_MAX - 1].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"


#: The gap between a line and the short rule under it (points).
RULE_GAP_PT = 3


def _rule(
    container, width_mm: float, available_mm: float, *, above: Paragraph, after: float = 0
) -> Paragraph:
    """An empty centred paragraph whose top border is a solid rule `width_mm` long, RULE_GAP_PT
    under the paragraph `above` (the last one in `container`).

    The gap is `above`'s space after, never space before the rule's paragraph: Word counts a
    paragraph's space before inside its border, so the top border goes above that space, on the
    descenders of the line above — through the title's last line (LibreOffice draws it below the
    space; Word's layout could not be checked on this machine, LibreOffice's is tested).
    """
    current = above.paragraph_format.space_after
    if current is None or current < Pt(RULE_GAP_PT):
        above.paragraph_format.space_after = Pt(RULE_GAP_PT)
    paragraph = container.add_paragraph()
    _format(paragraph, align=WD_ALIGN_PARAGRAPH.CENTER, first_line=False, before=0, after=after)
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
# Stamps (ô 10a, 10b): a one-cell table of the stamp's size with a single rule


#: The stamps' ink: ND30 Phụ lục I, III.2.b asks for bright red.
STAMP_COLOR = RGBColor(0xFF, 0x00, 0x00)
STAMP_HEIGHT_MM = 8
STAMP_SIZE = 13
#: Ô 11 (circulation note): black, single rule, right of centre over the header (Phụ lục I, mục IV
#: puts it at about 58–85 % of the text width).
CIRCULATION_COLOR = RGBColor(0x00, 0x00, 0x00)
CIRCULATION_CENTRE_SHARE = 0.715
#: Ô 12 and ô 13: 11 pt upright (Phụ lục I, mục V).
DRAFTER_SIZE = 11
CONTACT_SIZE = 11


def _stamp(
    cell,
    text: str,
    width_mm: float,
    available_mm: float,
    *,
    color: RGBColor = STAMP_COLOR,
    indent_mm: float | None = None,
) -> None:
    """A bordered box `width_mm` × 8 mm, centred in `cell` (or `indent_mm` from its left edge), with
    `text` in 13 pt bold capitals. `cell` may also be the document itself (ô 11 on top of page 1)."""
    width_mm = max(width_mm, text_width_mm(text, STAMP_SIZE, bold=True) + 4)
    table = cell.add_table(rows=1, cols=1)
    tbl_pr = table._tbl.tblPr
    for tag in ("w:tblW", "w:jc", "w:tblInd", "w:tblBorders", "w:tblLayout", "w:tblCellMar"):
        for element in tbl_pr.findall(qn(tag)):
            tbl_pr.remove(element)
    tbl_w = OxmlElement("w:tblW")
    tbl_w.set(qn("w:w"), str(_twips(width_mm)))
    tbl_w.set(qn("w:type"), "dxa")
    # Centred by an indent rather than jc: LibreOffice and Word agree on indents in nested tables.
    indent = OxmlElement("w:tblInd")
    if indent_mm is None:
        indent_mm = (available_mm - width_mm) / 2
    indent.set(qn("w:w"), str(_twips(max(indent_mm, 0))))
    indent.set(qn("w:type"), "dxa")
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right"):
        element = OxmlElement(f"w:{side}")
        element.set(qn("w:val"), "single")
        element.set(qn("w:sz"), "8")  # eighths of a point: 1 pt
        element.set(qn("w:space"), "0")
        element.set(qn("w:color"), str(color))
        borders.append(element)
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        element = OxmlElement(f"w:{side}")
        element.set(qn("w:w"), "0")
        element.set(qn("w:type"), "dxa")
        margins.append(element)
    for element in (tbl_w, indent, borders, layout, margins):
        tbl_pr.append(element)
    _reorder_tbl_pr(tbl_pr)
    grid = table._tbl.tblGrid
    for column in grid.findall(qn("w:gridCol")):
        column.set(qn("w:w"), str(_twips(width_mm)))
    row = table.rows[0]
    row.height = Mm(STAMP_HEIGHT_MM)
    row.height_rule = WD_ROW_HEIGHT_RULE.EXACTLY
    box = row.cells[0]
    box.width = Mm(width_mm)
    box.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    paragraph = box.paragraphs[0]
    _format(paragraph, align=WD_ALIGN_PARAGRAPH.CENTER, first_line=False, after=0)
    run = _run(paragraph, text.upper(), size=STAMP_SIZE, bold=True)
    run.font.color.rgb = color
    # Word needs a paragraph after a nested table (and one between two tables); keep it small.
    after = cell.paragraphs[-1] if isinstance(cell, _Cell) else cell.add_paragraph()
    _format(after, align=WD_ALIGN_PARAGRAPH.CENTER, first_line=False, after=0)
    _paragraph_mark_size(after, 4)


def _twips(mm: float) -> int:
    return round(mm / 25.4 * 1440)


# ---------------------------------------------------------------------------------------------
# The renderer


def render_plan_docx(content: PlanContent, header: DocumentHeader) -> bytes:
    """The document as a .docx per ND30 Phụ lục I and the Mẫu of its type (1.4 for Kế hoạch and the
    other named types, 1.2/1.3 for a Quyết định, 1.5 for a Công văn; 2.1 for its appendices)."""
    return _DocumentRenderer(content, header).render()


#: The same renderer under a name that does not suggest plans only.
render_document_docx = render_plan_docx


def _is_task_wrapper(block: Block) -> bool:
    """An untitled block holding exactly one task: the task stands at the block's number."""
    return not block.title and not block.paragraphs and not block.children and len(block.tasks) == 1


def _clean_item(text: str) -> str:
    """A list line without its leading dash and trailing punctuation."""
    return text.strip().lstrip("-–+• ").strip().rstrip(" ;.,")


def _with_end(text: str, end: str) -> str:
    """`text` ending with exactly `end` (";" or "."), whatever punctuation it had."""
    return text.rstrip(" ;.,") + end


class _DocumentRenderer:
    """Builds one document; methods follow the order of the page."""

    def __init__(self, content: PlanContent, header: DocumentHeader) -> None:
        self.content = content
        self.header = header
        self.document: DocxDocument = Document()
        left = TEXT_WIDTH_MM * LEFT_COLUMN_SHARE
        self.widths = [left, TEXT_WIDTH_MM - left]
        self.last_body_paragraph: Paragraph | None = None
        # Sở Tài chính's reviewed figures, by task (the same Task objects the body walks).
        self.budget_figures: ReviewedFigures | None = None
        self.reviewed_lines: dict[int, ReviewedLine] = {}
        if header.budget_review:
            self.budget_figures = reviewed_figures(content, list(header.budget_review))
            tasks = content.all_tasks()
            self.reviewed_lines = {
                id(tasks[index]): line for index, line in self.budget_figures.lines.items()
            }

    def render(self) -> bytes:
        self._setup_page()
        self._setup_styles()
        self._page_numbers()
        self._contact_line()
        self._circulation_note()
        self._header_table()
        if self.content.is_letter:
            self._addressees()
        else:
            self._type_and_title()
            if self.content.is_decision:
                self._decision_authority()
            else:
                self._addressees()
        self._legal_bases_and_preamble()
        if self.content.is_decision:
            self._decision_word()
            self._articles()
        else:
            self._body()
        self._closing()
        self._footer_table()
        self._appendices()
        self._properties()
        return stable_docx(self.document)

    # -- page and styles ------------------------------------------------------------------

    def _properties(self) -> None:
        """File properties (carried into the PDF's metadata): the summary, the issuer, Vietnamese."""
        properties = self.document.core_properties
        name = doc_type_name(self.content.doc_type)
        title = " ".join(self._lines(self.content.title))
        properties.title = _core_property(f"{name.capitalize()} {title}" if name else title)
        properties.author = _core_property(" ".join(issuer_lines(self.header.issuer_name)))
        properties.last_modified_by = properties.author
        properties.language = "vi-VN"
        properties.subject = self._number_text().removeprefix("Số:").strip()
        properties.comments = ""

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

    def _contact_line(self) -> None:
        """Ô 13: address, phone, e-mail, website in 11 pt upright, on page 1 only (the first-page
        footer), under a solid rule across the whole text area."""
        text = self.content.contact_line.strip()
        if not text:
            return
        footer = self.document.sections[0].first_page_footer
        footer.is_linked_to_previous = False
        paragraph = footer.paragraphs[0]
        _format(paragraph, align=WD_ALIGN_PARAGRAPH.CENTER, first_line=False, after=0)
        paragraph.paragraph_format.left_indent = Mm(0)
        paragraph.paragraph_format.right_indent = Mm(0)
        _paragraph_border(paragraph, "top")
        _run(paragraph, text, size=CONTACT_SIZE)

    # -- header ---------------------------------------------------------------------------

    def _circulation_note(self) -> None:
        """Ô 11: "XEM XONG TRẢ LẠI", "LƯU HÀNH NỘI BỘ" … upper case, 13 pt bold, in a single-rule
        box at the top of page 1, right of centre, above the header table."""
        text = self.content.circulation_note.strip().upper()
        if not text:
            return
        width = text_width_mm(text, STAMP_SIZE, bold=True) + 6
        indent = TEXT_WIDTH_MM * CIRCULATION_CENTRE_SHARE - width / 2
        indent = min(max(indent, TEXT_WIDTH_MM / 2), TEXT_WIDTH_MM - width)
        _stamp(
            self.document,
            text,
            width,
            TEXT_WIDTH_MM,
            color=CIRCULATION_COLOR,
            indent_mm=max(indent, 0),
        )
        self.document.paragraphs[-1].paragraph_format.space_after = Pt(6)

    def _place(self) -> str:
        return (
            self.header.place or self.content.place or _place_from_issuer(self.header.issuer_name)
        )

    def _number_text(self) -> str:
        return format_number(
            self.header.number,
            self.content.doc_type,
            self.header.issuer_abbreviation,
            self.content.drafting_unit_abbreviation,
        )

    def _header_table(self) -> None:
        """Ô 1–4: issuer | Quốc hiệu and Tiêu ngữ, then "Số" | place and date on the same line;
        under "Số" the công văn's "V/v …" (ô 5b) and the secrecy and urgency stamps (ô 10a, 10b)."""
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
        # Rule under the issuer: 1/3–1/2 of its (longest) line, centred (Phụ lục I, II.2.b).
        longest = max((text_width_mm(n, 13, bold=True) for n in names), default=40)
        _rule(left, min(longest, available[0]) * SHORT_RULE_SHARE, available[0], above=paragraph)

        first = [True]
        paragraph = _cell_paragraph(right, first)
        _format(paragraph, align=WD_ALIGN_PARAGRAPH.CENTER, first_line=False, after=0)
        _run(paragraph, NATIONAL_TITLE, size=12, bold=True)
        paragraph = _cell_paragraph(right, first)
        _format(paragraph, align=WD_ALIGN_PARAGRAPH.CENTER, first_line=False, after=0)
        _run(paragraph, MOTTO, size=13, bold=True)
        # Rule under the motto: as long as the motto (Phụ lục I, II.1.b).
        _rule(right, text_width_mm(MOTTO, 13, bold=True), available[1], above=paragraph)

        row = _add_row(table, self.widths)
        left, right = row.cells
        paragraph = left.paragraphs[0]
        _format(paragraph, align=WD_ALIGN_PARAGRAPH.CENTER, first_line=False, before=6, after=0)
        _run(paragraph, self._number_text(), size=13)
        if self.content.is_letter:
            # Ô 5b: "V/v …" 12 pt upright, centred under the number, 6 pt below it.
            for index, line in enumerate(self._letter_summary_lines()):
                paragraph = left.add_paragraph()
                _format(
                    paragraph,
                    align=WD_ALIGN_PARAGRAPH.CENTER,
                    first_line=False,
                    before=6 if index == 0 else 0,
                    after=0,
                )
                _run(paragraph, line, size=12)
        stamps = [
            (self.content.secrecy, SECRECY_LEVELS.get(self.content.secrecy, 0)),
            (self.content.urgency, URGENCY_LEVELS.get(self.content.urgency, 0)),
        ]
        for text, width in stamps:
            if text:
                left.paragraphs[-1].paragraph_format.space_after = Pt(6)
                _stamp(left, text, width, available[0])
        paragraph = right.paragraphs[0]
        _format(paragraph, align=WD_ALIGN_PARAGRAPH.CENTER, first_line=False, before=6, after=0)
        _run(
            paragraph, format_place_date(self._place(), self.header.issued_on), size=13, italic=True
        )

    def _letter_summary_lines(self) -> list[str]:
        """The công văn's summary after "V/v" (ND30 Phụ lục I, II.5.b)."""
        lines = [line.strip() for line in self.content.title.splitlines() if line.strip()] or [""]
        first = re.sub(r"(?i)^v\s*/\s*v\.?\s*:?\s*", "", lines[0])
        lines[0] = f"V/v {first}".strip()
        return lines

    def _title_lines(self) -> list[str]:
        lines = [line.strip() for line in self.content.title.splitlines() if line.strip()] or [""]
        if self.content.is_decision and lines[0][:1].islower():
            # A decision's summary reads "Về việc …" (Mẫu 1.2) when typed as a bare phrase.
            lines[0] = f"Về việc {lines[0]}"
        return lines

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
        for line in self._title_lines():
            paragraph = self.document.add_paragraph()
            _format(
                paragraph,
                align=WD_ALIGN_PARAGRAPH.CENTER,
                first_line=False,
                after=0,
                keep_with_next=True,
            )
            _run(paragraph, line, bold=True)
            widest = max(widest, text_width_mm(line, BODY_SIZE, bold=True))
        # Rule under the summary: 1/3–1/2 of the line, centred (Phụ lục I, II.5.b).
        line_width = min(widest, TEXT_WIDTH_MM)
        _rule(
            self.document,
            max(line_width * SHORT_RULE_SHARE, 20),
            TEXT_WIDTH_MM,
            above=paragraph,
            after=6 if self.content.is_decision else 12,
        )

    def _decision_authority(self) -> None:
        """Mẫu 1.2: the authority that decides, upper case bold centred, e.g. "CHỦ TỊCH ỦY BAN NHÂN
        DÂN TỈNH ĐỒNG NAI" when the head issues, the body's name when the collective does."""
        text = self._decision_authority_text()
        paragraph = self.document.add_paragraph()
        _format(
            paragraph,
            align=WD_ALIGN_PARAGRAPH.CENTER,
            first_line=False,
            before=6,
            after=12,
            keep_with_next=True,
        )
        _run(paragraph, text.strip(), bold=True)

    def _decision_authority_text(self) -> str:
        text = self.content.issuing_authority.upper().strip()
        if text:
            return text
        issuer = " ".join(issuer_lines(self.header.issuer_name))
        if self.content.is_issued_by_individual:
            signature = self.content.signature
            head = signature.deputy_for or signature.position or "CHỦ TỊCH"
            return f"{head.upper()} {issuer}"
        return issuer

    def _addressees(self) -> None:
        """Ô 9a "Kính gửi:" (14 pt upright). One addressee on the same line; several one per line,
        "-" first, ";" last, "." on the last line, the dashes aligned under the colon."""
        names = [_clean_item(name) for name in self.content.addressees]
        names = [name for name in names if name]
        if not names:
            return
        label = "Kính gửi:"
        if len(names) == 1:
            paragraph = self.document.add_paragraph()
            _format(paragraph, align=WD_ALIGN_PARAGRAPH.CENTER, first_line=False, before=12)
            _run(paragraph, f"{label} {names[0]}")
            return
        label_mm = text_width_mm(label, BODY_SIZE)
        dash_mm = text_width_mm("- ", BODY_SIZE)
        lines = [f"- {name};" for name in names[:-1]] + [f"- {names[-1]}."]
        widest = max(text_width_mm(line, BODY_SIZE) for line in lines)
        block = label_mm + 1 + widest
        indent = min(max((TEXT_WIDTH_MM - block) / 2, TEXT_WIDTH_MM * 0.12), TEXT_WIDTH_MM * 0.41)
        paragraph = self.document.add_paragraph()
        _format(paragraph, align=WD_ALIGN_PARAGRAPH.LEFT, first_line=False, before=12, after=0)
        paragraph.paragraph_format.left_indent = Mm(indent)
        paragraph.paragraph_format.keep_with_next = True
        _run(paragraph, label)
        for index, line in enumerate(lines):
            paragraph = self.document.add_paragraph()
            last = index == len(lines) - 1
            _format(
                paragraph, align=WD_ALIGN_PARAGRAPH.LEFT, first_line=False, after=6 if last else 0
            )
            # The dash sits under the colon; a wrapped name continues after the dash.
            paragraph.paragraph_format.left_indent = Mm(indent + label_mm + dash_mm)
            paragraph.paragraph_format.first_line_indent = Mm(-dash_mm)
            _run(paragraph, line)

    # -- body -----------------------------------------------------------------------------

    def _paragraph(
        self,
        text: str,
        *,
        bold: bool = False,
        italic: bool = False,
        keep_with_next: bool = False,
        lead: str = "",
    ) -> Paragraph:
        """A body paragraph; `lead` is a bold opening ("Điều 1. ") before regular `text`."""
        paragraph = self.document.add_paragraph()
        _format(paragraph, keep_with_next=keep_with_next)
        if lead:
            _run(paragraph, lead, bold=True)
        _run(paragraph, text, bold=bold, italic=italic)
        self.last_body_paragraph = paragraph
        return paragraph

    def _lines(self, text: str) -> list[str]:
        return [line.strip() for line in text.splitlines() if line.strip()]

    def _legal_bases_and_preamble(self) -> None:
        """Legal bases in italic, one a line, ";" after each and "." after the last; a decision's
        "Theo đề nghị của …" closes the list (Phụ lục I, II.6.a; Mẫu 1.2)."""
        lines = [b.strip().rstrip(" ;.,") for b in self.content.legal_bases if b.strip()]
        proposer = self.content.proposer.strip().rstrip(" ;.,")
        if proposer:
            if not re.match(r"(?i)^theo đề nghị", proposer):
                proposer = f"Theo đề nghị của {proposer}"
            lines.append(proposer)
        for index, line in enumerate(lines):
            self._paragraph(_with_end(line, "." if index == len(lines) - 1 else ";"), italic=True)
        for line in self._lines(self.content.preamble):
            self._paragraph(line)

    def _decision_word(self) -> None:
        """Mẫu 1.2: "QUYẾT ĐỊNH:" on its own line, centred, bold."""
        paragraph = self.document.add_paragraph()
        _format(
            paragraph,
            align=WD_ALIGN_PARAGRAPH.CENTER,
            first_line=False,
            before=6,
            after=6,
            keep_with_next=True,
        )
        _run(paragraph, f"{doc_type_name(self.content.doc_type)}:", bold=True)

    def _articles(self) -> None:
        """A decision's sections are its articles: "Điều 1. <title>" bold, indented like the body
        (Phụ lục I, II.6.đ); an untitled article starts its first paragraph. Items inside are
        khoản 1., 2. and points a), b)."""
        for index, section in enumerate(self.content.sections, start=1):
            lead = f"Điều {index}."
            paragraphs = [line for p in section.paragraphs for line in self._lines(p)]
            if section.title:
                self._paragraph(f"{lead} {section.title}", bold=True, keep_with_next=True)
            elif paragraphs:
                self._paragraph(paragraphs.pop(0), lead=f"{lead} ")
            else:
                self._paragraph(lead, bold=True, keep_with_next=True)
            rest = dataclasses.replace(section, paragraphs=paragraphs)
            self._block_contents(rest, level=1, number_untitled=True)

    def _body(self) -> None:
        implementation_seen = False
        for index, section in enumerate(self.content.sections, start=1):
            if section.title:
                self._paragraph(
                    f"{roman(index)}. {section.title.upper()}", bold=True, keep_with_next=True
                )
            self._block_contents(section, level=1)
            if section.kind == "budget":
                self._budget_totals()
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

    def _block_contents(self, block: Block, level: int, *, number_untitled: bool = False) -> None:
        """Paragraphs, then children numbered at `level`, then tasks numbered after them.

        `number_untitled`: an untitled child with text is numbered on its first paragraph (a
        decision's khoản "1. Quyết định này có hiệu lực …"); otherwise it continues unnumbered."""
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
                self._block_contents(child, level + 1, number_untitled=number_untitled)
                number += 1
            elif number_untitled and child.paragraphs:
                lines = [line for p in child.paragraphs for line in self._lines(p)]
                self._paragraph(f"{_label(level, number)} {lines[0]}")
                rest = dataclasses.replace(child, paragraphs=lines[1:])
                self._block_contents(rest, level + 1, number_untitled=True)
                number += 1
            else:
                self._block_contents(child, level + 1, number_untitled=number_untitled)
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
            line = self.reviewed_lines.get(id(task))
            text = f"{bullet} Dự toán kinh phí: {format_vnd(task.budget_vnd)}"
            if line is not None and line.is_adjusted:
                text += f"; Sở Tài chính thẩm định: {format_vnd(line.reviewed_vnd)}"
            self._paragraph(text)
        if task.budget_source:
            self._paragraph(f"{bullet} Nguồn kinh phí: {task.budget_source}")

    def _budget_totals(self) -> None:
        """The budget section's totals once Sở Tài chính has reviewed the budget: the estimate,
        and the reviewed total where lines were adjusted."""
        figures = self.budget_figures
        if figures is None:
            return
        self._paragraph(f"Tổng dự toán kinh phí: {format_vnd(figures.total_vnd)}.")
        if figures.is_adjusted:
            self._paragraph(
                "Tổng kinh phí theo thẩm định của Sở Tài chính: "
                f"{format_vnd(figures.reviewed_total_vnd)}."
            )

    def _closing(self) -> None:
        """The closing lines; the content ends with "./.". A decision or a công văn without a
        closing ends its last body paragraph with it instead."""
        lines = self._lines(self.content.closing)
        if not lines:
            if (self.content.is_decision or self.content.is_letter) and self.last_body_paragraph:
                runs = [r for r in self.last_body_paragraph.runs if r.text.strip()]
                if runs and not runs[-1].text.endswith("./."):
                    runs[-1].text = runs[-1].text.rstrip(" .;,:") + "./."
            return
        last = lines[-1]
        if not last.endswith("./."):
            lines[-1] = last.rstrip(" .;,") + "./."
        for line in lines:
            self._paragraph(line)

    # -- footer ---------------------------------------------------------------------------

    def _recipient_lines(self) -> list[str]:
        """The "Nơi nhận" list: "- Như trên;" first when there is a "Kính gửi" (II.9.b), then the
        lines and the directory units, each "- …;", then "- Lưu: VT, …."."""
        recipients = self.content.recipients
        names = [_clean_item(n) for n in (*recipients.lines, *(u.name for u in recipients.units))]
        names = [name for name in names if name]
        if self.content.addressees and not any(n.lower() == "như trên" for n in names):
            names.insert(0, "Như trên")
        return [f"- {name};" for name in names] + [format_archive_line(recipients.archive)]

    def _lacks_recipients(self) -> bool:
        """No recipient at all: none listed and no "Kính gửi" ("Như trên")."""
        recipients = self.content.recipients
        names = (*recipients.lines, *(u.name for u in recipients.units))
        return not self.content.addressees and not any(_clean_item(n) for n in names)

    def _footer_table(self) -> None:
        """Ô 9b "Nơi nhận" on the left, level with ô 7a; the signature block on the right."""
        table = _borderless_table(self.document, self.widths)
        row = table.rows[0]
        _cant_split(row)
        left, right = row.cells

        first = [True]
        paragraph = _cell_paragraph(left, first)
        _format(paragraph, align=WD_ALIGN_PARAGRAPH.LEFT, first_line=False, before=6, after=0)
        _run(paragraph, "Nơi nhận:", size=12, bold=True, italic=True)
        if self._lacks_recipients():
            paragraph = _cell_paragraph(left, first)
            _format(paragraph, align=WD_ALIGN_PARAGRAPH.LEFT, first_line=False, after=0)
            _gap(paragraph, GAP_RECIPIENTS, size=11)
        for line in self._recipient_lines():
            paragraph = _cell_paragraph(left, first)
            _format(paragraph, align=WD_ALIGN_PARAGRAPH.LEFT, first_line=False, after=0)
            _run(paragraph, line, size=11)
        drafter = format_drafter_mark(self.content.drafter_initials, self.content.copies)
        if drafter:
            # Ô 12: under the "Nơi nhận" list, 11 pt upright.
            paragraph = _cell_paragraph(left, first)
            _format(paragraph, align=WD_ALIGN_PARAGRAPH.LEFT, first_line=False, before=6, after=0)
            _run(paragraph, drafter, size=DRAFTER_SIZE)

        first = [True]
        signature = self.content.signature
        lines = signature.lines(individual=self.content.is_issued_by_individual)
        if not lines and not signature.signer_name:
            paragraph = _cell_paragraph(right, first)
            _format(paragraph, align=WD_ALIGN_PARAGRAPH.CENTER, first_line=False, before=6, after=0)
            _gap(paragraph, GAP_SIGNATURE)
        for index, line in enumerate(lines):
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

    # -- appendices (Mẫu 2.1) --------------------------------------------------------------

    def _appendices(self) -> None:
        """Each appendix on a new page, as a section of its own whose pages are numbered from 1
        (no number on its first page): "Phụ lục I" 14 bold (numbered in Roman only when there are
        two or more, Phụ lục I, III.1.a), its title upper case bold, "(Kèm theo …)" italic, a short
        rule, then its sections numbered afresh."""
        appendices = self.content.appendices
        for index, appendix in enumerate(appendices, start=1):
            self._new_numbered_section()
            label = f"Phụ lục {roman(index)}" if len(appendices) > 1 else "Phụ lục"
            paragraph = self.document.add_paragraph()
            _format(paragraph, align=WD_ALIGN_PARAGRAPH.CENTER, first_line=False, after=0)
            _run(paragraph, label, bold=True)
            widest = 0.0
            for line in self._lines(appendix.title) or [""]:
                paragraph = self.document.add_paragraph()
                _format(paragraph, align=WD_ALIGN_PARAGRAPH.CENTER, first_line=False, after=0)
                _run(paragraph, line.upper(), bold=True)
                widest = max(widest, text_width_mm(line.upper(), BODY_SIZE, bold=True))
            paragraph = self.document.add_paragraph()
            _format(paragraph, align=WD_ALIGN_PARAGRAPH.CENTER, first_line=False, after=0)
            _run(paragraph, self._attachment_note(), italic=True)
            _rule(
                self.document,
                max(min(widest, TEXT_WIDTH_MM) * SHORT_RULE_SHARE, 20),
                TEXT_WIDTH_MM,
                above=paragraph,
                after=12,
            )
            self._appendix_body(appendix)

    def _attachment_note(self) -> str:
        return format_attachment_note(
            self.content.doc_type,
            number=self.header.number,
            issued_on=self.header.issued_on,
            abbreviation=self.header.issuer_abbreviation,
            unit_abbreviation=self.content.drafting_unit_abbreviation,
            issuer_name=(
                self._decision_authority_text()
                if self.content.is_decision
                else self.header.issuer_name
            ),
        )

    def _appendix_body(self, appendix: Appendix) -> None:
        for index, section in enumerate(appendix.sections, start=1):
            if section.title:
                self._paragraph(
                    f"{roman(index)}. {section.title.upper()}", bold=True, keep_with_next=True
                )
            self._block_contents(section, level=1)

    def _new_numbered_section(self) -> None:
        """A new page starting a section whose page numbers restart at 1 (none on its page 1)."""
        section = self.document.add_section(WD_SECTION.NEW_PAGE)
        section.different_first_page_header_footer = True
        if self.content.contact_line.strip():
            # Ô 13 is on the document's page 1 only: not on an appendix's first page.
            section.first_page_footer.is_linked_to_previous = False
        sect_pr = section._sectPr
        for element in sect_pr.findall(qn("w:pgNumType")):
            sect_pr.remove(element)
        numbering = OxmlElement("w:pgNumType")
        numbering.set(qn("w:start"), "1")
        sect_pr.insert_element_before(
            numbering,
            "w:cols",
            "w:formProt",
            "w:vAlign",
            "w:noEndnote",
            "w:titlePg",
            "w:textDirection",
            "w:bidi",
            "w:rtlGutter",
            "w:docGrid",
            "w:printerSettings",
            "w:sectPrChange",
        )


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
