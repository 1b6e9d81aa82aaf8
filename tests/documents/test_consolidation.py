"""The consolidation (bảng tổng hợp, tiếp thu, giải trình ý kiến góp ý) as a document: its layout
per Nghị định 30 on A4 landscape, its table and summary, and its data built from a plan's real
consultation. The layout tests are pure (no database, no LibreOffice); one test converts to PDF."""

from __future__ import annotations

import datetime as dt
import functools
import io
from typing import Any

import docx
import pdfplumber
import pytest
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm

from documents import services
from documents.consolidation import (
    COLUMN_TITLES,
    AgencyAnswer,
    Consolidation,
    ConsolidationError,
    ConsultationRound,
    Resolution,
    Tally,
    Verdict,
    render_consolidation_docx,
)
from documents.consolidation_selectors import consolidation_build, consolidation_pdf
from documents.models import ConsultationRequest
from documents.rendering import MOTTO, NATIONAL_TITLE

TNR = "Times New Roman"

FIRST_ROUND = ConsultationRound(
    number=1,
    version=2,
    sent_on=dt.date(2027, 1, 29),
    deadline=dt.date(2027, 2, 16),
    answers=[
        AgencyAnswer(agency="Công an tỉnh", verdict=Verdict.AGREE),
        AgencyAnswer(
            agency="Sở Ngoại vụ",
            verdict=Verdict.AGREE_WITH_COMMENTS,
            comment="Đề nghị bổ sung nhiệm vụ quảng bá tại hội chợ quốc tế.\nGhi rõ kinh phí.",
            resolution=Resolution.ACCEPTED,
            resolution_note="Đã bổ sung tại mục II.1.",
        ),
        AgencyAnswer(
            agency="Sở Tài chính",
            verdict=Verdict.DISAGREE,
            comment="Kinh phí vượt dự toán.",
            resolution=Resolution.EXPLAINED,
            resolution_note="Kinh phí nằm trong dự toán đã giao năm 2027.",
        ),
        AgencyAnswer(agency="UBND huyện Long Thành", verdict=Verdict.SILENT),
    ],
)
SECOND_ROUND = ConsultationRound(
    number=2,
    version=3,
    sent_on=dt.date(2027, 3, 1),
    deadline=dt.date(2027, 3, 10),
    answers=[
        AgencyAnswer(
            agency="Sở Ngoại vụ",
            verdict=Verdict.AGREE_WITH_COMMENTS,
            comment="Sửa tên hội chợ.",
            resolution=Resolution.ACCEPTED,
        ),
        AgencyAnswer(agency="Sở Văn hóa, Thể thao và Du lịch", verdict=Verdict.PENDING),
    ],
)
DATA = Consolidation(
    plan_title="Hoạt động thông tin đối ngoại tỉnh Đồng Nai năm 2027",
    drafting_unit="Sở Thông tin và Truyền thông",
    parent_body="Ủy ban nhân dân tỉnh Đồng Nai",
    place="Đồng Nai",
    prepared_on=dt.date(2027, 3, 12),
    version=4,
    rounds=[FIRST_ROUND, SECOND_ROUND],
    signature_lines=["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"],
    signer_name="Nguyễn Văn An",
)


def render(data: Consolidation) -> Any:
    return docx.Document(io.BytesIO(render_consolidation_docx(data)))


@functools.lru_cache(maxsize=1)
def rendered() -> Any:
    return render(DATA)


def texts(container: Any) -> list[Any]:
    return [p for p in container.paragraphs if p.text.strip()]


def style(paragraph: Any) -> tuple[bool, bool, float]:
    runs = [r for r in paragraph.runs if r.text.strip()]
    sizes = {r.font.size.pt for r in runs}
    assert len(sizes) == 1, paragraph.text
    return all(bool(r.bold) for r in runs), all(bool(r.italic) for r in runs), sizes.pop()


def comment_table(document: Any) -> Any:
    return next(t for t in document.tables if t.rows[0].cells[0].text == "STT")


# -- page and fonts ----------------------------------------------------------------------------


def test_the_page_is_a4_landscape_with_the_nd30_margins():
    section = rendered().sections[0]
    assert section.orientation == WD_ORIENT.LANDSCAPE
    assert abs(section.page_width - Mm(297)) < Mm(0.5)
    assert abs(section.page_height - Mm(210)) < Mm(0.5)
    margins = (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
    assert tuple(round(m.mm) for m in margins) == (20, 20, 30, 15)


def test_times_new_roman_everywhere():
    document = rendered()
    body = document.element.body
    assert {f.get(qn("w:ascii")) for f in body.iter(qn("w:rFonts"))} <= {TNR}
    rfonts = document.styles["Normal"].element.rPr.rFonts
    assert {rfonts.get(qn(a)) for a in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia")} == {TNR}


def test_page_numbers_are_in_the_top_margin_from_page_two():
    section = rendered().sections[0]
    assert section.different_first_page_header_footer is True
    assert "PAGE" in section.header._element.xml
    assert "PAGE" not in section.first_page_header._element.xml


# -- header ------------------------------------------------------------------------------------


def test_header_names_the_drafting_unit_under_its_parent_body():
    left = texts(rendered().tables[0].rows[0].cells[0])
    assert [p.text for p in left] == [
        "ỦY BAN NHÂN DÂN",
        "TỈNH ĐỒNG NAI",
        "SỞ THÔNG TIN VÀ TRUYỀN THÔNG",
    ]
    assert [style(p) for p in left] == [(False, False, 13)] * 2 + [(True, False, 13)]


def test_header_has_the_national_title_motto_and_the_date_in_italic():
    document = rendered()
    right = texts(document.tables[0].rows[0].cells[1])
    assert [p.text for p in right] == [NATIONAL_TITLE, MOTTO]
    assert [style(p) for p in right] == [(True, False, 12), (True, False, 13)]
    date = texts(document.tables[0].rows[1].cells[1])[0]
    assert date.text == "Đồng Nai, ngày 12 tháng 3 năm 2027"
    assert style(date) == (False, True, 13)


def test_header_columns_span_the_landscape_text_width():
    widths = [c.width for c in rendered().tables[0].rows[0].cells]
    assert abs(sum(widths, Mm(0)) - Mm(252)) < Mm(1)


# -- title and summary -------------------------------------------------------------------------


def test_title_names_the_draft_bold_and_centred():
    paragraphs = texts(rendered())
    title, draft, version = paragraphs[:3]
    assert title.text == "BẢNG TỔNG HỢP, TIẾP THU, GIẢI TRÌNH Ý KIẾN GÓP Ý"
    assert draft.text == "Dự thảo Kế hoạch Hoạt động thông tin đối ngoại tỉnh Đồng Nai năm 2027"
    assert version.text == "(Kèm theo dự thảo phiên bản 4)"
    assert [style(p) for p in (title, draft, version)] == [
        (True, False, 14),
        (True, False, 14),
        (False, True, 14),
    ]
    assert {p.alignment for p in (title, draft, version)} == {WD_ALIGN_PARAGRAPH.CENTER}


def test_summary_gives_the_figures_of_each_round_and_the_total():
    paragraphs = [p.text for p in texts(rendered())]
    first = next(t for t in paragraphs if t.startswith("Lần 1"))
    assert first == (
        "Lần 1: dự thảo phiên bản 2, gửi ngày 29/01/2027, hạn góp ý 16/02/2027. "
        "Số đơn vị được lấy ý kiến: 04; số đơn vị có ý kiến: 03 (thống nhất: 01; thống nhất, "
        "có ý kiến: 01; không thống nhất: 01); quá hạn không có ý kiến (xem như thống nhất): 01; "
        "số ý kiến góp ý: 02, tiếp thu: 01, giải trình: 01."
    )
    total = next(t for t in paragraphs if t.startswith("Tổng cộng"))
    assert "Số đơn vị được lấy ý kiến: 06" in total
    assert "chưa có ý kiến: 01" in total
    assert "số ý kiến góp ý: 03, tiếp thu: 02, giải trình: 01" in total


def test_tally_counts_each_verdict_and_answer():
    assert Tally.of(FIRST_ROUND.answers) == Tally(
        asked=4,
        answered=3,
        agree=1,
        agree_with_comments=1,
        disagree=1,
        silent=1,
        comments=2,
        accepted=1,
        explained=1,
    )


# -- the table ---------------------------------------------------------------------------------


def test_table_has_the_four_columns_bold_and_repeated_on_each_page():
    table = comment_table(rendered())
    heading = table.rows[0]
    assert tuple(c.text for c in heading.cells) == COLUMN_TITLES
    assert all(style(c.paragraphs[0])[0] for c in heading.cells)
    assert heading._tr.trPr.find(qn("w:tblHeader")) is not None
    widths = [c.width for c in table.rows[2].cells]
    assert abs(sum(widths, Mm(0)) - Mm(252)) < Mm(1)
    borders = table._tbl.tblPr.find(qn("w:tblBorders"))
    assert {b.get(qn("w:val")) for b in borders} == {"single"}


def test_each_round_opens_with_a_full_width_row_and_numbers_its_agencies():
    table = comment_table(rendered())
    rows = [[c.text for c in row.cells] for row in table.rows[1:]]
    assert rows[0] == ["Lần 1: dự thảo phiên bản 2, gửi ngày 29/01/2027, hạn góp ý 16/02/2027"] * 4
    assert [r[:2] for r in rows[1:5]] == [
        ["1", "Công an tỉnh"],
        ["2", "Sở Ngoại vụ"],
        ["3", "Sở Tài chính"],
        ["4", "UBND huyện Long Thành"],
    ]
    assert rows[5][0].startswith("Lần 2")
    assert [r[:2] for r in rows[6:]] == [
        ["1", "Sở Ngoại vụ"],
        ["2", "Sở Văn hóa, Thể thao và Du lịch"],
    ]


def test_rows_give_the_verdict_the_comment_and_the_answer():
    table = comment_table(rendered())
    agreed, commented, disagreed, silent = table.rows[2:6]
    assert agreed.cells[2].text == "Thống nhất."
    assert agreed.cells[3].text == ""
    assert [p.text for p in commented.cells[2].paragraphs] == [
        "Thống nhất, có ý kiến:",
        "Đề nghị bổ sung nhiệm vụ quảng bá tại hội chợ quốc tế.",
        "Ghi rõ kinh phí.",
    ]
    assert [p.text for p in commented.cells[3].paragraphs] == [
        "Tiếp thu:",
        "Đã bổ sung tại mục II.1.",
    ]
    assert disagreed.cells[3].paragraphs[0].text == "Giải trình:"
    assert silent.cells[2].text == "Quá hạn không có ý kiến (xem như thống nhất)."
    label = commented.cells[2].paragraphs[0]
    assert style(label) == (True, True, 13)
    assert style(commented.cells[2].paragraphs[1]) == (False, False, 13)


def test_signature_block_of_the_drafting_unit_when_given():
    document = rendered()
    right = texts(document.tables[-1].rows[0].cells[1])
    assert [p.text for p in right] == ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "Nguyễn Văn An"]
    assert {style(p) for p in right} == {(True, False, 14)}


def test_without_a_signer_there_is_no_signature_block_and_one_round_has_no_round_row():
    # given one round and no signer
    data = Consolidation(
        plan_title="Kế hoạch thử",
        drafting_unit="Sở Nội vụ",
        rounds=[FIRST_ROUND],
        prepared_on=None,
        place="Đồng Nai",
    )
    document = render(data)
    # then the last table is the comment table, its first row after the heading an agency
    assert document.tables[-1] is not None
    table = comment_table(document)
    assert table._tbl is document.tables[-1]._tbl
    assert table.rows[1].cells[1].text == "Công an tỉnh"
    assert any(p.text.startswith("Lấy ý kiến: dự thảo phiên bản 2") for p in texts(document))
    # and the date is left blank
    assert "ngày\u00a0" in texts(document.tables[0].rows[1].cells[1])[0].text


def test_bad_verdicts_are_refused():
    with pytest.raises(ConsolidationError):
        AgencyAnswer(agency="Sở Ngoại vụ", verdict="maybe")
    with pytest.raises(ConsolidationError):
        AgencyAnswer(agency="Sở Ngoại vụ", verdict=Verdict.AGREE, resolution="ignored")


# -- built from a plan's consultation ----------------------------------------------------------


@pytest.fixture
def consulted_plan(
    db, directory, drafter, agency_head, foreign_affairs, culture, make_content, signer
):
    """A plan sent to Sở Ngoại vụ, Sở VHTTDL and Công an tỉnh: one comment, one agreement, one
    silence; the drafter answers and sends it on."""
    plan = services.plan_create(actor=drafter, content=make_content(signer=signer))
    services.plan_submit_draft(plan=plan, actor=drafter)
    services.plan_review_approve(plan=plan, actor=agency_head)
    units = [directory[c].pk for c in ("so-nv", "so-vhttdl", "cong-an")]
    deadline = dt.datetime(2030, 1, 10, 17, 0, tzinfo=dt.UTC)
    requests = services.plan_send_for_consultation(
        plan=plan, actor=drafter, unit_ids=units, deadline=deadline
    )
    by_unit = {r.unit.code: r for r in requests}
    services.consultation_answer_record(
        request=by_unit["so-nv"],
        actor=foreign_affairs,
        verdict=ConsultationRequest.Verdict.AGREE_WITH_COMMENTS,
        comment="Bổ sung hội chợ du lịch quốc tế.",
    )
    services.consultation_answer_record(
        request=by_unit["so-vhttdl"], actor=culture, verdict=ConsultationRequest.Verdict.AGREE
    )
    services.consultation_record_silence(request=by_unit["cong-an"])
    services.plan_close_consultation(plan=plan)
    services.plan_consolidation_send(
        plan=plan,
        actor=drafter,
        resolutions={
            by_unit["so-nv"].pk: {"resolution": "accepted", "note": "Đã bổ sung tại mục II."}
        },
    )
    plan.refresh_from_db()
    return plan


def test_the_builder_reads_every_answer_and_resolution_of_the_plan(
    consulted_plan, django_assert_max_num_queries
):
    # when
    with django_assert_max_num_queries(5):
        data = consolidation_build(plan=consulted_plan, prepared_on=dt.date(2030, 1, 12))
    # then
    assert data.drafting_unit == "Sở Thông tin và Truyền thông"
    assert data.parent_body.lower() == "ủy ban nhân dân tỉnh đồng nai"
    assert data.version == consulted_plan.version_number
    (round_,) = data.rounds
    assert round_.number == 1
    assert round_.deadline == dt.date(2030, 1, 11)  # 17:00 UTC is midnight in Việt Nam
    assert round_.version == consulted_plan.version_number - 1
    answers = {a.agency: a for a in round_.answers}
    assert answers["Sở Ngoại vụ"].verdict == Verdict.AGREE_WITH_COMMENTS
    assert answers["Sở Ngoại vụ"].resolution == Resolution.ACCEPTED
    assert answers["Sở Ngoại vụ"].resolution_note == "Đã bổ sung tại mục II."
    assert answers["Sở Văn hóa, Thể thao và Du lịch"].verdict == Verdict.AGREE
    assert answers["Công an tỉnh"].verdict == Verdict.SILENT
    assert Tally.of(round_.answers).comments == 1


@pytest.mark.slow
def test_the_consolidation_converts_to_a_landscape_pdf(consulted_plan):
    # when
    pdf = consolidation_pdf(plan=consulted_plan, prepared_on=dt.date(2030, 1, 12))
    # then a landscape A4 PDF whose text is the table's
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        page = document.pages[0]
        assert (round(page.width), round(page.height)) == (842, 595)
        text = "\n".join(p.extract_text() or "" for p in document.pages)
    assert "BẢNG TỔNG HỢP, TIẾP THU, GIẢI TRÌNH Ý KIẾN GÓP Ý" in text
    assert "Bổ sung hội chợ du lịch quốc tế." in text
    assert "Đã bổ sung tại mục II." in text


def test_a_paragraph_keeps_the_signature_table_apart_from_the_comment_table():
    # Word and LibreOffice join adjacent tables: the signature's borderless table would take the
    # comment table's borders away.
    table = comment_table(rendered())
    assert table._tbl.getnext().tag == qn("w:p")
