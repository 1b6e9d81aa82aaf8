"""The consolidation of comments (Bảng tổng hợp, tiếp thu, giải trình ý kiến góp ý) as a document.

Pure module: no models. `render_consolidation_docx(data)` lays out typed data (`Consolidation`) in
the Nghị định 30 layout of documents/rendering.py — its header (the drafting unit under its parent
body, Quốc hiệu and Tiêu ngữ, place and date), fonts, styles and page numbers — on A4 landscape
(Phụ lục I, mục I: a document whose content is a table may be laid out across the page's width):

- the title "BẢNG TỔNG HỢP, TIẾP THU, GIẢI TRÌNH Ý KIẾN GÓP Ý", the draft it concerns, a short rule;
- for each round of consultation (lần lấy ý kiến), a summary paragraph: how many agencies were
  asked, how many answered, agreed, agreed with comments, disagreed, stayed silent past the deadline
  (xem như thống nhất), and how many comments were accepted (tiếp thu) or explained (giải trình);
- one bordered table "STT | Cơ quan, đơn vị góp ý | Nội dung góp ý | Ý kiến tiếp thu, giải trình",
  its heading row repeated on every page, a full-width row opening each round when there are several;
- the signature block of the drafting unit when one is given.

documents/consolidation_selectors.py builds the data from a plan's ConsultationRequest rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm

from .content import DocumentHeader, PlanContent
from .rendering import (
    BODY_SIZE,
    LEFT_COLUMN_SHARE,
    MARGIN_LEFT_MM,
    MARGIN_RIGHT_MM,
    PAGE_HEIGHT_MM,
    PAGE_WIDTH_MM,
    SHORT_RULE_SHARE,
    _borderless_table,
    _cant_split,
    _cell_paragraph,
    _DocumentRenderer,
    _format,
    _reorder_tbl_pr,
    _rule,
    _run,
    doc_type_words,
    issuer_lines,
    stable_docx,
    text_width_mm,
)

TITLE = "BẢNG TỔNG HỢP, TIẾP THU, GIẢI TRÌNH Ý KIẾN GÓP Ý"
#: Landscape: the page turned, the margins of Phụ lục I kept (left 30, right 15, top/bottom 20).
LANDSCAPE_TEXT_WIDTH_MM = PAGE_HEIGHT_MM - MARGIN_LEFT_MM - MARGIN_RIGHT_MM  # 252 mm
#: STT | agency | comment | answer, in mm (their sum is the text width).
COLUMN_WIDTHS_MM = (14.0, 52.0, 93.0, 93.0)
COLUMN_TITLES = ("STT", "Cơ quan, đơn vị góp ý", "Nội dung góp ý", "Ý kiến tiếp thu, giải trình")
#: Tables in administrative documents are set a size below the body (13 pt under 14 pt).
TABLE_SIZE = 13


class Verdict:
    """What an agency answered (documents.models.ConsultationRequest.Verdict), plus two states
    the rows carry: silent past the deadline, and not answered yet."""

    AGREE = "agree"
    AGREE_WITH_COMMENTS = "agree_with_comments"
    DISAGREE = "disagree"
    SILENT = "silent"
    PENDING = "pending"

    LABELS = {
        AGREE: "Thống nhất",
        AGREE_WITH_COMMENTS: "Thống nhất, có ý kiến",
        DISAGREE: "Không thống nhất",
        SILENT: "Quá hạn không có ý kiến (xem như thống nhất)",
        PENDING: "Chưa có ý kiến",
    }


class Resolution:
    """The drafter's answer to a comment."""

    ACCEPTED = "accepted"
    EXPLAINED = "explained"
    NONE = ""

    LABELS = {ACCEPTED: "Tiếp thu", EXPLAINED: "Giải trình", NONE: ""}


class ConsolidationError(ValueError):
    """Data that cannot make a consolidation (a verdict or resolution not in the lists)."""


@dataclass(frozen=True)
class AgencyAnswer:
    """One consulted agency in one round: its verdict, its comment, the drafter's answer."""

    agency: str
    verdict: str
    comment: str = ""
    resolution: str = Resolution.NONE
    resolution_note: str = ""
    answered_on: dt.date | None = None

    def __post_init__(self) -> None:
        if self.verdict not in Verdict.LABELS:
            raise ConsolidationError(f"Ý kiến “{self.verdict}” không hợp lệ.")
        if self.resolution not in Resolution.LABELS:
            raise ConsolidationError(f"Hình thức tiếp thu “{self.resolution}” không hợp lệ.")

    @property
    def has_comment(self) -> bool:
        return bool(self.comment.strip()) and self.verdict != Verdict.SILENT


@dataclass(frozen=True)
class ConsultationRound:
    """One round of consultation (lần lấy ý kiến) of one version of the draft."""

    number: int
    answers: list[AgencyAnswer] = field(default_factory=list)
    sent_on: dt.date | None = None
    deadline: dt.date | None = None
    version: int | None = None


@dataclass(frozen=True)
class Consolidation:
    """Everything the table says.

    `drafting_unit` issues it ("Sở Thông tin và Truyền thông"), under `parent_body` ("Ủy ban nhân dân
    tỉnh Đồng Nai"); `plan_title`/`doc_type` name the draft; `version` is the version the table goes
    with (the one sent on after consolidation), if known. `signature_lines` (e.g. ["KT. GIÁM ĐỐC",
    "PHÓ GIÁM ĐỐC"]) and `signer_name` add a signature block; without them there is none (the table
    usually goes with a Tờ trình that is signed)."""

    plan_title: str
    drafting_unit: str
    rounds: list[ConsultationRound]
    doc_type: str = "KH"
    version: int | None = None
    parent_body: str = ""
    place: str = ""
    prepared_on: dt.date | None = None
    signature_lines: list[str] = field(default_factory=list)
    signer_name: str = ""


@dataclass(frozen=True)
class Tally:
    """The figures of the summary line."""

    asked: int = 0
    answered: int = 0
    agree: int = 0
    agree_with_comments: int = 0
    disagree: int = 0
    silent: int = 0
    pending: int = 0
    comments: int = 0
    accepted: int = 0
    explained: int = 0
    unresolved: int = 0

    @classmethod
    def of(cls, answers: list[AgencyAnswer]) -> Tally:
        verdicts = [a.verdict for a in answers]
        commented = [a for a in answers if a.has_comment]
        return cls(
            asked=len(answers),
            answered=sum(v not in (Verdict.SILENT, Verdict.PENDING) for v in verdicts),
            agree=verdicts.count(Verdict.AGREE),
            agree_with_comments=verdicts.count(Verdict.AGREE_WITH_COMMENTS),
            disagree=verdicts.count(Verdict.DISAGREE),
            silent=verdicts.count(Verdict.SILENT),
            pending=verdicts.count(Verdict.PENDING),
            comments=len(commented),
            accepted=sum(a.resolution == Resolution.ACCEPTED for a in commented),
            explained=sum(a.resolution == Resolution.EXPLAINED for a in commented),
            unresolved=sum(a.resolution == Resolution.NONE for a in commented),
        )


def _count(number: int) -> str:
    """Counts as administrative documents write them: "05", "12"."""
    return f"{number:02d}"


def _date(day: dt.date) -> str:
    return f"{day:%d/%m/%Y}"


def summary_text(tally: Tally) -> str:
    """The summary sentence: "Số đơn vị được lấy ý kiến: 05; số đơn vị có ý kiến: 04 (thống nhất:
    02; thống nhất, có ý kiến: 01; không thống nhất: 01); quá hạn không có ý kiến (xem như thống
    nhất): 01; số ý kiến góp ý: 02, tiếp thu: 01, giải trình: 01."."""
    verdicts = [
        f"thống nhất: {_count(tally.agree)}",
        f"thống nhất, có ý kiến: {_count(tally.agree_with_comments)}",
        f"không thống nhất: {_count(tally.disagree)}",
    ]
    parts = [
        f"Số đơn vị được lấy ý kiến: {_count(tally.asked)}",
        f"số đơn vị có ý kiến: {_count(tally.answered)} ({'; '.join(verdicts)})",
        f"quá hạn không có ý kiến (xem như thống nhất): {_count(tally.silent)}",
    ]
    if tally.pending:
        parts.append(f"chưa có ý kiến: {_count(tally.pending)}")
    resolved = (
        f"số ý kiến góp ý: {_count(tally.comments)}, tiếp thu: {_count(tally.accepted)}, "
        f"giải trình: {_count(tally.explained)}"
    )
    if tally.unresolved:
        resolved += f", chưa tiếp thu, giải trình: {_count(tally.unresolved)}"
    parts.append(resolved)
    return "; ".join(parts) + "."


def round_heading(round_: ConsultationRound, *, several: bool) -> str:
    """ "Lần 1: dự thảo phiên bản 2, gửi ngày 04/03/2024, hạn góp ý 11/03/2024"."""
    facts = []
    if round_.version is not None:
        facts.append(f"dự thảo phiên bản {round_.version}")
    if round_.sent_on is not None:
        facts.append(f"gửi ngày {_date(round_.sent_on)}")
    if round_.deadline is not None:
        facts.append(f"hạn góp ý {_date(round_.deadline)}")
    label = f"Lần {round_.number}" if several else "Lấy ý kiến"
    return f"{label}: {', '.join(facts)}" if facts else label


def _date_or_none(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def consolidation_to_dict(data: Consolidation) -> dict[str, Any]:
    """`data` as JSON-ready values (dates as YYYY-MM-DD): what a version keeps."""

    def plain(value: Any) -> Any:
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    return plain(asdict(data))  # type: ignore[no-any-return]


def consolidation_from_dict(data: dict[str, Any]) -> Consolidation:
    """The inverse of `consolidation_to_dict`."""
    rounds = [
        ConsultationRound(
            number=r["number"],
            sent_on=_date_or_none(r.get("sent_on")),
            deadline=_date_or_none(r.get("deadline")),
            version=r.get("version"),
            answers=[
                AgencyAnswer(**{**a, "answered_on": _date_or_none(a.get("answered_on"))})
                for a in r.get("answers", [])
            ],
        )
        for r in data.get("rounds", [])
    ]
    return Consolidation(
        **{
            **data,
            "rounds": rounds,
            "prepared_on": _date_or_none(data.get("prepared_on")),
        }
    )


def render_consolidation_docx(data: Consolidation) -> bytes:
    """The consolidation as a .docx: A4 landscape, ND30 header, title, summary, table."""
    return _ConsolidationRenderer(data).render()


def _set_cell_borders(table) -> None:  # type: ignore[no-untyped-def]
    """Single 0.5 pt rules around and inside the table."""
    tbl_pr = table._tbl.tblPr
    for element in tbl_pr.findall(qn("w:tblBorders")):
        tbl_pr.remove(element)
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{side}")
        element.set(qn("w:val"), "single")
        element.set(qn("w:sz"), "4")  # eighths of a point
        element.set(qn("w:space"), "0")
        element.set(qn("w:color"), "000000")
        borders.append(element)
    tbl_pr.append(borders)
    _reorder_tbl_pr(tbl_pr)


def _repeat_as_heading(row) -> None:  # type: ignore[no-untyped-def]
    """The row is repeated at the top of every page the table runs onto."""
    tr_pr = row._tr.get_or_add_trPr()
    element = OxmlElement("w:tblHeader")
    tr_pr.append(element)


class _ConsolidationRenderer(_DocumentRenderer):
    """The document renderer, turned to landscape, with the consolidation's title and table in
    place of a plan's body. The header, styles and page numbers are the plan renderer's own."""

    def __init__(self, data: Consolidation) -> None:
        self.data = data
        # Only the header's parts of the content are read (place, type, stamps: none here).
        content = PlanContent(title=TITLE, year=2000, place=data.place)
        header = DocumentHeader(
            issuer_name=data.drafting_unit.upper(),
            issuer_abbreviation="",
            parent_name=data.parent_body.upper(),
            issued_on=data.prepared_on,
            place=data.place,
        )
        super().__init__(content, header)
        left = LANDSCAPE_TEXT_WIDTH_MM * LEFT_COLUMN_SHARE
        self.widths = [left, LANDSCAPE_TEXT_WIDTH_MM - left]

    def render(self) -> bytes:
        self._setup_page()
        self._setup_styles()
        self._page_numbers()
        self._header_table()
        self._title()
        self._summary()
        self._table()
        self._signature()
        self._properties()
        return stable_docx(self.document)

    def _setup_page(self) -> None:
        super()._setup_page()
        section = self.document.sections[0]
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width = Mm(PAGE_HEIGHT_MM)
        section.page_height = Mm(PAGE_WIDTH_MM)

    def _number_text(self) -> str:
        """The table carries no number of its own: it goes with the draft or the Tờ trình."""
        return ""

    def _properties(self) -> None:
        properties = self.document.core_properties
        properties.title = f"Bảng tổng hợp, tiếp thu, giải trình ý kiến góp ý: {self._draft_name()}"
        properties.author = " ".join(issuer_lines(self.header.issuer_name))
        properties.last_modified_by = properties.author
        properties.language = "vi-VN"
        properties.subject = self._draft_name()
        properties.comments = ""

    def _draft_name(self) -> str:
        title = " ".join(line.strip() for line in self.data.plan_title.splitlines() if line.strip())
        return f"Dự thảo {doc_type_words(self.data.doc_type)} {title}".strip()

    def _centred(self, text: str, *, bold: bool = False, italic: bool = False, before: float = 0):
        paragraph = self.document.add_paragraph()
        _format(
            paragraph,
            align=WD_ALIGN_PARAGRAPH.CENTER,
            first_line=False,
            before=before,
            after=0,
            keep_with_next=True,
        )
        _run(paragraph, text, bold=bold, italic=italic)
        return paragraph

    def _title(self) -> None:
        """The title (14 bold upper case), the draft it concerns (14 bold), the version (14
        italic), and a rule of 2/5 of the widest line, as under a plan's summary."""
        self._centred(TITLE, bold=True, before=18)
        draft = self._draft_name()
        last = self._centred(draft, bold=True)
        widest = max(
            text_width_mm(TITLE, BODY_SIZE, bold=True), text_width_mm(draft, BODY_SIZE, bold=True)
        )
        if self.data.version is not None:
            last = self._centred(f"(Kèm theo dự thảo phiên bản {self.data.version})", italic=True)
        _rule(
            self.document,
            max(min(widest, LANDSCAPE_TEXT_WIDTH_MM) * SHORT_RULE_SHARE, 20),
            LANDSCAPE_TEXT_WIDTH_MM,
            above=last,
            after=12,
        )

    def _summary(self) -> None:
        """One paragraph per round, then the total when there are several rounds."""
        rounds = self.data.rounds
        several = len(rounds) > 1
        for round_ in rounds:
            self._paragraph(
                f"{round_heading(round_, several=several)}. {summary_text(Tally.of(round_.answers))}"
            )
        if several:
            answers = [answer for round_ in rounds for answer in round_.answers]
            self._paragraph(
                f"Tổng cộng {len(rounds)} lần lấy ý kiến. {summary_text(Tally.of(answers))}"
            )
        if not rounds:
            self._paragraph("Dự thảo chưa được gửi lấy ý kiến.")

    def _table(self) -> None:
        widths = list(COLUMN_WIDTHS_MM)
        table = _borderless_table(self.document, widths)
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        _set_cell_borders(table)
        heading = table.rows[0]
        _repeat_as_heading(heading)
        _cant_split(heading)
        for cell, title in zip(heading.cells, COLUMN_TITLES, strict=True):
            paragraph = cell.paragraphs[0]
            _format(paragraph, align=WD_ALIGN_PARAGRAPH.CENTER, first_line=False, after=0)
            _run(paragraph, title, size=TABLE_SIZE, bold=True)
        several = len(self.data.rounds) > 1
        for round_ in self.data.rounds:
            if several:
                row = table.add_row()
                merged = row.cells[0].merge(row.cells[-1])
                paragraph = merged.paragraphs[0]
                _format(paragraph, align=WD_ALIGN_PARAGRAPH.LEFT, first_line=False, after=0)
                _run(paragraph, round_heading(round_, several=True), size=TABLE_SIZE, bold=True)
            for index, answer in enumerate(round_.answers, start=1):
                self._answer_row(table, index, answer)

    def _answer_row(self, table, index: int, answer: AgencyAnswer) -> None:  # type: ignore[no-untyped-def]
        row = table.add_row()
        number, agency, comment, resolution = row.cells

        paragraph = number.paragraphs[0]
        _format(paragraph, align=WD_ALIGN_PARAGRAPH.CENTER, first_line=False, after=0)
        _run(paragraph, str(index), size=TABLE_SIZE)

        paragraph = agency.paragraphs[0]
        _format(paragraph, align=WD_ALIGN_PARAGRAPH.LEFT, first_line=False, after=0)
        _run(paragraph, answer.agency, size=TABLE_SIZE)

        first = [True]
        paragraph = _cell_paragraph(comment, first)
        _format(paragraph, align=WD_ALIGN_PARAGRAPH.LEFT, first_line=False, after=3)
        label = Verdict.LABELS[answer.verdict]
        _run(
            paragraph,
            f"{label}." if not answer.has_comment else f"{label}:",
            size=TABLE_SIZE,
            bold=True,
            italic=True,
        )
        if answer.has_comment:
            for line in self._lines(answer.comment):
                paragraph = _cell_paragraph(comment, first)
                _format(paragraph, first_line=False, after=3)
                _run(paragraph, line, size=TABLE_SIZE)

        first = [True]
        paragraph = _cell_paragraph(resolution, first)
        _format(paragraph, align=WD_ALIGN_PARAGRAPH.LEFT, first_line=False, after=3)
        if not answer.has_comment:
            return
        if answer.resolution == Resolution.NONE:
            _run(paragraph, "Chưa tiếp thu, giải trình.", size=TABLE_SIZE, italic=True)
            return
        note_lines = self._lines(answer.resolution_note)
        label = Resolution.LABELS[answer.resolution]
        _run(
            paragraph,
            f"{label}:" if note_lines else f"{label}.",
            size=TABLE_SIZE,
            bold=True,
            italic=True,
        )
        for line in note_lines:
            paragraph = _cell_paragraph(resolution, first)
            _format(paragraph, first_line=False, after=3)
            _run(paragraph, line, size=TABLE_SIZE)

    def _signature(self) -> None:
        """The drafting unit's signature block on the right, as under a plan (14 bold)."""
        if not (self.data.signature_lines or self.data.signer_name.strip()):
            return
        # A paragraph between the two tables: Word and LibreOffice join adjacent tables into one.
        spacer = self.document.add_paragraph()
        _format(spacer, first_line=False, after=0)
        table = _borderless_table(self.document, self.widths)
        row = table.rows[0]
        _cant_split(row)
        right = row.cells[1]
        first = [True]
        for index, line in enumerate(self.data.signature_lines):
            paragraph = _cell_paragraph(right, first)
            _format(
                paragraph,
                align=WD_ALIGN_PARAGRAPH.CENTER,
                first_line=False,
                before=12 if index == 0 else 0,
                after=0,
            )
            _run(paragraph, line.upper(), bold=True)
        for _ in range(4):  # room for the signature and the seal
            paragraph = _cell_paragraph(right, first)
            _format(paragraph, align=WD_ALIGN_PARAGRAPH.CENTER, first_line=False, after=0)
        paragraph = _cell_paragraph(right, first)
        _format(paragraph, align=WD_ALIGN_PARAGRAPH.CENTER, first_line=False, before=12, after=0)
        _run(paragraph, self.data.signer_name, bold=True)
