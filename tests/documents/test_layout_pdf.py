"""Every element of ND30 Phụ lục I in the PDF that LibreOffice makes of the rendered .docx, for KH,
a Mẫu 1.4 type (BC), QĐ and CV; then a 30-page plan, and the blanks that signing looks for.

Each test converts with LibreOffice (module fixtures: once per document), so all are `slow`.
Coordinates are pdfplumber's: points from the top left of the page. The text area runs from the
30 mm left margin to the 15 mm right margin (165 mm).
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import itertools
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pdfplumber
import pypdf
import pytest

from documents import conversion
from documents.rendering import MOTTO, NATIONAL_TITLE, render_plan_docx

from .test_layout_samples import SAMPLES, header, long_plan_content

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not conversion.soffice_available(), reason="LibreOffice (soffice) is not installed"
    ),
]

MM = 72 / 25.4
PAGE = (595.28, 841.89)
LEFT = 30 * MM
RIGHT = (210 - 15) * MM
WIDTH = RIGHT - LEFT
CENTRE = (LEFT + RIGHT) / 2
TOP_MARGIN = 20 * MM
BOTTOM = (297 - 20) * MM
TYPES = tuple(SAMPLES)
ISSUED = {"number": 5, "issued_on": dt.date(2024, 1, 5)}
NUMBERS = {"KH": "05/KH-UBND", "BC": "05/BC-UBND", "QĐ": "05/QĐ-UBND", "CV": "05/UBND-VX"}
FACES = {"LiberationSerif", "LiberationSerif-Bold", "LiberationSerif-Italic"}
FACES_ALL = {*FACES, "LiberationSerif-BoldItalic"}


@functools.lru_cache(maxsize=16)
def _pdf(doc_type: str, issued: bool = True, **overrides: Any) -> bytes:
    content = SAMPLES[doc_type](**overrides)
    docx = render_plan_docx(content, header(**(ISSUED if issued else {})))
    return conversion.docx_to_pdf(docx)


@contextmanager
def _page(doc_type: str, index: int = 0) -> Iterator[Any]:
    with pdfplumber.open(io.BytesIO(_pdf(doc_type))) as pdf:
        yield pdf.pages[index]


def _face(char: dict[str, Any]) -> str:
    return char["fontname"].split("+")[-1]


def _hit(page: Any, text: str, *, index: int = 0) -> dict[str, Any]:
    hits = page.search(re.escape(text), regex=True)
    assert len(hits) > index, f"{text!r} not on the page"
    return hits[index]


def _style(hit: dict[str, Any]) -> tuple[set[str], set[float]]:
    chars = [c for c in hit["chars"] if c["text"].strip()]
    return {_face(c) for c in chars}, {round(c["size"], 1) for c in chars}


def _share(x: float) -> float:
    """An x position as a share of the text area's width (0 at the left margin)."""
    return (x - LEFT) / WIDTH


def _horizontal_rules(page: Any, *, top: float, bottom: float) -> list[tuple[float, float, float]]:
    """Black horizontal lines between `top` and `bottom`: (x0, x1, y), deduplicated."""
    rules = {
        (round(e["x0"], 1), round(e["x1"], 1), round(e["top"], 1))
        for e in page.edges
        if e["orientation"] == "h" and top <= e["top"] <= bottom and e["x1"] - e["x0"] > 5
    }
    return sorted(rules, key=lambda r: (r[2], r[0]))


# ---------------------------------------------------------------------------------------------
# Page, fonts, text


@pytest.mark.parametrize("doc_type", TYPES)
def test_pdf_pages_are_a4_portrait(doc_type: str) -> None:
    # given the PDF of a document / then every page is A4 portrait (LibreOffice: 595.3 × 841.9)
    reader = pypdf.PdfReader(io.BytesIO(_pdf(doc_type)))
    for page in reader.pages:
        assert abs(float(page.mediabox.width) - PAGE[0]) < 0.5
        assert abs(float(page.mediabox.height) - PAGE[1]) < 0.5


@pytest.mark.parametrize("doc_type", TYPES)
def test_pdf_uses_liberation_serif_only(doc_type: str) -> None:
    # given the PDF of a document / then every glyph is Liberation Serif (LibreOffice's metric
    # twin of Times New Roman): regular, bold, italic, and bold italic for "Nơi nhận:"
    with pdfplumber.open(io.BytesIO(_pdf(doc_type))) as pdf:
        faces = {_face(c) for page in pdf.pages for c in page.chars}
    assert FACES <= faces <= FACES_ALL


@pytest.mark.parametrize("doc_type", TYPES)
def test_pdf_text_is_nfc_and_reads_back(doc_type: str) -> None:
    # given the PDF of a document / when its text is extracted / then NFC, with the header, the
    # number, the date and the signer as rendered
    reader = pypdf.PdfReader(io.BytesIO(_pdf(doc_type)))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert unicodedata.is_normalized("NFC", text)
    for expected in (
        NATIONAL_TITLE,
        MOTTO,
        f"Số: {NUMBERS[doc_type]}",
        "Đồng Nai, ngày 05 tháng 01 năm 2024",
        "Nguyễn Thị Hoàng",
        "Nơi nhận:",
    ):
        assert expected in text, expected


@pytest.mark.parametrize("doc_type", TYPES)
def test_pdf_text_stays_inside_the_margins(doc_type: str) -> None:
    # given the PDF of a document / then every glyph of the body lies within the 30 mm left and
    # 15 mm right margins and between the 20 mm top and bottom margins (page numbers aside)
    with pdfplumber.open(io.BytesIO(_pdf(doc_type))) as pdf:
        for page in pdf.pages:
            chars = [c for c in page.chars if c["text"].strip() and c["top"] > TOP_MARGIN]
            assert min(c["x0"] for c in chars) >= LEFT - 1
            assert max(c["x1"] for c in chars) <= RIGHT + 1
            assert max(c["bottom"] for c in chars) <= BOTTOM + 1
        body = [c for c in pdf.pages[0].chars if c["top"] > 280 and c["text"].strip()]
        assert abs(min(c["x0"] for c in body) - LEFT) < 1.5  # full lines start at the margin


# ---------------------------------------------------------------------------------------------
# Each element: font face, size, position


# (element, text on page 1, types, faces, size)
STYLED = [
    ("quoc-hieu", NATIONAL_TITLE, TYPES, {"LiberationSerif-Bold"}, 12),
    ("tieu-ngu", MOTTO, TYPES, {"LiberationSerif-Bold"}, 13),
    ("co-quan", "ỦY BAN NHÂN DÂN", TYPES, {"LiberationSerif-Bold"}, 13),
    ("so", "Số:", TYPES, {"LiberationSerif"}, 13),
    ("dia-danh-ngay", "Đồng Nai, ngày 05 tháng 01 năm 2024", TYPES, {"LiberationSerif-Italic"}, 13),
    ("ten-loai-kh", "KẾ HOẠCH", ("KH",), {"LiberationSerif-Bold"}, 14),
    ("ten-loai-bc", "BÁO CÁO", ("BC",), {"LiberationSerif-Bold"}, 14),
    ("ten-loai-qd", "QUYẾT ĐỊNH", ("QĐ",), {"LiberationSerif-Bold"}, 14),
    ("trich-yeu", "Hoạt động thông tin đối ngoại", ("KH",), {"LiberationSerif-Bold"}, 14),
    ("vv", "V/v báo cáo", ("CV",), {"LiberationSerif"}, 12),
    ("can-cu", "Căn cứ Kế hoạch số 160/KH-UBND", ("KH",), {"LiberationSerif-Italic"}, 14),
    (
        "theo-de-nghi",
        "Theo đề nghị của Giám đốc Sở Ngoại vụ.",
        ("QĐ",),
        {"LiberationSerif-Italic"},
        14,
    ),
    ("dieu", "Điều 1. Thành lập Tổ công tác", ("QĐ",), {"LiberationSerif-Bold"}, 14),
    ("muc", "I. KẾT QUẢ THỰC HIỆN", ("BC",), {"LiberationSerif-Bold"}, 14),
    ("noi-dung", "Tuyên truyền, quảng bá", ("KH", "BC", "CV"), {"LiberationSerif"}, 14),
    ("kinh-gui", "Kính gửi:", ("BC", "CV"), {"LiberationSerif"}, 14),
    ("khan", "KHẨN", ("BC",), {"LiberationSerif-Bold"}, 13),
    ("hoa-toc", "HỎA TỐC", ("CV",), {"LiberationSerif-Bold"}, 13),
    ("mat", "MẬT", ("CV",), {"LiberationSerif-Bold"}, 13),
]


@pytest.mark.parametrize(
    ("text", "doc_type", "faces", "size"),
    [
        pytest.param(text, doc_type, faces, size, id=f"{name}-{doc_type}")
        for name, text, types, faces, size in STYLED
        for doc_type in types
    ],
)
def test_pdf_element_face_and_size(doc_type: str, text: str, faces: set[str], size: float) -> None:
    # given page 1 of the PDF / when the element's text is found / then its face and size
    with _page(doc_type) as page:
        assert _style(_hit(page, text)) == (faces, {size})


# (element, text, faces, size) in the signature block / recipients, found on the last page
FOOTER = [
    ("noi-nhan", "Nơi nhận:", {"LiberationSerif-BoldItalic"}, 12),
    ("luu", "- Lưu: VT, KGVX.", {"LiberationSerif"}, 11),
    ("chuc-vu", "PHÓ CHỦ TỊCH", {"LiberationSerif-Bold"}, 14),
    ("ho-ten", "Nguyễn Thị Hoàng", {"LiberationSerif-Bold"}, 14),
]


def _footer_page(doc_type: str) -> int:
    """The page of the signature block: the last one, or the last before the appendix."""
    with pdfplumber.open(io.BytesIO(_pdf(doc_type))) as pdf:
        for index in range(len(pdf.pages) - 1, -1, -1):
            if pdf.pages[index].search("Nơi nhận:"):
                return index
    raise AssertionError("no signature block")


@pytest.mark.parametrize(
    ("text", "doc_type", "faces", "size"),
    [
        pytest.param(text, doc_type, faces, size, id=f"{name}-{doc_type}")
        for name, text, faces, size in FOOTER
        for doc_type in TYPES
    ],
)
def test_pdf_footer_face_and_size(doc_type: str, text: str, faces: set[str], size: float) -> None:
    # given the page with the signature block / then "Nơi nhận:" 12 bold italic, the list 11,
    # the position and the name 14 bold
    with _page(doc_type, _footer_page(doc_type)) as page:
        assert _style(_hit(page, text)) == (faces, {size})


@pytest.mark.parametrize("doc_type", TYPES)
def test_pdf_header_cells_positions(doc_type: str) -> None:
    # given page 1 / then the issuer block in the left 0–44 % of the text width, Quốc hiệu and
    # Tiêu ngữ in the right part centred near 75 % (the grid's ô 1 is 52–98 %; the Quốc hiệu at
    # 12 pt bold is 88 mm, 53 % of the width, so it starts a little left of 52 %), the number
    # under the issuer and the date on the same line, centred under the Tiêu ngữ
    with _page(doc_type) as page:
        for text in ("ỦY BAN NHÂN DÂN", "TỈNH ĐỒNG NAI"):
            hit = _hit(page, text)
            assert _share(hit["x0"]) >= 0 and _share(hit["x1"]) <= 0.44
        issuer_centre = (
            _hit(page, "ỦY BAN NHÂN DÂN")["x0"] + _hit(page, "ỦY BAN NHÂN DÂN")["x1"]
        ) / 2
        national = _hit(page, NATIONAL_TITLE)
        motto = _hit(page, MOTTO)
        for hit in (national, motto):
            centre = _share((hit["x0"] + hit["x1"]) / 2)
            assert 0.68 <= centre <= 0.78
            assert _share(hit["x0"]) >= 0.44 and _share(hit["x1"]) <= 0.995
        assert national["top"] < motto["top"] < national["top"] + 20  # single line spacing
        number = _hit(page, "Số:")
        number_line = [
            c for c in page.chars if abs(c["top"] - number["top"]) < 2 and c["x0"] < CENTRE
        ]
        assert _share(min(c["x0"] for c in number_line)) >= 0
        assert _share(max(c["x1"] for c in number_line)) <= 0.43
        number_centre = (min(c["x0"] for c in number_line) + max(c["x1"] for c in number_line)) / 2
        assert abs(number_centre - issuer_centre) < 3
        date = _hit(page, "Đồng Nai, ngày")
        assert abs(date["top"] - number["top"]) < 2
        date_line = [c for c in page.chars if abs(c["top"] - date["top"]) < 2 and c["x0"] > CENTRE]
        date_centre = (min(c["x0"] for c in date_line) + max(c["x1"] for c in date_line)) / 2
        assert abs(date_centre - (motto["x0"] + motto["x1"]) / 2) < 3


@pytest.mark.parametrize("doc_type", ("KH", "BC", "QĐ"))
def test_pdf_type_and_summary_centred_on_the_text_area(doc_type: str) -> None:
    # given page 1 / then the type name and the summary are centred on the text area
    name = {"KH": "KẾ HOẠCH", "BC": "BÁO CÁO", "QĐ": "QUYẾT ĐỊNH"}[doc_type]
    with _page(doc_type) as page:
        hit = _hit(page, name)
        assert abs((hit["x0"] + hit["x1"]) / 2 - CENTRE) < 2
        summary = SAMPLES[doc_type]().title
        line = page.search(re.escape(summary[:25]), regex=True)[0]
        chars = [c for c in page.chars if abs(c["top"] - line["top"]) < 2]
        assert abs((min(c["x0"] for c in chars) + max(c["x1"] for c in chars)) / 2 - CENTRE) < 2


def test_pdf_letter_summary_is_centred_under_the_number() -> None:
    # given a công văn / then "V/v …" 12 pt sits under the number, centred on it, in ô 5b
    with _page("CV") as page:
        number = _hit(page, "Số:")
        vv = _hit(page, "V/v")
        line = [c for c in page.chars if abs(c["top"] - vv["top"]) < 2]
        centre = (min(c["x0"] for c in line) + max(c["x1"] for c in line)) / 2
        number_line = [
            c for c in page.chars if abs(c["top"] - number["top"]) < 2 and c["x0"] < CENTRE
        ]
        number_centre = (min(c["x0"] for c in number_line) + max(c["x1"] for c in number_line)) / 2
        assert abs(centre - number_centre) < 3
        assert 13 + 5 < vv["top"] - number["top"] < 13 + 12  # one 13 pt line, then about 6 pt
        assert _share(max(c["x1"] for c in line)) <= 0.44


# ---------------------------------------------------------------------------------------------
# Rules


@pytest.mark.parametrize("doc_type", TYPES)
def test_pdf_rules_under_motto_and_issuer(doc_type: str) -> None:
    # given page 1 / when the header's horizontal rules are measured / then the Tiêu ngữ's is as
    # long as the Tiêu ngữ; the issuer's is 1/3–1/2 of the issuer's line; both centred under
    # their text
    with _page(doc_type) as page:
        motto = _hit(page, MOTTO)
        issuer = _hit(page, "ỦY BAN NHÂN DÂN")
        rules = _horizontal_rules(page, top=motto["bottom"], bottom=motto["bottom"] + 15)
        under_motto = [r for r in rules if r[0] > CENTRE - 20]
        under_issuer = [r for r in rules if r[1] < CENTRE]
        assert len(under_motto) == 1 and len(under_issuer) == 1
        (x0, x1, _y) = under_motto[0]
        assert abs((x1 - x0) - (motto["x1"] - motto["x0"])) < 1.5
        assert abs((x0 + x1) / 2 - (motto["x0"] + motto["x1"]) / 2) < 1.5
        (x0, x1, _y) = under_issuer[0]
        line = issuer["x1"] - issuer["x0"]
        assert line / 3 <= x1 - x0 <= line / 2
        assert abs((x0 + x1) / 2 - (issuer["x0"] + issuer["x1"]) / 2) < 1.5


@pytest.mark.parametrize("doc_type", ("KH", "BC", "QĐ"))
def test_pdf_rule_under_the_summary(doc_type: str) -> None:
    # given page 1 / then one rule under the summary, 1/3–1/2 of its line, centred on it
    with _page(doc_type) as page:
        summary = SAMPLES[doc_type]().title
        hit = page.search(re.escape(summary[:25]), regex=True)[0]
        chars = [c for c in page.chars if abs(c["top"] - hit["top"]) < 2]
        x0, x1 = min(c["x0"] for c in chars), max(c["x1"] for c in chars)
        [rule] = _horizontal_rules(page, top=hit["bottom"], bottom=hit["bottom"] + 12)
        assert (x1 - x0) / 3 <= rule[1] - rule[0] <= (x1 - x0) / 2
        assert abs((rule[0] + rule[1]) / 2 - (x0 + x1) / 2) < 1.5


# ---------------------------------------------------------------------------------------------
# Stamps, Kính gửi, footer, body


@pytest.mark.parametrize(
    ("doc_type", "stamps"),
    [("BC", {"KHẨN": 20}), ("CV", {"MẬT": 20, "HỎA TỐC": 30})],
)
def test_pdf_stamps_are_red_boxes_of_their_size_under_the_number(
    doc_type: str, stamps: dict[str, int]
) -> None:
    # given marks / then each is a red single-rule box W × 8 mm around its text, in the left
    # column below the number (ô 10a, 10b)
    with _page(doc_type) as page:
        number = _hit(page, "Số:")
        red = [e for e in page.edges if e.get("stroking_color") == (1.0, 0.0, 0.0)]
        for text, width in stamps.items():
            hit = _hit(page, text)
            around = [e for e in red if e["x0"] <= hit["x0"] and e["x1"] >= hit["x1"]] + [
                e
                for e in red
                if e["orientation"] == "v"
                and e["top"] <= hit["top"]
                and e["bottom"] >= hit["bottom"]
            ]
            box_x0 = min(e["x0"] for e in around if abs(e["top"] - hit["top"]) < 20)
            box_x1 = max(e["x1"] for e in around if abs(e["top"] - hit["top"]) < 20)
            tops = [e["top"] for e in around if e["orientation"] == "h"]
            box_top = max(t for t in tops if t < hit["top"])
            box_bottom = min(t for t in tops if t > hit["bottom"])
            assert abs((box_x1 - box_x0) / MM - width) < 1
            assert abs((box_bottom - box_top) / MM - 8) < 0.6
            assert box_top > number["bottom"]
            assert _share(box_x1) < 0.44
            assert {tuple(c["non_stroking_color"]) for c in hit["chars"]} == {(1.0, 0.0, 0.0)}


@pytest.mark.parametrize("doc_type", ("BC", "CV"))
def test_pdf_addressees_dashes_aligned_after_the_colon(doc_type: str) -> None:
    # given several addressees / then "Kính gửi:" then one per line, the dashes aligned with one
    # another right after the colon, the block right of the left third
    names = SAMPLES[doc_type]().addressees
    with _page(doc_type) as page:
        label = _hit(page, "Kính gửi:")
        dashes = [_hit(page, f"- {name}") for name in names]
        xs = [d["x0"] for d in dashes]
        assert max(xs) - min(xs) < 0.5
        assert abs(xs[0] - label["x1"]) < 3
        assert [d["top"] for d in dashes] == sorted(d["top"] for d in dashes)
        assert dashes[0]["top"] > label["top"]
        assert 0.10 <= _share(label["x0"]) <= 0.45


@pytest.mark.parametrize("doc_type", TYPES)
def test_pdf_noi_nhan_level_with_the_authority_line(doc_type: str) -> None:
    # given the page of the signature block / then "Nơi nhận:" flush left on the line of the
    # first authority line, which is centred in the right half
    with _page(doc_type, _footer_page(doc_type)) as page:
        label = _hit(page, "Nơi nhận:")
        first = (
            _hit(page, "KT. CHỦ TỊCH") if doc_type == "QĐ" else _hit(page, "TM. ỦY BAN NHÂN DÂN")
        )
        assert abs(label["top"] - first["top"]) < 3
        assert abs(label["x0"] - LEFT) < 6
        assert _share((first["x0"] + first["x1"]) / 2) > 0.6


@pytest.mark.parametrize("doc_type", ("KH", "BC", "CV"))
def test_pdf_body_justified_indented_spaced(doc_type: str) -> None:
    # given a long body paragraph / then its first line is indented 1.27 cm, its full lines reach
    # both margins (justified), lines are single-spaced (1–1.5 lines of 14 pt) and paragraphs at
    # least 6 pt apart
    with _page(doc_type) as page:
        lines = [
            line
            for line in page.extract_text_lines()
            if line["top"] > 150 and {round(c["size"]) for c in line["chars"]} == {14}
        ]
        indent = LEFT + 1.27 / 2.54 * 72
        starts = [i for i, line in enumerate(lines) if abs(line["x0"] - indent) < 1.5]
        # the first paragraph of three lines or more that another paragraph follows
        first, second = next((a, b) for a, b in itertools.pairwise(starts) if b - a >= 3)
        paragraph = lines[first:second]
        assert paragraph[0]["text"].startswith("Tuyên truyền")
        for line in paragraph[1:-1]:
            assert abs(line["x0"] - LEFT) < 1 and abs(line["x1"] - RIGHT) < 2
        steps = [b["top"] - a["top"] for a, b in itertools.pairwise(paragraph)]
        assert all(14 <= step <= 14 * 1.5 * 1.2 for step in steps)
        gap = lines[second]["top"] - paragraph[-1]["top"]
        assert gap - max(steps) >= 6 - 0.5


# ---------------------------------------------------------------------------------------------
# Page numbers


def _top_margin_text(page: Any) -> tuple[str, list[dict[str, Any]]]:
    chars = [c for c in page.chars if c["bottom"] < TOP_MARGIN and c["text"].strip()]
    return "".join(c["text"] for c in chars), chars


@pytest.mark.parametrize("doc_type", ("KH", "BC"))
def test_pdf_page_numbers_centred_in_the_top_margin_from_page_two(doc_type: str) -> None:
    # given a document of two pages or more / then nothing in the top margin of page 1, and "2",
    # "3", … centred over the text area in 14 pt on the following pages
    with pdfplumber.open(io.BytesIO(_pdf(doc_type))) as pdf:
        assert len(pdf.pages) >= 2
        assert _top_margin_text(pdf.pages[0])[0] == ""
        for index, page in enumerate(pdf.pages[1:], start=2):
            text, chars = _top_margin_text(page)
            assert text == str(index)
            assert abs((chars[0]["x0"] + chars[-1]["x1"]) / 2 - CENTRE) < 3
            assert {round(c["size"]) for c in chars} == {14}
            assert {_face(c) for c in chars} == {"LiberationSerif"}


def test_pdf_appendix_pages_are_numbered_on_their_own() -> None:
    # given a decision of one page with a two-page appendix / then no number on page 1, none on
    # the appendix's first page, "2" on its second (Phụ lục I, III.1.đ)
    with pdfplumber.open(io.BytesIO(_pdf("QĐ"))) as pdf:
        assert len(pdf.pages) == 3
        assert _top_margin_text(pdf.pages[0])[0] == ""
        assert pdf.pages[1].search("Phụ lục")
        assert _top_margin_text(pdf.pages[1])[0] == ""
        assert _top_margin_text(pdf.pages[2])[0] == "2"


def test_pdf_appendix_heading() -> None:
    # given the appendix page / then "Phụ lục" 14 bold centred, the title upper case bold, the
    # note italic, a short centred rule under it
    with _page("QĐ", 1) as page:
        label = _hit(page, "Phụ lục")
        assert _style(label) == ({"LiberationSerif-Bold"}, {14})
        assert abs((label["x0"] + label["x1"]) / 2 - CENTRE) < 2
        title = _hit(page, "DANH SÁCH THÀNH VIÊN TỔ CÔNG TÁC")
        assert _style(title) == ({"LiberationSerif-Bold"}, {14})
        note = _hit(page, "(Kèm theo Quyết định số 05/QĐ-UBND")
        assert _style(note) == ({"LiberationSerif-Italic"}, {14})
        rules = _horizontal_rules(page, top=note["bottom"], bottom=note["bottom"] + 40)
        assert len(rules) == 1
        width = title["x1"] - title["x0"]
        assert width / 3 <= rules[0][1] - rules[0][0] <= width / 2


# ---------------------------------------------------------------------------------------------
# Signing finds its blanks in every type


@pytest.mark.parametrize("doc_type", TYPES)
def test_signing_finds_the_blank_number_and_date_in_every_type(doc_type: str) -> None:
    # given the draft PDF of each type (stamps and "V/v" included) / when signing adds the
    # issuance fields / then the number field sits between "Số:" and "/", the date field on
    # the date line
    from signing.pdf import DATE_FIELD, NUMBER_FIELD, pdf_add_issue_fields

    pdf = _pdf(doc_type, issued=False)
    prepared = pdf_add_issue_fields(pdf)
    reader = pypdf.PdfReader(io.BytesIO(prepared))
    fields = {
        str(a.get_object()["/T"]): [float(v) for v in a.get_object()["/Rect"]]
        for a in reader.pages[0]["/Annots"]
    }
    assert set(fields) == {NUMBER_FIELD, DATE_FIELD}
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        page = document.pages[0]
        number = _hit(page, "Số:")
        slash = next(
            c
            for c in sorted(page.chars, key=lambda c: c["x0"])
            if c["text"] == "/" and abs(c["top"] - number["top"]) < 2
        )
    x0, _y0, x1, _y1 = fields[NUMBER_FIELD]
    assert number["x1"] <= x0 + 1 and x1 <= slash["x0"] + 0.5


@pytest.mark.parametrize(
    ("doc_type", "overrides"),
    [
        ("KH", {}),
        ("BC", {}),
        ("CV", {}),
        ("QĐ", {"appendices": ()}),
    ],
)
def test_signing_finds_the_position_line_on_the_last_page(
    doc_type: str, overrides: dict[str, Any]
) -> None:
    # given a draft without appendices / when signing looks for the position line / then it is
    # found on the last page, above the name
    from signing.pdf import _locate_signature_box

    pdf = _pdf(doc_type, issued=False, **overrides)
    page_index, box = _locate_signature_box(pdf, "PHÓ CHỦ TỊCH")
    assert page_index == len(pypdf.PdfReader(io.BytesIO(pdf)).pages) - 1
    assert box[2] - box[0] > 100


def test_signing_finds_the_position_line_before_an_appendix() -> None:
    # given a decision whose appendix follows the signature block in the same file
    from signing.pdf import _locate_signature_box

    pdf = _pdf("QĐ", issued=False)
    pages = len(pypdf.PdfReader(io.BytesIO(pdf)).pages)
    # when signing looks for the position line
    page_index, box = _locate_signature_box(pdf, "PHÓ CHỦ TỊCH")
    # then it is found before the appendix pages
    assert page_index < pages - 1
    assert box[2] - box[0] > 100


# ---------------------------------------------------------------------------------------------
# A 30-page plan


def test_thirty_page_plan_renders_to_docx_and_pdf() -> None:
    # given a plan of about 30 pages / when rendered and converted / then at least 25 A4 pages,
    # numbered from 2 on, Liberation Serif throughout, the signature block on the last page
    content = long_plan_content()
    docx = render_plan_docx(content, header())
    pdf = conversion.docx_to_pdf(docx)
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        pages = document.pages
        assert len(pages) >= 25
        assert _top_margin_text(pages[0])[0] == ""
        for index in (2, 10, len(pages)):
            assert _top_margin_text(pages[index - 1])[0] == str(index)
        assert pages[-1].search("Nguyễn Thị Hoàng")
        assert {_face(c) for c in pages[len(pages) // 2].chars} <= FACES_ALL
