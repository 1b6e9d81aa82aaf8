"""The short rule under the summary (trích yếu, ND30 Phụ lục I II.5.b) stays under the title's
last line, for titles of one to three lines, wrapped or broken by hand: in the PDF, below the
lowest glyph of that line; in the .docx, apart from it by the space after the line (Word counts
a paragraph's space before inside its border, so a rule given space before sits on the
descenders of the line above in Word)."""

from __future__ import annotations

import io
from typing import Any

import pdfplumber
import pytest
from docx import Document
from docx.shared import Pt

from documents import conversion
from documents.rendering import RULE_GAP_PT, render_plan_docx

from .test_layout_samples import SAMPLES, header

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not conversion.soffice_available(), reason="LibreOffice (soffice) is not installed"
    ),
]

TITLES = {
    "one line": "Hoạt động thông tin đối ngoại tỉnh Đồng Nai năm 2024",
    "two lines, wrapped": (
        "Triển khai thực hiện Đề án phát triển ứng dụng dữ liệu về dân cư, định danh và xác "
        "thực điện tử phục vụ chuyển đổi số quốc gia giai đoạn 2022-2025 trên địa bàn tỉnh"
    ),
    "three lines, wrapped": (
        "Triển khai thực hiện Đề án phát triển ứng dụng dữ liệu về dân cư, định danh và xác "
        "thực điện tử phục vụ chuyển đổi số quốc gia giai đoạn 2022-2025, tầm nhìn đến năm 2030 "
        "trên địa bàn tỉnh Đồng Nai và các giải pháp trọng tâm, trọng điểm năm 2026 (đợt ký)"
    ),
    "three lines, by hand": (
        "Tuyên truyền, phổ biến pháp luật\nvề phòng, chống ma túy trong thanh thiếu niên\n"
        "giai đoạn 2024-2025, gặp gỡ, giao lưu"
    ),
}


def _title_lines(page: Any, title: str, *, below: float) -> list[dict[str, Any]]:
    """The printed lines of `title`: the lines after `below` until all its words are read."""
    words = title.split()
    lines = []
    for line in page.extract_text_lines():
        if line["top"] <= below or len(words) <= 0:
            continue
        lines.append(line)
        words = words[len(line["text"].split()) :]
    assert not words, f"the title is not all on page 1: {words}"
    return lines


@pytest.mark.parametrize("doc_type", ["KH", "QĐ", "BC"])
@pytest.mark.parametrize("title", list(TITLES.values()), ids=list(TITLES))
def test_the_rule_sits_under_the_last_line_of_the_title(doc_type: str, title: str) -> None:
    # given a document whose summary runs over one to three lines
    content = SAMPLES[doc_type](title=title)
    docx = render_plan_docx(content, header())
    # when it is printed
    with pdfplumber.open(io.BytesIO(conversion.docx_to_pdf(docx))) as pdf:
        page = pdf.pages[0]
        [kind] = [w for w in page.extract_words() if w["text"] in {"KẾ", "QUYẾT", "BÁO"}][:1]
        lines = _title_lines(page, title, below=kind["bottom"] + 1)
        last = lines[-1]
        rules = [
            e
            for e in page.edges
            if e["orientation"] == "h"
            and e["x1"] - e["x0"] > 20
            and last["top"] - 30 < e["top"] < last["bottom"] + 30
        ]
    # then one rule, below the lowest glyph of the title's last line (descenders, dots below)
    assert rules, f"no rule near {last['text']!r}"
    lowest = max(c["bottom"] for c in last["chars"])
    assert all(rule["top"] >= lowest + 2 for rule in rules), (lowest, rules[0]["top"])
    # and, for all the title's lines, never between two of them
    assert all(rule["top"] > line["bottom"] for rule in rules for line in lines)
    # and 1/3–1/2 of the widest line, centred on the text area's middle
    widest = max(line["x1"] - line["x0"] for line in lines)
    width = rules[0]["x1"] - rules[0]["x0"]
    assert widest / 3 - 1 <= width <= widest / 2 + 1
    centre = (max(line["x1"] for line in lines) + min(line["x0"] for line in lines)) / 2
    assert abs((rules[0]["x0"] + rules[0]["x1"]) / 2 - centre) < 3


@pytest.mark.parametrize("title", list(TITLES.values()), ids=list(TITLES))
def test_the_rule_takes_no_space_before_in_the_docx(title: str) -> None:
    # given the .docx of a plan
    docx = Document(io.BytesIO(render_plan_docx(SAMPLES["KH"](title=title), header())))
    # when the rule's paragraph is found (the first body paragraph with a top border)
    paragraphs = docx.paragraphs
    index = next(
        i
        for i, p in enumerate(paragraphs)
        if p._p.pPr is not None
        and p._p.pPr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}pBdr")
        is not None
    )
    rule, above = paragraphs[index], paragraphs[index - 1]
    # then the gap is the title line's space after, not space before the rule
    assert above.text.strip() == title.splitlines()[-1].strip()
    assert (rule.paragraph_format.space_before or Pt(0)) == Pt(0)
    assert above.paragraph_format.space_after >= Pt(RULE_GAP_PT)


def test_a_title_longer_than_a_file_property_renders() -> None:
    # given a summary of 300 characters (a .docx core property holds 255)
    title = ("Triển khai thực hiện Đề án phát triển ứng dụng dữ liệu về dân cư " * 5).strip()
    # when rendered / then the document has it whole, the file's title property cut on a word
    docx = Document(io.BytesIO(render_plan_docx(SAMPLES["KH"](title=title), header())))
    assert title in " ".join(p.text for p in docx.paragraphs)
    assert len(docx.core_properties.title) <= 255
    assert docx.core_properties.title.endswith("…")
    assert title.startswith(docx.core_properties.title.removeprefix("Kế hoạch ").removesuffix("…"))
