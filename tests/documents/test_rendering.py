"""Layout of the rendered plan (.docx) against ND30 Phụ lục I / Mẫu 1.4. Pure: no database."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import docx
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt

from documents.content import DocumentHeader, PlanContent
from documents.rendering import (
    BLANK,
    GAP_RECIPIENTS,
    format_archive_line,
    format_number,
    format_place_date,
    format_vnd,
    point_letter,
    render_plan_docx,
    roman,
)

NBSP = "\u00a0"
TNR = "Times New Roman"


def _content(**overrides: Any) -> PlanContent:
    data: dict[str, Any] = {
        "title": "Hoạt động thông tin đối ngoại tỉnh Đồng Nai năm 2024",
        "year": 2024,
        "place": "Đồng Nai",
        "legal_bases": [
            "Căn cứ Kế hoạch số 160/KH-UBND ngày 21/6/2023 của UBND tỉnh;;",
            "Thực hiện Văn bản số 3089/BTTTT-TTĐN ngày 31/7/2023 của Bộ Thông tin và Truyền thông",
            "Căn cứ Quyết định số 01/QĐ-UBND.",
        ],
        "preamble": "Chủ tịch Ủy ban nhân dân tỉnh ban hành Kế hoạch năm 2024 như sau:",
        "sections": [
            {
                "kind": "purpose",
                "title": "Mục đích, yêu cầu",
                "children": [
                    {
                        "title": "Mục đích",
                        "paragraphs": ["- Tuyên truyền, quảng bá hình ảnh tỉnh."],
                    },
                    {"title": "Yêu cầu", "paragraphs": ["- Bám sát chủ trương của Đảng."]},
                ],
            },
            {
                "kind": "tasks",
                "title": "Nội dung, nhiệm vụ",
                "children": [
                    {
                        "title": "Bồi dưỡng nghiệp vụ",
                        "children": [{"title": f"Điểm {n}"} for n in range(5)],
                        "tasks": [
                            {
                                "title": "Tổ chức tập huấn kỹ năng phát ngôn",
                                "description": ["Cho cán bộ chuyên trách các sở, ngành."],
                                "lead_units": [
                                    {"name": "Sở Thông tin và Truyền thông", "unit_id": 3},
                                    {"name": "Sở Ngoại vụ", "unit_id": 5},
                                ],
                                "coordinating_units": [{"name": "Báo Đồng Nai", "unit_id": 15}],
                                "timeline": "quý II/2024",
                                "budget_vnd": 150_000_000,
                            },
                        ],
                    },
                    {
                        "title": "Truyền thông qua ấn phẩm",
                        "children": [
                            {
                                "title": "Bản tin",
                                "tasks": [
                                    {
                                        "title": "Thực hiện “Bản tin đối ngoại”",
                                        "timeline": "6 số/năm",
                                        "lead_units": [{"name": "Sở Ngoại vụ", "unit_id": 5}],
                                    },
                                ],
                            },
                        ],
                    },
                    {
                        "title": "",
                        "tasks": [
                            {
                                "title": "Sản xuất chương trình phát thanh",
                                "timeline": "01 chương trình/quý",
                                "lead_units": [{"name": "Đài Phát thanh - Truyền hình Đồng Nai"}],
                            },
                        ],
                    },
                ],
            },
            {
                "kind": "budget",
                "title": "KINH PHÍ THỰC HIỆN",
                "paragraphs": ["Kinh phí từ ngân sách."],
            },
            {
                "kind": "implementation",
                "title": "TỔ CHỨC THỰC HIỆN",
                "paragraphs": [
                    "Giao Sở Thông tin và Truyền thông tổng hợp báo cáo (trước ngày 15/11/2024).",
                ],
            },
        ],
        "closing": "Trên đây là Kế hoạch hoạt động thông tin đối ngoại năm 2024.",
        "reporting_deadlines": [
            {
                "text": "Giao Sở Thông tin và Truyền thông tổng hợp báo cáo (trước ngày 15/11/2024).",
                "due_date": "2024-11-15",
            },
            {"text": "Các sở gửi báo cáo 6 tháng trước ngày 15/6/2024.", "due_date": "2024-06-15"},
        ],
        "recipients": {
            "units": [
                {"name": "Báo Đồng Nai", "unit_id": 15},
                {"name": "Công an tỉnh", "unit_id": 10},
            ],
            "lines": ["Thường trực Tỉnh ủy;", "- Thường trực HĐND tỉnh"],
            "archive": "Lưu VT, THNC, KGVX",
        },
        "signature": {
            "authority": "TM.",
            "collective": "ỦY BAN NHÂN DÂN",
            "deputy_for": "CHỦ TỊCH",
            "position": "PHÓ CHỦ TỊCH",
            "signer_name": "Nguyễn Thị Hoàng",
        },
    }
    data.update(overrides)
    return PlanContent.from_dict(data)


def _header(**overrides: Any) -> DocumentHeader:
    values: dict[str, Any] = {
        "issuer_name": "ỦY BAN NHÂN DÂN TỈNH ĐỒNG NAI",
        "issuer_abbreviation": "UBND",
        "number": 5,
        "issued_on": dt.date(2024, 1, 5),
        "place": "Đồng Nai",
    }
    values.update(overrides)
    return DocumentHeader(**values)


def _render(content: PlanContent | None = None, header: DocumentHeader | None = None):
    data = render_plan_docx(content or _content(), header or _header())
    assert data[:2] == b"PK"
    return docx.Document(io.BytesIO(data))


def _body_texts(document) -> list[str]:
    return [p.text for p in document.paragraphs if p.text.strip()]


def _paragraph(document, text: str):
    matches = [p for p in document.paragraphs if p.text == text]
    assert matches, f"no paragraph {text!r}"
    return matches[0]


def _cell_lines(cell) -> list[tuple[str, Any]]:
    return [(p.text, p) for p in cell.paragraphs if p.text.strip()]


def _run_style(paragraph) -> tuple[bool, bool, float]:
    runs = [r for r in paragraph.runs if r.text.strip()]
    assert runs, f"no text runs in {paragraph.text!r}"
    sizes = {r.font.size.pt for r in runs}
    assert len(sizes) == 1
    return all(r.bold for r in runs), all(r.italic for r in runs), sizes.pop()


# ---------------------------------------------------------------------------------------------
# Formatting helpers


def test_format_number_pads_to_two_digits() -> None:
    # given issued numbers / when formatted / then at least two digits, "/" and "-" without spaces
    assert format_number(5, "KH", "UBND") == "Số: 05/KH-UBND"
    assert format_number(262, "KH", "UBND") == "Số: 262/KH-UBND"
    assert format_number(10, "BC", "STTTT") == "Số: 10/BC-STTTT"


def test_format_number_leaves_a_blank_before_issuance() -> None:
    # given no number yet / when formatted / then "Số:" + six non-breaking spaces + the symbol
    assert format_number(None, "KH", "UBND") == f"Số:{NBSP * 6}/KH-UBND"
    assert BLANK == NBSP * 6


def test_format_place_date_pads_days_and_first_two_months() -> None:
    # given dates / when formatted / then days < 10 and months 1–2 get a leading zero (ND30 II.4)
    place = "Đồng Nai"
    assert format_place_date(place, dt.date(2024, 1, 5)) == "Đồng Nai, ngày 05 tháng 01 năm 2024"
    assert format_place_date(place, dt.date(2024, 6, 29)) == "Đồng Nai, ngày 29 tháng 6 năm 2024"
    assert format_place_date(place, dt.date(2024, 2, 2)) == "Đồng Nai, ngày 02 tháng 02 năm 2024"
    assert format_place_date(place, dt.date(2023, 11, 8)) == "Đồng Nai, ngày 08 tháng 11 năm 2023"
    assert format_place_date(place, dt.date(2020, 3, 5)) == "Đồng Nai, ngày 05 tháng 3 năm 2020"


def test_format_place_date_leaves_blanks_before_issuance() -> None:
    # given no date yet / when formatted / then the words stay, with blank gaps for the clerk
    blank = NBSP * 6
    assert format_place_date("Đồng Nai", None) == f"Đồng Nai, ngày{blank}tháng{blank}năm{blank}"


def test_format_vnd_uses_dots_between_thousands() -> None:
    # given amounts / when formatted / then Vietnamese thousands separators and "đồng"
    assert format_vnd(150_000_000) == "150.000.000 đồng"
    assert format_vnd(0) == "0 đồng"
    assert format_vnd(1_500) == "1.500 đồng"


def test_format_archive_line_normalises_the_last_recipient_line() -> None:
    # given archive lines as typed / when normalised / then "- Lưu: VT, …." every time
    assert format_archive_line("Lưu VT, THNC, KGVX") == "- Lưu: VT, THNC, KGVX."
    assert format_archive_line("- Lưu: VT, THNC.") == "- Lưu: VT, THNC."
    assert format_archive_line("VT, KGVX;") == "- Lưu: VT, KGVX."
    assert format_archive_line("") == "- Lưu: VT."


def test_numbering_helpers_follow_vietnamese_order() -> None:
    # given indexes / when numbered / then Roman sections and Vietnamese point letters (đ after d)
    assert [roman(n) for n in (1, 2, 3, 4, 9, 14)] == ["I", "II", "III", "IV", "IX", "XIV"]
    letters = [point_letter(i) for i in range(23)]
    assert letters[:7] == ["a", "b", "c", "d", "đ", "e", "g"]
    assert not {"f", "j", "w", "z"} & set(letters)
    assert point_letter(23) == "aa"


# ---------------------------------------------------------------------------------------------
# Page and fonts


def test_page_is_a4_portrait_with_nd30_margins() -> None:
    # given a rendered plan / when its section is read / then A4 portrait, 20/20/30/15 mm margins
    section = _render().sections[0]
    assert section.orientation == WD_ORIENT.PORTRAIT
    assert abs(section.page_width - Mm(210)) < Mm(0.5)
    assert abs(section.page_height - Mm(297)) < Mm(0.5)
    assert abs(section.top_margin.mm - 20) < 0.1
    assert abs(section.bottom_margin.mm - 20) < 0.1
    assert abs(section.left_margin.mm - 30) < 0.1
    assert abs(section.right_margin.mm - 15) < 0.1


def test_every_style_uses_times_new_roman_without_theme_fonts() -> None:
    # given a rendered plan / when styles are read / then TNR in all four slots, no theme fonts
    document = _render()
    normal = document.styles["Normal"]
    assert normal.font.name == TNR
    assert normal.font.size.pt == 14
    rfonts = normal.element.rPr.rFonts
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        assert rfonts.get(qn(attr)) == TNR
    all_rfonts = document.styles.element.xpath(".//w:rFonts")
    assert all_rfonts
    for element in all_rfonts:
        assert element.get(qn("w:ascii")) == TNR
        assert element.get(qn("w:eastAsia")) == TNR
        assert not [a for a in element.attrib if a.endswith("Theme") or a.endswith("theme")]
    run_fonts = {r.font.name for p in document.paragraphs for r in p.runs}
    assert run_fonts <= {None, TNR}


def test_body_paragraphs_are_justified_indented_and_spaced() -> None:
    # given a rendered plan / when a body paragraph is read / then justified, 1.27 cm, 6 pt after
    paragraph = _paragraph(_render(), "Kinh phí từ ngân sách.")
    fmt = paragraph.paragraph_format
    assert paragraph.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY
    assert abs(fmt.first_line_indent - Cm(1.27)) < Cm(0.01)
    assert fmt.space_after == Pt(6)
    assert _run_style(paragraph) == (False, False, 14)


# ---------------------------------------------------------------------------------------------
# Header (ô 1–4)


def test_header_is_a_borderless_two_column_table() -> None:
    # given a rendered plan / when the first table is read / then 2 columns ~44/56 %, no borders
    table = _render().tables[0]
    assert len(table.columns) == 2
    borders = table._tbl.tblPr.find(qn("w:tblBorders"))
    assert {b.get(qn("w:val")) for b in borders} == {"nil"}
    widths = [table.rows[0].cells[i].width.mm for i in (0, 1)]
    assert abs(sum(widths) - 165) < 0.5
    assert 0.40 < widths[0] / sum(widths) < 0.47


def test_header_issuer_and_national_title_styles() -> None:
    # given a rendered plan / when the header cells are read / then ND30 case, size and weight
    table = _render().tables[0]
    left = _cell_lines(table.rows[0].cells[0])
    right = _cell_lines(table.rows[0].cells[1])
    assert [t for t, _ in left] == ["ỦY BAN NHÂN DÂN", "TỈNH ĐỒNG NAI"]
    for _, paragraph in left:
        assert _run_style(paragraph) == (True, False, 13)
        assert paragraph.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert [t for t, _ in right] == [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
    ]
    assert _run_style(right[0][1]) == (True, False, 12)
    assert _run_style(right[1][1]) == (True, False, 13)


def test_header_has_short_rules_under_issuer_and_motto() -> None:
    # given a rendered plan / when the header cells are read / then each ends with a ruled line
    table = _render().tables[0]
    for cell in table.rows[0].cells:
        rule = cell.paragraphs[-1]
        assert rule.text == ""
        assert rule._p.pPr.find(qn("w:pBdr")) is not None
    issuer_rule = table.rows[0].cells[0].paragraphs[-1].paragraph_format
    motto_rule = table.rows[0].cells[1].paragraphs[-1].paragraph_format
    # the motto's rule is as long as the motto (≈ 56 mm); the issuer's is shorter than its name
    cell_width = table.rows[0].cells[1].width.mm - 2
    motto_length = cell_width - motto_rule.left_indent.mm - motto_rule.right_indent.mm
    assert 50 < motto_length < 62
    issuer_length = (
        table.rows[0].cells[0].width.mm
        - 2
        - issuer_rule.left_indent.mm
        - issuer_rule.right_indent.mm
    )
    assert 10 < issuer_length < 25


def test_header_number_and_date_on_the_same_row() -> None:
    # given an issued plan / when the second header row is read / then "Số" left, date right, italic
    table = _render().tables[0]
    number, date = table.rows[1].cells
    assert number.paragraphs[0].text == "Số: 05/KH-UBND"
    assert _run_style(number.paragraphs[0]) == (False, False, 13)
    assert date.paragraphs[0].text == "Đồng Nai, ngày 05 tháng 01 năm 2024"
    assert _run_style(date.paragraphs[0]) == (False, True, 13)


def test_header_date_in_june_is_not_padded() -> None:
    # given a plan issued on 29/6/2024 / when rendered / then "ngày 29 tháng 6 năm 2024"
    table = _render(header=_header(number=12, issued_on=dt.date(2024, 6, 29))).tables[0]
    assert table.rows[1].cells[0].paragraphs[0].text == "Số: 12/KH-UBND"
    assert table.rows[1].cells[1].paragraphs[0].text == "Đồng Nai, ngày 29 tháng 6 năm 2024"


def test_header_before_issuance_leaves_blank_number_and_date() -> None:
    # given a draft (no number, no date) / when rendered / then blanks the clerk fills in later
    table = _render(header=_header(number=None, issued_on=None)).tables[0]
    assert table.rows[1].cells[0].paragraphs[0].text == f"Số:{NBSP * 6}/KH-UBND"
    assert table.rows[1].cells[1].paragraphs[0].text == (
        f"Đồng Nai, ngày{NBSP * 6}tháng{NBSP * 6}năm{NBSP * 6}"
    )


def test_place_falls_back_to_the_issuer_name() -> None:
    # given neither the header nor the content names a place / when rendered / then the province
    content = _content(place="")
    table = _render(content, _header(place="")).tables[0]
    assert table.rows[1].cells[1].paragraphs[0].text.startswith("Đồng Nai, ngày 05")


# ---------------------------------------------------------------------------------------------
# Type, title, legal bases, body


def test_type_name_and_title_are_centred_bold_14() -> None:
    # given a KH and a BC / when rendered / then the type's name and the title, 14 bold centred
    document = _render()
    texts = _body_texts(document)
    assert texts[:2] == ["KẾ HOẠCH", "Hoạt động thông tin đối ngoại tỉnh Đồng Nai năm 2024"]
    for text in texts[:2]:
        paragraph = _paragraph(document, text)
        assert paragraph.alignment == WD_ALIGN_PARAGRAPH.CENTER
        assert _run_style(paragraph) == (True, False, 14)
    rule = document.paragraphs[2]
    assert rule.text == "" and rule._p.pPr.find(qn("w:pBdr")) is not None
    assert _body_texts(_render(_content(doc_type="BC")))[0] == "BÁO CÁO"
    assert _body_texts(_render(_content(doc_type="TTr")))[0] == "TỜ TRÌNH"


def test_legal_bases_are_italic_and_end_with_semicolons_then_a_dot() -> None:
    # given bases with messy punctuation / when rendered / then ";" after each, "." after the last
    document = _render()
    texts = _body_texts(document)
    bases = texts[2:5]
    assert bases == [
        "Căn cứ Kế hoạch số 160/KH-UBND ngày 21/6/2023 của UBND tỉnh;",
        "Thực hiện Văn bản số 3089/BTTTT-TTĐN ngày 31/7/2023 của Bộ Thông tin và Truyền thông;",
        "Căn cứ Quyết định số 01/QĐ-UBND.",
    ]
    for text in bases:
        assert _run_style(_paragraph(document, text)) == (False, True, 14)
    assert texts[5] == "Chủ tịch Ủy ban nhân dân tỉnh ban hành Kế hoạch năm 2024 như sau:"


def test_sections_items_and_points_are_numbered() -> None:
    # given sections with items and points / when rendered / then I. UPPER bold, 1. bold, a) plain
    document = _render()
    texts = _body_texts(document)
    assert "I. MỤC ĐÍCH, YÊU CẦU" in texts
    assert "II. NỘI DUNG, NHIỆM VỤ" in texts
    assert "III. KINH PHÍ THỰC HIỆN" in texts
    assert "IV. TỔ CHỨC THỰC HIỆN" in texts
    assert _run_style(_paragraph(document, "I. MỤC ĐÍCH, YÊU CẦU")) == (True, False, 14)
    assert _run_style(_paragraph(document, "1. Mục đích")) == (True, False, 14)
    assert "2. Yêu cầu" in texts
    points = [t for t in texts if t.startswith(tuple(f"{c}) Điểm" for c in "abcdđ"))]
    assert points == ["a) Điểm 0", "b) Điểm 1", "c) Điểm 2", "d) Điểm 3", "đ) Điểm 4"]
    assert _run_style(_paragraph(document, "a) Điểm 0")) == (False, False, 14)


def test_tasks_follow_the_children_with_their_units_time_and_budget() -> None:
    # given an item with five points and one task / when rendered / then the task is point "e)"
    texts = _body_texts(_render())
    start = texts.index("e) Tổ chức tập huấn kỹ năng phát ngôn")
    assert texts[start + 1 : start + 6] == [
        "Cho cán bộ chuyên trách các sở, ngành.",
        "- Đơn vị chủ trì: Sở Thông tin và Truyền thông; Sở Ngoại vụ",
        "- Đơn vị phối hợp: Báo Đồng Nai",
        "- Thời gian thực hiện: quý II/2024",
        "- Dự toán kinh phí: 150.000.000 đồng",
    ]


def test_task_without_coordination_or_budget_omits_those_lines() -> None:
    # given a task with only a lead unit and a timeline / when rendered / then no empty lines
    texts = _body_texts(_render())
    start = texts.index("3. Sản xuất chương trình phát thanh")
    assert texts[start + 1 : start + 3] == [
        "- Đơn vị chủ trì: Đài Phát thanh - Truyền hình Đồng Nai",
        "- Thời gian thực hiện: 01 chương trình/quý",
    ]
    assert texts[start + 3] == "III. KINH PHÍ THỰC HIỆN"


def test_an_untitled_block_with_one_task_is_the_task_at_its_number() -> None:
    # given a wrapper block (no title, one task) as third item / when rendered / then "3. <task>"
    document = _render()
    paragraph = _paragraph(document, "3. Sản xuất chương trình phát thanh")
    assert _run_style(paragraph) == (True, False, 14)


def test_tasks_inside_points_use_dashes_and_plus_signs() -> None:
    # given a task inside a point / when rendered / then "- title" and "+ Đơn vị chủ trì: …"
    texts = _body_texts(_render())
    start = texts.index("a) Bản tin")
    assert texts[start + 1 : start + 4] == [
        "- Thực hiện “Bản tin đối ngoại”",
        "+ Đơn vị chủ trì: Sở Ngoại vụ",
        "+ Thời gian thực hiện: 6 số/năm",
    ]


def test_reporting_deadlines_are_written_once_in_the_implementation_section() -> None:
    # given one deadline already in the section's text and one not / when rendered / then the
    # first is not repeated and the second is added at the end of the section
    texts = _body_texts(_render())
    start = texts.index("IV. TỔ CHỨC THỰC HIỆN")
    assert texts[start + 1 : start + 3] == [
        "Giao Sở Thông tin và Truyền thông tổng hợp báo cáo (trước ngày 15/11/2024).",
        "Các sở gửi báo cáo 6 tháng trước ngày 15/6/2024.",
    ]
    assert sum("15/11/2024" in t for t in texts) == 1


def test_closing_ends_with_dot_slash_dot() -> None:
    # given a closing ending with "." / when rendered / then it ends with "./." (end of content)
    texts = _body_texts(_render())
    assert texts[-1] == "Trên đây là Kế hoạch hoạt động thông tin đối ngoại năm 2024./."
    texts = _body_texts(_render(_content(closing="Trên đây là Kế hoạch./.")))
    assert texts[-1] == "Trên đây là Kế hoạch./."


# ---------------------------------------------------------------------------------------------
# Page numbers, recipients, signature


def test_page_numbers_are_centred_in_the_header_from_page_two() -> None:
    # given a rendered plan / when headers are read / then PAGE field, 14 pt, centred; none on p. 1
    section = _render().sections[0]
    assert section.different_first_page_header_footer is True
    paragraph = section.header.paragraphs[0]
    assert paragraph.alignment == WD_ALIGN_PARAGRAPH.CENTER
    instructions = [e.text for e in paragraph._p.iter(qn("w:instrText"))]
    assert [i.strip() for i in instructions] == ["PAGE"]
    assert {r.font.size.pt for r in paragraph.runs} == {14}
    first = section.first_page_header
    assert not first.is_linked_to_previous
    assert not list(first._element.iter(qn("w:instrText")))
    assert all(not p.text.strip() for p in first.paragraphs)


def test_recipients_are_listed_left_of_the_signature() -> None:
    # given recipients / when the footer table is read / then "Nơi nhận:" 12 bold italic, then
    # "- name;" lines in 11 pt and the archive line last
    table = _render().tables[-1]
    assert len(table.columns) == 2
    lines = _cell_lines(table.rows[0].cells[0])
    assert lines[0][0] == "Nơi nhận:"
    assert _run_style(lines[0][1]) == (True, True, 12)
    assert lines[0][1].alignment == WD_ALIGN_PARAGRAPH.LEFT
    assert [t for t, _ in lines[1:]] == [
        "- Thường trực Tỉnh ủy;",
        "- Thường trực HĐND tỉnh;",
        "- Báo Đồng Nai;",
        "- Công an tỉnh;",
        "- Lưu: VT, THNC, KGVX.",
    ]
    for _, paragraph in lines[1:]:
        assert _run_style(paragraph) == (False, False, 11)
    assert table._tbl.find(f"{qn('w:tr')}/{qn('w:trPr')}/{qn('w:cantSplit')}") is not None


def test_signature_block_of_a_deputy_chairman() -> None:
    # given a Phó Chủ tịch signing for the collective / when rendered / then TM. / KT. / position,
    # room for the signature and seal, then the name, all 14 bold centred, level with "Nơi nhận"
    content = _content()
    assert content.signature.lines() == ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]
    row = _render(content).tables[-1].rows[0]
    paragraphs = row.cells[1].paragraphs
    assert [p.text for p in paragraphs[:3]] == [
        "TM. ỦY BAN NHÂN DÂN",
        "KT. CHỦ TỊCH",
        "PHÓ CHỦ TỊCH",
    ]
    assert [p.text for p in paragraphs[3:7]] == ["", "", "", ""]
    assert paragraphs[7].text == "Nguyễn Thị Hoàng"
    for paragraph in (*paragraphs[:3], paragraphs[7]):
        assert _run_style(paragraph) == (True, False, 14)
        assert paragraph.alignment == WD_ALIGN_PARAGRAPH.CENTER
    left_first = row.cells[0].paragraphs[0]
    assert left_first.text == "Nơi nhận:"
    assert left_first.paragraph_format.space_before == paragraphs[0].paragraph_format.space_before


def test_signature_block_of_the_chairman() -> None:
    # given the Chủ tịch signing / when rendered / then "TM. ỦY BAN NHÂN DÂN" / "CHỦ TỊCH"
    content = _content(
        signature={
            "authority": "TM.",
            "collective": "Ủy ban nhân dân",
            "position": "Chủ tịch",
            "signer_name": "Võ Tấn Đức",
        }
    )
    cell = _render(content).tables[-1].rows[0].cells[1]
    texts = [p.text for p in cell.paragraphs if p.text]
    assert texts == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Võ Tấn Đức"]


def test_minimal_content_renders() -> None:
    # given only a title and a year / when rendered / then a valid document with defaults, and
    # no recipient invented: the missing "Nơi nhận" list is a marked gap
    document = _render(PlanContent.from_dict({"title": "Kế hoạch thử", "year": 2025}))
    texts = _body_texts(document)
    assert texts[:2] == ["KẾ HOẠCH", "Kế hoạch thử"]
    footer = _cell_lines(document.tables[-1].rows[0].cells[0])
    assert [t for t, _ in footer] == ["Nơi nhận:", GAP_RECIPIENTS, "- Lưu: VT."]
