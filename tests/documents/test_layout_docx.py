"""Every element of ND30 Phụ lục I in the rendered .docx, for KH, a Mẫu 1.4 type (BC), QĐ and CV.

Table-driven: `ELEMENTS` names each element of the Phụ lục I table with where it is found and what
it must look like (case, size, bold, italic, alignment, text); each row runs for every type it
applies to. The page, fonts, spacing, rules, stamps, numbering and appendix checks follow.
Pure: no database, no LibreOffice.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import docx
import pytest
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_ROW_HEIGHT_RULE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt

from documents.content import PlanContent
from documents.rendering import (
    BLANK,
    MOTTO,
    NATIONAL_TITLE,
    render_plan_docx,
    text_width_mm,
)

from .test_layout_samples import SAMPLES, header

TNR = "Times New Roman"
TYPES = tuple(SAMPLES)  # KH, BC, QĐ, CV
NAMED = ("KH", "BC", "QĐ")  # types with a type name (ô 5a)
ISSUED = {"number": 5, "issued_on": dt.date(2024, 1, 5)}
NUMBERS = {
    "KH": "Số: 05/KH-UBND",
    "BC": "Số: 05/BC-UBND",
    "QĐ": "Số: 05/QĐ-UBND",
    "CV": "Số: 05/UBND-VX",
}


@functools.lru_cache(maxsize=16)
def _rendered(doc_type: str, issued: bool = True) -> Any:
    content = SAMPLES[doc_type]()
    data = render_plan_docx(content, header(**(ISSUED if issued else {})))
    return docx.Document(io.BytesIO(data))


def _content(doc_type: str) -> PlanContent:
    return SAMPLES[doc_type]()


# ---------------------------------------------------------------------------------------------
# Locating elements


def _texts(cell_or_doc: Any) -> list[Any]:
    return [p for p in cell_or_doc.paragraphs if p.text.strip()]


def _header_cell(document: Any, row: int, column: int) -> Any:
    return document.tables[0].rows[row].cells[column]


def _footer_cell(document: Any, column: int) -> Any:
    return document.tables[-1].rows[0].cells[column]


def _body(document: Any) -> list[Any]:
    return _texts(document)


def _main_body(document: Any) -> list[Any]:
    """The body before the first appendix."""
    paragraphs = _body(document)
    texts = [p.text for p in paragraphs]
    end = next((i for i, t in enumerate(texts) if re.fullmatch(r"Phụ lục( [IVX]+)?", t)), None)
    return paragraphs[:end]


def _body_index(document: Any, text: str) -> int:
    texts = [p.text for p in _body(document)]
    return texts.index(text)


def _type_name(document: Any) -> list[Any]:
    return _body(document)[:1]


def _title(document: Any) -> list[Any]:
    return _body(document)[1:2]


def _legal_bases(document: Any) -> list[Any]:
    return [p for p in _body(document) if re.match(r"^(Căn cứ|Thực hiện|Theo đề nghị)", p.text)]


def _first_body_paragraph(document: Any) -> list[Any]:
    """The first paragraph of running text of the samples."""
    starts = ("Tuyên truyền", "Thành lập Tổ")
    return [p for p in _main_body(document) if p.text.startswith(starts)][:1]


def _paragraphs_matching(pattern: str) -> Callable[[Any], list[Any]]:
    def find(document: Any) -> list[Any]:
        return [p for p in _main_body(document) if re.match(pattern, p.text)]

    return find


def _signature_lines(document: Any) -> list[Any]:
    lines = _texts(_footer_cell(document, 1))
    return lines[:-1]


def _signer_name(document: Any) -> list[Any]:
    return _texts(_footer_cell(document, 1))[-1:]


@dataclass(frozen=True)
class Element:
    """One row of the Phụ lục I table: where to find it, and how it must look."""

    name: str
    types: tuple[str, ...]
    find: Callable[[Any], list[Any]]
    size: float
    bold: bool
    italic: bool
    align: Any
    case: str = ""  # "upper", or "" for mixed case
    text: str | None = None  # regex the (first) paragraph's text must match in full


ELEMENTS = [
    Element(
        "Quốc hiệu (ô 1)",
        TYPES,
        lambda d: _texts(_header_cell(d, 0, 1))[:1],
        12,
        True,
        False,
        WD_ALIGN_PARAGRAPH.CENTER,
        "upper",
        re.escape(NATIONAL_TITLE),
    ),
    Element(
        "Tiêu ngữ (ô 1)",
        TYPES,
        lambda d: _texts(_header_cell(d, 0, 1))[1:2],
        13,
        True,
        False,
        WD_ALIGN_PARAGRAPH.CENTER,
        "",
        re.escape(MOTTO),
    ),
    Element(
        "Tên cơ quan ban hành (ô 2)",
        TYPES,
        lambda d: _texts(_header_cell(d, 0, 0)),
        13,
        True,
        False,
        WD_ALIGN_PARAGRAPH.CENTER,
        "upper",
    ),
    Element(
        "Số, ký hiệu (ô 3)",
        TYPES,
        lambda d: _header_cell(d, 1, 0).paragraphs[:1],
        13,
        False,
        False,
        WD_ALIGN_PARAGRAPH.CENTER,
        "",
        r"Số: \d{2,}/[A-ZĐ][A-Za-zĐ]*-[A-Z]+",
    ),
    Element(
        "Địa danh, ngày tháng (ô 4)",
        TYPES,
        lambda d: _header_cell(d, 1, 1).paragraphs[:1],
        13,
        False,
        True,
        WD_ALIGN_PARAGRAPH.CENTER,
        "",
        r"Đồng Nai, ngày 05 tháng 01 năm 2024",
    ),
    Element(
        "Tên loại (ô 5a)",
        NAMED,
        _type_name,
        14,
        True,
        False,
        WD_ALIGN_PARAGRAPH.CENTER,
        "upper",
        r"KẾ HOẠCH|BÁO CÁO|QUYẾT ĐỊNH",
    ),
    Element(
        "Trích yếu (ô 5a)",
        NAMED,
        _title,
        14,
        True,
        False,
        WD_ALIGN_PARAGRAPH.CENTER,
    ),
    Element(
        "Trích yếu công văn V/v (ô 5b)",
        ("CV",),
        lambda d: _header_cell(d, 1, 0).paragraphs[1:2],
        12,
        False,
        False,
        WD_ALIGN_PARAGRAPH.CENTER,
        "",
        r"V/v .+",
    ),
    Element(
        "Căn cứ ban hành (ô 6)",
        ("KH", "QĐ"),
        _legal_bases,
        14,
        False,
        True,
        WD_ALIGN_PARAGRAPH.JUSTIFY,
    ),
    Element(
        "Nội dung (ô 6)",
        TYPES,
        _first_body_paragraph,
        14,
        False,
        False,
        WD_ALIGN_PARAGRAPH.JUSTIFY,
    ),
    Element(
        "Mục I., II. (ô 6)",
        ("KH", "BC"),
        _paragraphs_matching(r"^[IVX]+\. "),
        14,
        True,
        False,
        WD_ALIGN_PARAGRAPH.JUSTIFY,
        "upper",
    ),
    Element(
        "Khoản có tiêu đề 1. (ô 6)",
        ("KH",),
        _paragraphs_matching(r"^\d+\. "),
        14,
        True,
        False,
        WD_ALIGN_PARAGRAPH.JUSTIFY,
    ),
    Element(
        "Điểm a) (ô 6)",
        ("KH",),
        _paragraphs_matching(r"^[a-zđ]\) "),
        14,
        False,
        False,
        WD_ALIGN_PARAGRAPH.JUSTIFY,
        "",
        r"[a-zđ]\) .+",
    ),
    Element(
        "Điều có tiêu đề (ô 6)",
        ("QĐ",),
        _paragraphs_matching(r"^Điều 1\. "),
        14,
        True,
        False,
        WD_ALIGN_PARAGRAPH.JUSTIFY,
        "",
        r"Điều 1\. Thành lập Tổ công tác",
    ),
    Element(
        "Khoản không tiêu đề 1. (ô 6)",
        ("QĐ",),
        _paragraphs_matching(r"^\d+\. "),
        14,
        False,
        False,
        WD_ALIGN_PARAGRAPH.JUSTIFY,
    ),
    Element(
        "Thẩm quyền ban hành quyết định",
        ("QĐ",),
        _paragraphs_matching(r"^CHỦ TỊCH ỦY BAN"),
        14,
        True,
        False,
        WD_ALIGN_PARAGRAPH.CENTER,
        "upper",
        r"CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH ĐỒNG NAI",
    ),
    Element(
        "QUYẾT ĐỊNH: (Mẫu 1.2)",
        ("QĐ",),
        _paragraphs_matching(r"^QUYẾT ĐỊNH:$"),
        14,
        True,
        False,
        WD_ALIGN_PARAGRAPH.CENTER,
        "upper",
    ),
    Element(
        "Kính gửi (ô 9a)",
        ("BC", "CV"),
        _paragraphs_matching(r"^(Kính gửi:|- )"),
        14,
        False,
        False,
        WD_ALIGN_PARAGRAPH.LEFT,
    ),
    Element(
        "Quyền hạn, chức vụ (ô 7a)",
        TYPES,
        _signature_lines,
        14,
        True,
        False,
        WD_ALIGN_PARAGRAPH.CENTER,
        "upper",
    ),
    Element(
        "Họ tên người ký (ô 7b)",
        TYPES,
        _signer_name,
        14,
        True,
        False,
        WD_ALIGN_PARAGRAPH.CENTER,
        "",
        r"Nguyễn Thị Hoàng",
    ),
    Element(
        "Nơi nhận: (ô 9b)",
        TYPES,
        lambda d: _texts(_footer_cell(d, 0))[:1],
        12,
        True,
        True,
        WD_ALIGN_PARAGRAPH.LEFT,
        "",
        r"Nơi nhận:",
    ),
    Element(
        "Danh sách nơi nhận (ô 9b)",
        TYPES,
        lambda d: _texts(_footer_cell(d, 0))[1:],
        11,
        False,
        False,
        WD_ALIGN_PARAGRAPH.LEFT,
        "",
        r"- .+[;.]",
    ),
]


def _slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _run_style(paragraph: Any) -> tuple[bool, bool, float]:
    runs = [r for r in paragraph.runs if r.text.strip()]
    assert runs, f"no text in {paragraph.text!r}"
    sizes = {r.font.size.pt for r in runs}
    assert len(sizes) == 1, f"mixed sizes in {paragraph.text!r}: {sizes}"
    return all(bool(r.bold) for r in runs), all(bool(r.italic) for r in runs), sizes.pop()


@pytest.mark.parametrize(
    ("element", "doc_type"),
    [
        pytest.param(element, doc_type, id=_slug(f"{element.name}-{doc_type}"))
        for element in ELEMENTS
        for doc_type in element.types
    ],
)
def test_element_case_size_style_and_alignment(element: Element, doc_type: str) -> None:
    # given a rendered document of the type / when the element is located / then its case, size,
    # weight, slant and alignment are those of the Phụ lục I table
    paragraphs = element.find(_rendered(doc_type))
    assert paragraphs, f"{element.name} not found"
    for paragraph in paragraphs:
        bold, italic, size = _run_style(paragraph)
        assert size == element.size, paragraph.text
        assert bold is element.bold, paragraph.text
        assert italic is element.italic, paragraph.text
        assert paragraph.alignment == element.align, paragraph.text
        if element.case == "upper":
            assert paragraph.text == paragraph.text.upper(), paragraph.text
    if element.text is not None:
        assert re.fullmatch(element.text, paragraphs[0].text), paragraphs[0].text


# ---------------------------------------------------------------------------------------------
# Page, fonts, body spacing


@pytest.mark.parametrize("doc_type", TYPES)
def test_page_is_a4_portrait_with_margins_in_the_nd30_ranges(doc_type: str) -> None:
    # given a rendered document / when every section is read / then A4 portrait, margins top and
    # bottom 20–25 mm, left 30–35 mm, right 15–20 mm (here 20/20/30/15)
    for section in _rendered(doc_type).sections:
        assert section.orientation == WD_ORIENT.PORTRAIT
        assert abs(section.page_width - Mm(210)) < Mm(0.5)
        assert abs(section.page_height - Mm(297)) < Mm(0.5)
        assert 20 - 0.1 <= section.top_margin.mm <= 25 + 0.1
        assert 20 - 0.1 <= section.bottom_margin.mm <= 25 + 0.1
        assert 30 - 0.1 <= section.left_margin.mm <= 35 + 0.1
        assert 15 - 0.1 <= section.right_margin.mm <= 20 + 0.1
        assert (round(section.top_margin.mm), round(section.left_margin.mm)) == (20, 30)


@pytest.mark.parametrize("doc_type", TYPES)
def test_times_new_roman_in_every_script_slot_and_run(doc_type: str) -> None:
    # given a rendered document / when styles and runs are read / then Times New Roman for ascii,
    # hAnsi, cs and eastAsia, no theme fonts, and no run naming another font
    document = _rendered(doc_type)
    rfonts = document.styles["Normal"].element.rPr.rFonts
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        assert rfonts.get(qn(attr)) == TNR
    for element in document.styles.element.xpath(".//w:rFonts"):
        assert element.get(qn("w:eastAsia")) == TNR
        assert not [a for a in element.attrib if a.lower().endswith("theme")]
    body = document.element.body
    assert {f.get(qn("w:ascii")) for f in body.iter(qn("w:rFonts"))} <= {TNR}
    names = {r.font.name for p in document.paragraphs for r in p.runs}
    assert names <= {None, TNR}


@pytest.mark.parametrize("doc_type", TYPES)
def test_body_is_justified_indented_spaced_and_single_spaced(doc_type: str) -> None:
    # given a rendered document / when its running text is read / then justified, first line
    # indented 1 or 1.27 cm, at least 6 pt between paragraphs, line spacing from single to 1.5
    document = _rendered(doc_type)
    paragraphs = _first_body_paragraph(document) + _legal_bases(document)
    for paragraph in paragraphs:
        fmt = paragraph.paragraph_format
        assert paragraph.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY
        assert min(abs(fmt.first_line_indent - Cm(1)), abs(fmt.first_line_indent - Cm(1.27))) < (
            Cm(0.01)
        )
        assert fmt.space_after >= Pt(6)
        assert fmt.line_spacing_rule in (WD_LINE_SPACING.SINGLE, WD_LINE_SPACING.ONE_POINT_FIVE)


def test_article_heading_is_indented_like_the_body() -> None:
    # given a decision / when "Điều 1." is read / then indented 1.27 cm (Phụ lục I, II.6.đ)
    paragraph = _paragraphs_matching(r"^Điều 1\.")(_rendered("QĐ"))[0]
    assert abs(paragraph.paragraph_format.first_line_indent - Cm(1.27)) < Cm(0.01)


def test_untitled_article_has_a_bold_lead_and_regular_text() -> None:
    # given a decision whose second article has no title / when rendered / then "Điều 2." bold,
    # the sentence after it regular, on one paragraph
    paragraph = _paragraphs_matching(r"^Điều 2\.")(_rendered("QĐ"))[0]
    runs = [r for r in paragraph.runs if r.text.strip()]
    assert [(r.text, bool(r.bold)) for r in runs] == [
        ("Điều 2. ", True),
        ("Quyết định này có hiệu lực thi hành kể từ ngày ký.", False),
    ]


# ---------------------------------------------------------------------------------------------
# Number and date (ô 3, ô 4)


@pytest.mark.parametrize("doc_type", TYPES)
def test_number_has_a_leading_zero_slash_and_dash_without_spaces(doc_type: str) -> None:
    # given an issued document number 5 / when rendered / then "Số: 05/KH-UBND", and for a công
    # văn the issuer's and drafting unit's abbreviations without a type: "Số: 05/UBND-VX"
    assert _header_cell(_rendered(doc_type), 1, 0).paragraphs[0].text == NUMBERS[doc_type]


@pytest.mark.parametrize("doc_type", TYPES)
def test_draft_leaves_the_number_and_date_blank_for_signing(doc_type: str) -> None:
    # given a draft / when rendered / then "Số:" + blank + "/…" and "ngày … tháng … năm …" with
    # blanks, which signing looks for on page 1
    document = _rendered(doc_type, issued=False)
    number = _header_cell(document, 1, 0).paragraphs[0].text
    assert number == "Số:" + BLANK + NUMBERS[doc_type].removeprefix("Số: 05")
    date = _header_cell(document, 1, 1).paragraphs[0].text
    assert date == f"Đồng Nai, ngày{BLANK}tháng{BLANK}năm{BLANK}"


def test_date_in_june_is_not_padded_and_the_place_takes_a_comma() -> None:
    # given a document issued on 29/6/2024 / when rendered / then "Đồng Nai, ngày 29 tháng 6 năm
    # 2024" (days below 10 and months 1–2 only are padded)
    content = SAMPLES["CV"]()
    data = render_plan_docx(content, header(number=12, issued_on=dt.date(2024, 6, 29)))
    document = docx.Document(io.BytesIO(data))
    assert _header_cell(document, 1, 1).paragraphs[0].text == "Đồng Nai, ngày 29 tháng 6 năm 2024"
    assert _header_cell(document, 1, 0).paragraphs[0].text == "Số: 12/UBND-VX"


def test_letter_summary_is_six_points_under_the_number() -> None:
    # given a công văn / when rendered / then "V/v …" follows the number with 6 pt before it
    paragraph = _header_cell(_rendered("CV"), 1, 0).paragraphs[1]
    assert paragraph.text.startswith("V/v báo cáo kết quả")
    assert paragraph.paragraph_format.space_before == Pt(6)


def test_letter_has_no_type_name() -> None:
    # given a công văn / when rendered / then the body starts with "Kính gửi:", no type name
    texts = [p.text for p in _body(_rendered("CV"))]
    assert texts[0] == "Kính gửi:"
    assert "CÔNG VĂN" not in texts


# ---------------------------------------------------------------------------------------------
# Rules (under the motto, the issuer, the summary)


def _rule_length_mm(paragraph: Any, available_mm: float) -> float:
    assert paragraph.text == ""
    border = paragraph._p.pPr.find(qn("w:pBdr"))
    assert border is not None and border.find(qn("w:top")).get(qn("w:val")) == "single"
    fmt = paragraph.paragraph_format
    assert abs(fmt.left_indent.mm - fmt.right_indent.mm) < 0.1  # centred
    return available_mm - fmt.left_indent.mm - fmt.right_indent.mm


@pytest.mark.parametrize("doc_type", TYPES)
def test_motto_rule_is_as_long_as_the_motto(doc_type: str) -> None:
    # given a rendered document / when the rule under the motto is measured / then it is as long
    # as the motto line (13 pt bold)
    cell = _header_cell(_rendered(doc_type), 0, 1)
    length = _rule_length_mm(cell.paragraphs[-1], cell.width.mm - 2)
    assert abs(length - text_width_mm(MOTTO, 13, bold=True)) < 0.5


@pytest.mark.parametrize("doc_type", TYPES)
def test_issuer_rule_is_a_third_to_a_half_of_its_line(doc_type: str) -> None:
    # given a rendered document / when the rule under the issuer is measured / then 1/3–1/2 of
    # the issuer's longest line
    cell = _header_cell(_rendered(doc_type), 0, 0)
    length = _rule_length_mm(cell.paragraphs[-1], cell.width.mm - 2)
    line = max(text_width_mm(p.text, 13, bold=True) for p in _texts(cell))
    assert line / 3 <= length <= line / 2


@pytest.mark.parametrize("doc_type", NAMED)
def test_summary_rule_is_a_third_to_a_half_of_its_line(doc_type: str) -> None:
    # given a document with a type name / when the rule under the summary is measured / then
    # 1/3–1/2 of the summary line, centred
    document = _rendered(doc_type)
    title = _title(document)[0]
    rule = document.paragraphs[[p._p for p in document.paragraphs].index(title._p) + 1]
    length = _rule_length_mm(rule, 165)
    line = text_width_mm(title.text, 14, bold=True)
    assert line / 3 <= length <= line / 2


# ---------------------------------------------------------------------------------------------
# Legal bases, "Theo đề nghị", Kính gửi, Nơi nhận


def test_legal_bases_end_with_semicolons_and_the_last_with_a_dot() -> None:
    # given a plan whose bases have no final punctuation / when rendered / then ";" then "."
    texts = [p.text for p in _legal_bases(_rendered("KH"))]
    assert texts[0].endswith("UBND tỉnh;")
    assert texts[-1].endswith("Truyền thông.")


def test_decision_proposer_closes_the_bases() -> None:
    # given a decision with a proposer / when rendered / then bases end ";" and "Theo đề nghị của
    # Giám đốc Sở Ngoại vụ." ends the list, italic, before "QUYẾT ĐỊNH:"
    document = _rendered("QĐ")
    texts = [p.text for p in _body(document)]
    bases = [p.text for p in _legal_bases(document)]
    assert bases[-1] == "Theo đề nghị của Giám đốc Sở Ngoại vụ."
    assert all(b.endswith(";") for b in bases[:-1])
    assert texts.index(bases[-1]) + 1 == texts.index("QUYẾT ĐỊNH:")
    assert texts[:3] == [
        "QUYẾT ĐỊNH",
        "Về việc thành lập Tổ công tác thông tin đối ngoại tỉnh",
        "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH ĐỒNG NAI",
    ]


def test_decision_summary_typed_as_a_bare_phrase_reads_ve_viec() -> None:
    # given a decision titled "phê duyệt …" / when rendered / then "Về việc phê duyệt …"
    content = SAMPLES["QĐ"](title="phê duyệt Kế hoạch năm 2024", appendices=[])
    document = docx.Document(io.BytesIO(render_plan_docx(content, header())))
    assert _title(document)[0].text == "Về việc phê duyệt Kế hoạch năm 2024"


@pytest.mark.parametrize("doc_type", ("BC", "CV"))
def test_several_addressees_one_a_line_with_dashes_under_the_colon(doc_type: str) -> None:
    # given several addressees / when rendered / then "Kính gửi:" alone, then "- name;" lines, the
    # last ending ".", the dashes aligned with each other right after the colon
    document = _rendered(doc_type)
    start = _body_index(document, "Kính gửi:")
    names = _content(doc_type).addressees
    lines = _body(document)[start + 1 : start + 1 + len(names)]
    assert [p.text for p in lines] == [f"- {n};" for n in names[:-1]] + [f"- {names[-1]}."]
    label = _body(document)[start].paragraph_format.left_indent.mm
    colon = label + text_width_mm("Kính gửi:", 14)
    for paragraph in lines:
        fmt = paragraph.paragraph_format
        dash_x = fmt.left_indent.mm + fmt.first_line_indent.mm
        assert abs(dash_x - colon) < 0.5
    assert 0.10 <= label / 165 <= 0.45


def test_one_addressee_on_the_same_line() -> None:
    # given one addressee / when rendered / then "Kính gửi: Bộ Nội vụ" on one centred line
    content = SAMPLES["CV"](addressees=["Bộ Nội vụ"])
    document = docx.Document(io.BytesIO(render_plan_docx(content, header())))
    assert _body(document)[0].text == "Kính gửi: Bộ Nội vụ"
    assert _body(document)[0].alignment == WD_ALIGN_PARAGRAPH.CENTER


@pytest.mark.parametrize("doc_type", TYPES)
def test_recipients_end_with_the_archive_line(doc_type: str) -> None:
    # given a rendered document / when "Nơi nhận" is read / then "- …;" lines and "- Lưu: VT, …."
    lines = [p.text for p in _texts(_footer_cell(_rendered(doc_type), 0))[1:]]
    assert all(line.startswith("- ") and line.endswith(";") for line in lines[:-1])
    assert re.fullmatch(r"- Lưu: VT, [A-ZĐ]+\.", lines[-1])


@pytest.mark.parametrize("doc_type", ("BC", "CV"))
def test_recipients_start_with_nhu_tren_when_there_is_a_kinh_gui(doc_type: str) -> None:
    # given a document with addressees / when rendered / then "- Như trên;" heads "Nơi nhận"
    lines = [p.text for p in _texts(_footer_cell(_rendered(doc_type), 0))]
    assert lines[1] == "- Như trên;"


@pytest.mark.parametrize("doc_type", TYPES)
def test_noi_nhan_is_level_with_the_authority_line(doc_type: str) -> None:
    # given a rendered document / when the footer table is read / then "Nơi nhận:" and the first
    # authority line open their cells with the same spacing (same row, same top)
    document = _rendered(doc_type)
    left = _footer_cell(document, 0).paragraphs[0]
    right = _footer_cell(document, 1).paragraphs[0]
    assert left.text == "Nơi nhận:"
    assert right.text == right.text.upper() and right.text
    assert left.paragraph_format.space_before == right.paragraph_format.space_before


# ---------------------------------------------------------------------------------------------
# Signature block derived from who signs and with which authority


@pytest.mark.parametrize(
    ("doc_type", "signature", "overrides", "lines"),
    [
        pytest.param(
            "KH",
            {"authority": "TM.", "deputy_for": "CHỦ TỊCH", "position": "PHÓ CHỦ TỊCH"},
            {},
            ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"],
            id="deputy-for-the-body",
        ),
        pytest.param(
            "KH",
            {"authority": "TM.", "position": "CHỦ TỊCH"},
            {},
            ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"],
            id="chairman-for-the-body",
        ),
        pytest.param(
            "QĐ",
            {"authority": "TM.", "deputy_for": "CHỦ TỊCH", "position": "PHÓ CHỦ TỊCH"},
            {},
            ["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"],
            id="decision-of-the-chairman-signed-by-a-deputy",
        ),
        pytest.param(
            "QĐ",
            {"authority": "TM.", "position": "CHỦ TỊCH"},
            {},
            ["CHỦ TỊCH"],
            id="decision-of-the-chairman",
        ),
        pytest.param(
            "QĐ",
            {"authority": "TM.", "deputy_for": "CHỦ TỊCH", "position": "PHÓ CHỦ TỊCH"},
            {"issued_by": "collective"},
            ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"],
            id="decision-of-the-body",
        ),
        pytest.param(
            "CV",
            {"authority": "TL.", "deputy_for": "CHỦ TỊCH", "position": "CHÁNH VĂN PHÒNG"},
            {},
            ["TL. CHỦ TỊCH", "CHÁNH VĂN PHÒNG"],
            id="by-order",
        ),
        pytest.param(
            "CV",
            {"authority": "TUQ.", "deputy_for": "CHỦ TỊCH", "position": "GIÁM ĐỐC SỞ NỘI VỤ"},
            {},
            ["TUQ. CHỦ TỊCH", "GIÁM ĐỐC SỞ NỘI VỤ"],
            id="by-delegation",
        ),
        pytest.param(
            "KH",
            {"authority": "Q.", "deputy_for": "CHỦ TỊCH", "position": "PHÓ CHỦ TỊCH"},
            {"issued_by": "individual"},
            ["Q. CHỦ TỊCH", "PHÓ CHỦ TỊCH"],
            id="acting-head",
        ),
    ],
)
def test_signature_block_from_signer_and_authority(
    doc_type: str, signature: dict[str, Any], overrides: dict[str, Any], lines: list[str]
) -> None:
    # given who signs and with which authority / when rendered / then the ô 7a lines, then room
    # for the signature and seal, then the name
    signature = {"collective": "ỦY BAN NHÂN DÂN", "signer_name": "Trần Văn B", **signature}
    content = SAMPLES[doc_type](signature=signature, **overrides)
    document = docx.Document(io.BytesIO(render_plan_docx(content, header())))
    texts = [p.text for p in _footer_cell(document, 1).paragraphs]
    assert texts[: len(lines)] == lines
    assert texts[len(lines) : len(lines) + 4] == ["", "", "", ""]
    assert texts[-1] == "Trần Văn B"
    if doc_type == "QĐ":
        # the authority line under the summary follows: the head's office, or the body's name
        authority = _body(document)[2].text
        individual = overrides.get("issued_by") != "collective"
        head = "CHỦ TỊCH " if individual else ""
        assert authority == f"{head}ỦY BAN NHÂN DÂN TỈNH ĐỒNG NAI"


def test_file_properties_name_the_document_in_vietnamese() -> None:
    # given an issued plan / when its properties are read / then title, issuer, number, vi-VN
    properties = _rendered("KH").core_properties
    assert properties.title == "Kế hoạch Hoạt động thông tin đối ngoại tỉnh Đồng Nai năm 2024"
    assert properties.author == "ỦY BAN NHÂN DÂN TỈNH ĐỒNG NAI"
    assert (properties.subject, properties.language) == ("05/KH-UBND", "vi-VN")


# ---------------------------------------------------------------------------------------------
# Urgency and secrecy stamps (ô 10a, 10b)


def _stamps(document: Any) -> list[Any]:
    return _header_cell(document, 1, 0).tables


@pytest.mark.parametrize(
    ("doc_type", "expected"),
    [
        pytest.param("BC", [("KHẨN", 20)], id="khan"),
        pytest.param("CV", [("MẬT", 20), ("HỎA TỐC", 30)], id="mat-hoa-toc"),
        pytest.param("KH", [], id="none"),
    ],
)
def test_stamps_are_bordered_boxes_of_their_size(
    doc_type: str, expected: list[tuple[str, int]]
) -> None:
    # given urgency / secrecy levels / when rendered / then under the number, one single-rule
    # box per mark, W × 8 mm exactly, its text upper case, 13 pt bold, red
    stamps = _stamps(_rendered(doc_type))
    assert [(t.rows[0].cells[0].text, round(t.rows[0].cells[0].width.mm)) for t in stamps] == (
        expected
    )
    for table in stamps:
        row = table.rows[0]
        assert row.height_rule == WD_ROW_HEIGHT_RULE.EXACTLY
        assert abs(row.height.mm - 8) < 0.1
        borders = table._tbl.tblPr.find(qn("w:tblBorders"))
        assert {b.get(qn("w:val")) for b in borders} == {"single"}
        paragraph = row.cells[0].paragraphs[0]
        assert paragraph.alignment == WD_ALIGN_PARAGRAPH.CENTER
        assert _run_style(paragraph) == (True, False, 13)
        assert paragraph.runs[0].font.color.rgb == (0xFF, 0x00, 0x00)


def test_thuong_khan_box_is_forty_millimetres() -> None:
    # given THƯỢNG KHẨN / when rendered / then a 40 × 8 mm box (ND30 Phụ lục I, III.2.b)
    content = SAMPLES["CV"](urgency="THƯỢNG KHẨN", secrecy="")
    document = docx.Document(io.BytesIO(render_plan_docx(content, header())))
    [table] = _stamps(document)
    assert table.rows[0].cells[0].text == "THƯỢNG KHẨN"
    assert round(table.rows[0].cells[0].width.mm) == 40


# ---------------------------------------------------------------------------------------------
# Page numbers and appendices


@pytest.mark.parametrize("doc_type", TYPES)
def test_page_number_field_centred_in_the_header_not_on_page_one(doc_type: str) -> None:
    # given a rendered document / when its first section's headers are read / then a PAGE field,
    # 14 pt, centred; an empty header on page 1
    section = _rendered(doc_type).sections[0]
    assert section.different_first_page_header_footer
    paragraph = section.header.paragraphs[0]
    assert paragraph.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert [e.text.strip() for e in paragraph._p.iter(qn("w:instrText"))] == ["PAGE"]
    assert {r.font.size.pt for r in paragraph.runs} == {14}
    assert all(not p.text.strip() for p in section.first_page_header.paragraphs)


def test_appendix_starts_a_section_numbered_from_one() -> None:
    # given a decision with one appendix / when rendered / then a second section on a new page
    # whose numbering restarts at 1 and whose first page shows no number
    sections = _rendered("QĐ").sections
    assert len(sections) == 2
    appendix = sections[1]
    assert appendix.start_type == 2  # WD_SECTION.NEW_PAGE
    numbering = appendix._sectPr.find(qn("w:pgNumType"))
    assert numbering is not None and numbering.get(qn("w:start")) == "1"
    assert appendix.different_first_page_header_footer


def test_appendix_heading_per_mau_2_1() -> None:
    # given a decision with one appendix / when rendered / then "Phụ lục" 14 bold centred, the
    # title upper case bold, "(Kèm theo Quyết định số …)" italic, a short rule, own numbering
    document = _rendered("QĐ")
    texts = [p.text for p in _body(document)]
    start = texts.index("Phụ lục")
    heading = _body(document)[start : start + 3]
    assert [p.text for p in heading[:2]] == ["Phụ lục", "DANH SÁCH THÀNH VIÊN TỔ CÔNG TÁC"]
    assert heading[2].text == (
        "(Kèm theo Quyết định số 05/QĐ-UBND ngày 05 tháng 01 năm 2024 của Chủ tịch Ủy ban nhân "
        "dân tỉnh Đồng Nai)"
    )
    for paragraph, style in zip(
        heading, [(True, False, 14), (True, False, 14), (False, True, 14)], strict=True
    ):
        assert paragraph.alignment == WD_ALIGN_PARAGRAPH.CENTER
        assert _run_style(paragraph) == style
    assert texts[start + 3 : start + 5] == ["I. THÀNH VIÊN", "1. Thành viên thứ 1"]


def test_appendix_note_is_blank_before_issuance_and_numbered_in_roman_when_several() -> None:
    # given a draft with two appendices / when rendered / then "Phụ lục I", "Phụ lục II" and the
    # number and date of the note left blank (Phụ lục I, III.1.c: not filled in electronically)
    appendices = [{"title": "Danh sách A"}, {"title": "Danh sách B"}]
    content = SAMPLES["KH"](appendices=appendices)
    document = docx.Document(io.BytesIO(render_plan_docx(content, header())))
    texts = [p.text for p in _body(document)]
    assert "Phụ lục I" in texts and "Phụ lục II" in texts
    note = texts[texts.index("Phụ lục II") + 2]
    assert note == (
        f"(Kèm theo Kế hoạch số {BLANK}/KH-UBND ngày{BLANK}tháng{BLANK}năm{BLANK} "
        "của Ủy ban nhân dân tỉnh Đồng Nai)"
    )
    assert len(document.sections) == 3


def test_closing_mark_ends_a_letter_without_closing() -> None:
    # given a công văn without a closing / when rendered / then its last body line ends "./."
    texts = [p.text for p in _body(_rendered("CV"))]
    assert texts[-1].endswith("thông tin đối ngoại./.")


def test_urgency_and_secrecy_absent_by_default() -> None:
    # given content saved before these fields existed / when rendered / then no stamp
    content = PlanContent.from_dict({"title": "Kế hoạch thử", "year": 2025})
    document = docx.Document(io.BytesIO(render_plan_docx(content, header())))
    assert _stamps(document) == []
    assert len(document.sections) == 1
