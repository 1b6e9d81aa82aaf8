"""Ô 11 (circulation note), ô 12 (drafter initials and copies) and ô 13 (contact line) of ND30
Phụ lục I in the rendered .docx (pure), plus one PDF check of ô 13 (slow, LibreOffice)."""

from __future__ import annotations

import dataclasses
import io
from typing import Any

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import Pt

from documents import conversion
from documents.content import ContentError, PlanContent
from documents.rendering import format_drafter_mark, render_plan_docx

from .test_layout_samples import SAMPLES, header, long_plan_content

TYPES = tuple(SAMPLES)
CONTACT = (
    "Địa chỉ: số 2 Nguyễn Văn Trị, phường Trấn Biên; Điện thoại: 0251 3822 000; "
    "E-mail: ubnd@dongnai.gov.vn; Website: dongnai.gov.vn"
)
EXTRAS = {
    "circulation_note": "xem xong trả lại",
    "drafter_initials": "pl",
    "copies": 300,
    "contact_line": CONTACT,
}


def _document(doc_type: str = "KH", **overrides: Any) -> Any:
    content = SAMPLES[doc_type](**overrides)
    return docx.Document(io.BytesIO(render_plan_docx(content, header())))


def _all_text(document: Any) -> str:
    body = document.element.body
    texts = [t.text or "" for t in body.iter(qn("w:t"))]
    for section in document.sections:
        for part in (section.header, section.footer, section.first_page_header):
            texts.extend(p.text for p in part.paragraphs)
        texts.extend(p.text for p in section.first_page_footer.paragraphs)
    return "\n".join(texts)


# -- content ---------------------------------------------------------------------------------


def test_extras_default_to_empty() -> None:
    content = SAMPLES["KH"]()
    assert content.circulation_note == ""
    assert content.drafter_initials == ""
    assert content.copies is None
    assert content.contact_line == ""


def test_extras_are_normalised() -> None:
    content = SAMPLES["KH"](**{**EXTRAS, "copies": "300", "contact_line": f"  {CONTACT}\n "})
    assert content.circulation_note == "XEM XONG TRẢ LẠI"
    assert content.drafter_initials == "PL"
    assert content.copies == 300
    assert content.contact_line == CONTACT
    assert PlanContent.from_dict(content.to_dict()) == content


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"copies": 0}, "Số lượng bản phát hành"),
        ({"copies": -3}, "Số lượng bản phát hành"),
        ({"copies": 2.5}, "Số lượng bản phát hành"),
        ({"copies": True}, "Số lượng bản phát hành"),
        ({"copies": "ba trăm"}, "Số lượng bản phát hành"),
        ({"drafter_initials": "P L"}, "Ký hiệu người đánh máy"),
        ({"drafter_initials": "PL3"}, "Ký hiệu người đánh máy"),
        ({"drafter_initials": "A" * 11}, "Ký hiệu người đánh máy"),
        ({"circulation_note": "X" * 61}, "Chỉ dẫn phạm vi lưu hành"),
        ({"circulation_note": 5}, "Chỉ dẫn phạm vi lưu hành"),
        ({"contact_line": "x" * 301}, "Thông tin liên hệ"),
    ],
)
def test_extras_are_validated_in_vietnamese(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ContentError, match=message):
        SAMPLES["KH"](**overrides)


def test_format_drafter_mark() -> None:
    assert format_drafter_mark("pl", 300) == "PL.(300)"
    assert format_drafter_mark("PL", None) == "PL."
    assert format_drafter_mark("", 12) == "(12)"
    assert format_drafter_mark("", None) == ""


# -- ô 11 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("doc_type", TYPES)
def test_circulation_note_is_a_bold_13pt_boxed_capital_line_above_the_header(
    doc_type: str,
) -> None:
    document = _document(doc_type, circulation_note="Lưu hành nội bộ")
    first = document.tables[0]
    assert first.cell(0, 0).text == "LƯU HÀNH NỘI BỘ"
    borders = first._tbl.tblPr.find(qn("w:tblBorders"))
    assert borders is not None
    for side in ("top", "left", "bottom", "right"):
        element = borders.find(qn(f"w:{side}"))
        assert element is not None and element.get(qn("w:val")) == "single"
    runs = [r for p in first.cell(0, 0).paragraphs for r in p.runs if r.text.strip()]
    assert runs and all(r.bold and r.font.size == Pt(13) for r in runs)
    assert all(r.text == r.text.upper() for r in runs)
    # Right of centre: the box starts past the middle of the 165 mm text area.
    indent = int(first._tbl.tblPr.find(qn("w:tblInd")).get(qn("w:w")))
    assert indent / 1440 * 25.4 >= 165 / 2 - 0.5
    # The header table (issuer | Quốc hiệu) follows.
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in document.tables[1].cell(0, 1).text


# -- ô 12 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("doc_type", TYPES)
def test_drafter_mark_under_the_noi_nhan_list(doc_type: str) -> None:
    document = _document(doc_type, drafter_initials="pl", copies=300)
    cells = [t.cell(0, 0) for t in document.tables if "Nơi nhận:" in t.cell(0, 0).text]
    assert len(cells) == 1
    paragraphs = [p for p in cells[0].paragraphs if p.text.strip()]
    assert paragraphs[-1].text == "PL.(300)"
    assert paragraphs[-2].text.startswith("- Lưu:")
    runs = [r for r in paragraphs[-1].runs if r.text.strip()]
    assert all(r.font.size == Pt(11) and not r.bold and not r.italic for r in runs)


# -- ô 13 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("doc_type", TYPES)
def test_contact_line_in_the_first_page_footer_under_a_full_width_rule(doc_type: str) -> None:
    content = SAMPLES[doc_type](
        contact_line=CONTACT,
        appendices=[{"title": "Danh mục", "sections": [{"title": "Mục", "paragraphs": ["x"]}]}],
    )
    document = docx.Document(io.BytesIO(render_plan_docx(content, header())))
    first = document.sections[0]
    assert first.different_first_page_header_footer
    footer = first.first_page_footer
    assert not footer.is_linked_to_previous
    paragraphs = [p for p in footer.paragraphs if p.text.strip()]
    assert [p.text for p in paragraphs] == [CONTACT]
    paragraph = paragraphs[0]
    border = paragraph._p.pPr.find(qn("w:pBdr"))
    top = border.find(qn("w:top")) if border is not None else None
    assert top is not None and top.get(qn("w:val")) == "single"
    fmt = paragraph.paragraph_format
    assert not fmt.left_indent and not fmt.right_indent  # the whole text area
    runs = [r for r in paragraph.runs if r.text.strip()]
    assert all(r.font.size == Pt(11) and not r.bold and not r.italic for r in runs)
    # Not on the other pages: the default footers and the appendix's first page.
    for index, section in enumerate(document.sections):
        assert CONTACT not in "".join(p.text for p in section.footer.paragraphs)
        if index:
            assert not section.first_page_footer.is_linked_to_previous
            assert CONTACT not in "".join(p.text for p in section.first_page_footer.paragraphs)


# -- absent ----------------------------------------------------------------------------------


@pytest.mark.parametrize("doc_type", TYPES)
def test_content_without_extras_renders_none_of_them(doc_type: str) -> None:
    plain = SAMPLES[doc_type]()
    document = docx.Document(io.BytesIO(render_plan_docx(plain, header())))
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in document.tables[0].cell(0, 1).text
    # No footer of its own on page 1 (read before `_all_text`, which would add empty ones).
    assert document.sections[0].first_page_footer.is_linked_to_previous
    text = _all_text(document)
    for mark in ("XEM XONG", "PL.", "(300)", "Địa chỉ:"):
        assert mark not in text
    cells = [t.cell(0, 0) for t in document.tables if "Nơi nhận:" in t.cell(0, 0).text]
    assert [p.text for p in cells[0].paragraphs if p.text.strip()][-1].startswith("- Lưu:")


# -- PDF -------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(
    not conversion.soffice_available(), reason="LibreOffice (soffice) is not installed"
)
def test_pdf_contact_line_at_the_bottom_of_page_one_only() -> None:
    import pdfplumber

    content = dataclasses.replace(
        long_plan_content(sections=2, items=2, tasks=1), contact_line=CONTACT
    )
    pdf = conversion.docx_to_pdf(render_plan_docx(content, header()))
    probe = "dongnai.gov.vn"
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        assert len(document.pages) >= 2
        first, second = document.pages[0], document.pages[1]
        hits = first.search(probe)
        assert hits, first.extract_text()
        assert min(hit["top"] for hit in hits) > first.height * 0.85
        assert "Điện thoại: 0251 3822 000" in (first.extract_text() or "")
        for page in document.pages[1:]:
            assert not page.search(probe)
            assert "Điện thoại: 0251" not in (page.extract_text() or "")
        assert "Điện thoại" not in (second.extract_text() or "")
