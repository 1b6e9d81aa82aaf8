"""The plan reader: a document the system issues (a Kế hoạch or another type of Mẫu 1.4, a Quyết
định, a Công văn) read zone by zone: header, type and title (a công văn's "V/v …"), a decision's
issuing authority, "Kính gửi", legal bases, proposer and preamble, the body's section tree, the
closing, "Nơi nhận", the signature block and the appendices, into content (documents/content.py)
with every doubt noted next to the part it concerns."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .blocks import BlockWriter
from .deadlines import reporting_deadlines
from .directory import UnitDirectory
from .footer import FooterReader, split_across
from .grammar import (
    AUTHORITY,
    CLOSING,
    DOC_TYPES_BY_NAME,
    KINH_GUI,
    TYPE_NAMES,
    is_recipients_label,
    is_section_line,
    is_structural,
    merge_continuations,
    numbering_scheme,
    repair_numbering,
    split_bullet,
)
from .header import HeaderReader
from .lines import Line, Table, lacks_diacritics
from .preamble import BASIS, split_preamble
from .safety import open_docx
from .tables import TableReader
from .text import Notes, Rx, fold, is_upper, plain, short
from .tree import TreeBuilder
from .wordfile import document_lines

DECISION, LETTER = "QĐ", "CV"
#: A decision's issuing authority under its summary: "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH …".
_AUTHORITY_LINE = Rx(r"^(?:chu tich\s+)?(?:uy ban nhan dan|ubnd|hoi dong nhan dan)\b")
#: "PHỤ LỤC", "PHỤ LỤC I", "Phụ lục 2": an appendix after the signature.
_APPENDIX = Rx(r"^phu luc(?:\s+[ivxl\d]+)?\s*:?\s*$")
_ATTACHED = Rx(r"^\(?\s*kem theo\b")


@dataclass
class ImportResult:
    """The content read from the file, what could not be placed, and the issues to review."""

    content: dict[str, Any]
    unplaced: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: What the header and labels said (issuer, number, place, date, ...): not part of the content.
    source: dict[str, Any] = field(default_factory=dict)
    #: One entry per issue: {"code", "message" (Vietnamese), "text": the text concerned, and
    #: "path": the part of the content it concerns ("signature", "sections.3", …) when known}.
    issues: list[dict[str, str]] = field(default_factory=list)
    needs_review: bool = False


def import_plan_docx(
    data: bytes,
    *,
    directory: Sequence[tuple[int, str, str]],
    place: str = "",
    max_bytes: int | None = None,
) -> ImportResult:
    """Read a plan from .docx bytes. `directory` rows are (unit_id, name, short_name); `place`
    (the province, "Đồng Nai") lets "Đài PTTH" match "Đài Phát thanh - Truyền hình Đồng Nai"
    when the file does not name its place."""
    document = open_docx(data, max_bytes=max_bytes)
    lines, tables = document_lines(document)
    return read_plan(lines, tables, directory, place=place)


def read_plan(
    lines: list[Line],
    tables: dict[int, Table],
    directory: Sequence[tuple[int, str, str]],
    *,
    place: str = "",
) -> ImportResult:
    """Read a plan from lines however they were obtained (Word, a PDF's text layer, OCR)."""
    return PlanReader(lines, tables, directory, place=place).run()


def _signature_line(line: Line, text: str) -> bool:
    """ "TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH": an authority line of a signature block, not a
    sentence that happens to start with "Q." or "TL."."""
    return (
        (line.in_table or is_upper(text)) and not text.endswith((".", ";", ":")) and len(text) < 80
    )


class PlanReader:
    """One import: walks the lines once, zone by zone, and places every one of them."""

    def __init__(
        self,
        lines: list[Line],
        tables: dict[int, Table],
        directory: Sequence[tuple[int, str, str]],
        *,
        place: str = "",
    ) -> None:
        self.lines = lines
        self.tables = tables
        self.rows = list(directory)
        self.place = place
        self.directory = UnitDirectory(self.rows, place)
        self.notes = Notes()
        self.source: dict[str, Any] = {"issuer_lines": [], "labels": []}
        self.content: dict[str, Any] = {}

    def warn(self, message: str, *, code: str = "note", text: str = "", path: str = "") -> None:
        self.notes.warn(message, code=code, text=text, path=path)

    # -- zones ----------------------------------------------------------------------------

    def run(self) -> ImportResult:
        self.lines = self._unwrap_layout_tables(self.lines)
        position = self._head()
        end = self._body_end(position)
        footer_lines, appendix_lines = self._split_appendix(self.lines[end:])
        table_reader = TableReader(self.tables, self.notes, self.source)
        body = merge_continuations(table_reader.expand(self.lines[position:end]))
        body = repair_numbering(body, self.notes)
        scheme = "article" if self.content["doc_type"] == DECISION else numbering_scheme(body)
        body = self._legal_bases_and_preamble(body, scheme)
        sections = TreeBuilder(self.directory, self.notes).build(body, scheme)
        writer = BlockWriter(self.directory, self.notes, self.source["labels"])
        self.content["sections"] = [
            writer.block(node, path=f"sections.{i}") for i, node in enumerate(sections)
        ]
        footer = FooterReader(self.directory, self.notes, self.source, writer)
        self.content.update(footer.read(footer_lines))
        self.content["appendices"] = self._appendices(appendix_lines, table_reader, writer)
        self.content["reporting_deadlines"] = reporting_deadlines(
            sections, self.content["closing"], self.notes
        )
        self._year()
        self.content["place"] = self.source.get("place", "")
        self._check_tasks(sections)
        if lacks_diacritics(self.lines):
            self.warn(
                "Văn bản không có dấu tiếng Việt (có thể được nhận dạng từ ảnh quét, OCR); đã "
                "nhận diện theo chữ không dấu. Vui lòng rà soát và bổ sung dấu.",
                code="ocr",
            )
        return ImportResult(
            content=self.content,
            unplaced=self.notes.unplaced,
            warnings=self.notes.messages,
            source=self.source,
            issues=self.notes.issues,
            needs_review=bool(self.notes.unplaced or self.notes.issues),
        )

    def _head(self) -> int:
        """Header, type, title, a decision's authority, "Kính gửi": where the body starts."""
        lines = self.lines
        type_index = self._find_type_line()
        header_end = type_index if type_index is not None else self._header_end()
        header = HeaderReader(self.source, self.notes)
        header.read(lines[:header_end])
        self.directory = UnitDirectory(self.rows, self.source.get("place") or self.place)
        self.content["doc_type"] = self._doc_type(type_index, header)
        if type_index is not None:
            self.source["labels"].append(lines[type_index].text)
            position = self._title(type_index + 1)
        elif self.content["doc_type"] == LETTER:
            position = header_end
            self._subject_title(header.subject)
        else:
            position = self._title(header_end)
        if self.content["doc_type"] == DECISION:
            position = self._issuing_authority(position)
        return self._addressees(position)

    def _doc_type(self, type_index: int | None, header: HeaderReader) -> str:
        if type_index is not None:
            return DOC_TYPES_BY_NAME[TYPE_NAMES[fold(self.lines[type_index].text)]]
        kind = self.source.get("doc_type", "")
        if header.subject or (kind and kind not in DOC_TYPES_BY_NAME.values()):
            return LETTER  # a công văn: "V/v …" and no type name ("Số: 12/UBND-VX")
        self.warn(
            "Không tìm thấy tên loại văn bản (ví dụ “KẾ HOẠCH”); đã coi là kế hoạch.",
            code="no_type",
        )
        return "KH"

    def _header_end(self) -> int:
        """Without a type name: the header is the first table, or (a scan) the lines up to
        "Kính gửi", the first basis, section or long sentence."""
        lines = self.lines
        end = 0
        while end < len(lines) and lines[end].in_table and lines[end].table == lines[0].table:
            end += 1
        if end:
            return end
        for index, line in enumerate(lines[:20]):
            text = line.text
            if (
                KINH_GUI.match(text)
                or BASIS.match(text)
                or (len(text) > 160 and not is_upper(text))
            ):
                return index
        return 0

    def _unwrap_layout_tables(self, lines: list[Line]) -> list[Line]:
        """A table used for layout (one filled cell a row, e.g. the whole plan in a frame) is
        read as ordinary paragraphs."""
        layout = {
            key
            for key, table in self.tables.items()
            if all(
                len([c for c in row if c.text.strip() and not c.is_continuation]) <= 1
                for row in table.rows
            )
        }
        return [
            Line(line.text, bold=line.bold, centered=line.centered)
            if line.table in layout
            else line
            for line in lines
        ]

    def _find_type_line(self) -> int | None:
        for index, line in enumerate(self.lines[:40]):
            text = line.text
            if (
                not line.in_table
                and is_upper(text)
                and not text.endswith(":")
                and fold(text) in TYPE_NAMES
            ):
                return index
        return None

    def _title(self, position: int) -> int:
        """Ô 5a: the summary line(s) under the type name: centred or bold lines, or (a scan)
        lines in capitals like the first one."""
        lines = self.lines
        parts: list[str] = []
        while position < len(lines):
            line = lines[position]
            if line.in_table or not self._continues_title(line, parts):
                break
            parts.append(line.text)
            position += 1
        title = " ".join(parts).strip()
        if not title:
            self.warn(
                "Không tìm thấy tên (trích yếu) của văn bản; vui lòng nhập lại.",
                code="no_title",
                path="title",
            )
            title = "Kế hoạch (chưa có tên)"
        self.content["title"] = title
        return position

    def _continues_title(self, line: Line, parts: list[str]) -> bool:
        text = line.text
        if self.content["doc_type"] == DECISION and parts and _AUTHORITY_LINE.match(text):
            return False
        if not parts:
            # The first line is the title even when it reads "THỰC HIỆN CHƯƠNG TRÌNH …".
            formatted = line.centered or line.bold or is_upper(text)
            return formatted or (len(text) <= 250 and not is_structural(text))
        if is_structural(text) and not (is_upper(text) and len(text) > 20):
            return False
        if line.centered or line.bold:
            return True
        return is_upper(text) and is_upper(parts[-1]) and not BASIS.match(text)

    def _subject_title(self, subject: list[str]) -> None:
        """A công văn's summary: "V/v khẩn trương hoàn thành …" → its title."""
        text = " ".join(subject).strip()
        title = re.sub(r"^\s*[Vv]\s*/\s*[Vv]\.?\s*:?\s*", "", text).strip()
        if subject:
            self.source["labels"].append("V/v")
        if not title:
            self.warn(
                "Không tìm thấy tên (trích yếu) của văn bản; vui lòng nhập lại.",
                code="no_title",
                path="title",
            )
            title = "Văn bản (chưa có tên)"
        self.content["title"] = title

    def _issuing_authority(self, position: int) -> int:
        """ "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH …" under a decision's summary."""
        if position < len(self.lines) and _AUTHORITY_LINE.match(self.lines[position].text):
            self.content["issuing_authority"] = self.lines[position].text
            return position + 1
        return position

    def _addressees(self, position: int) -> int:
        """ "Kính gửi: A" or "Kính gửi:" and one "- A;" line per addressee."""
        lines = self.lines
        if position >= len(lines) or not (match := KINH_GUI.match(lines[position].text)):
            return position
        self.source["labels"].append("Kính gửi:")
        addressees = []
        first = (match.group(1) or "").strip()
        if first:
            addressees.append(first.rstrip(" ;."))
        position += 1
        while position < len(lines) and (not first or first.endswith(";")):
            bullet, rest = split_bullet(lines[position].text)
            if not bullet or len(rest) > 250:
                break
            addressees.append(rest.rstrip(" ;."))
            position += 1
        self.content["addressees"] = addressees
        return position

    def _body_end(self, position: int) -> int:
        """Index of the first line after the body: the closing ("Trên đây là …"), "Nơi nhận",
        or the signature block, whichever comes first (a signature may stand above "Nơi
        nhận")."""
        for index in range(position, len(self.lines)):
            line = self.lines[index]
            left, right = split_across(line.text)
            if CLOSING.match(line.text) or is_recipients_label(left):
                return index
            signature = right or left
            if index > position and AUTHORITY.match(signature) and _signature_line(line, signature):
                return index
        return len(self.lines)

    def _split_appendix(self, lines: list[Line]) -> tuple[list[Line], list[Line]]:
        """The footer, and the appendices that follow the signature ("PHỤ LỤC …")."""
        for index, line in enumerate(lines):
            if index and is_upper(line.text) and _APPENDIX.match(line.text):
                return lines[:index], lines[index:]
        return lines, []

    def _appendices(
        self, lines: list[Line], table_reader: TableReader, writer: BlockWriter
    ) -> list[dict[str, Any]]:
        """Each "PHỤ LỤC": its title lines, then its own sections (a task table's group rows
        are its sections)."""
        out: list[dict[str, Any]] = []
        starts = [
            i for i, line in enumerate(lines) if is_upper(line.text) and _APPENDIX.match(line.text)
        ]
        for number, start in enumerate(starts):
            end = starts[number + 1] if number + 1 < len(starts) else len(lines)
            part = lines[start + 1 : end]
            self.source["labels"].append(lines[start].text)
            title: list[str] = []
            while (
                part
                and not part[0].in_table
                and (is_upper(part[0].text) or _ATTACHED.match(part[0].text))
            ):
                if _ATTACHED.match(part[0].text):
                    self.source["labels"].append(part[0].text)
                else:
                    title.append(part[0].text)
                part = part[1:]
            body = merge_continuations(table_reader.expand(part))
            nodes = TreeBuilder(self.directory, self.notes).build(body, numbering_scheme(body))
            path = f"appendices.{len(out)}.sections"
            sections = [writer.block(node, path=f"{path}.{i}") for i, node in enumerate(nodes)]
            only = sections[0] if len(sections) == 1 else None
            if only and not (only["title"] or only["paragraphs"] or only["tasks"]):
                sections = only["children"]
            out.append({"title": " ".join(title) or lines[start].text, "sections": sections})
        return out

    # -- legal bases, preamble --------------------------------------------------------------

    def _legal_bases_and_preamble(self, body: list[Line], scheme: str) -> list[Line]:
        """Lines before the first section: legal bases, a decision's proposer, then the
        preamble ("… như sau:"). A công văn has none: its body starts at once."""
        self.content.setdefault("legal_bases", [])
        self.content.setdefault("preamble", "")
        if self.content["doc_type"] == LETTER:
            return body
        first_section = self._first_section(body, scheme)
        head = []
        for index, line in enumerate(body[:first_section]):
            if line.task_row or line.group:
                first_section = index  # a task table before any section: the body starts there
                break
            head.append(line.text)
        found = split_preamble(head, decision=self.content["doc_type"] == DECISION)
        self.content["legal_bases"] = found.legal_bases
        self.content["preamble"] = "\n".join(found.preamble)
        if found.proposer:
            self.content["proposer"] = found.proposer
            self.source["labels"].append(found.proposer_label)
        if scheme == "article":
            self._decision_label(found)
        return body[first_section:]

    def _decision_label(self, found: Any) -> None:
        """ "QUYẾT ĐỊNH:" before the articles is a label, not the preamble."""
        kept = []
        for text in found.preamble:
            if fold(text) == "quyet dinh":
                self.source["labels"].append(text)
            else:
                kept.append(text)
        self.content["preamble"] = "\n".join(kept)

    @staticmethod
    def _first_section(body: list[Line], scheme: str) -> int:
        if scheme == "article":
            from .grammar import ARTICLE

            return next((i for i, line in enumerate(body) if ARTICLE.match(line.text)), len(body))
        first = next((i for i, line in enumerate(body) if is_section_line(line, scheme)), None)
        if first is not None:
            return first
        # No sections: the preamble ends at "… như sau:" or with the legal bases.
        for index, line in enumerate(body):
            if re.search(r"sau\s*:\s*$", plain(line.text)):
                return index + 1
        return next((i for i, line in enumerate(body) if not BASIS.match(line.text)), len(body))

    # -- checks ---------------------------------------------------------------------------

    def _check_tasks(self, sections: list[Any]) -> None:
        """A tasks or implementation section in which no task was recognised is said."""
        for index, (node, block) in enumerate(zip(sections, self.content["sections"], strict=True)):
            if node.kind not in ("tasks", "implementation") or _has_tasks(block):
                continue
            self.warn(
                f"Không nhận ra nhiệm vụ nào (đơn vị chủ trì, thời gian) trong mục “"
                f"{short(node.title, 50)}”; vui lòng kiểm tra và nhập các nhiệm vụ.",
                code="no_tasks",
                text=node.title,
                path=f"sections.{index}",
            )

    def _year(self) -> None:
        title = plain(self.content["title"])
        match = re.search(r"nam\s+(\d{4})", title) or re.search(r"\b(20\d{2})\b", title)
        year = int(match.group(1)) if match else None
        if year is None or not 2000 <= year <= 2100:
            vietnam_now = dt.datetime.now(dt.timezone(dt.timedelta(hours=7)))
            year = int(self.source["date"][:4]) if self.source.get("date") else vietnam_now.year
            self.warn(
                f"Không xác định được năm của kế hoạch từ tên văn bản; đã dùng năm {year}.",
                code="year_guessed",
            )
        self.content["year"] = year


def _has_tasks(block: dict[str, Any]) -> bool:
    return bool(block["tasks"]) or any(_has_tasks(child) for child in block["children"])


def import_plan_pdf(
    data: bytes,
    *,
    directory: Sequence[tuple[int, str, str]],
    place: str = "",
    max_bytes: int | None = None,
    progress: Any = None,
) -> ImportResult:
    """Read a plan from a PDF: its text layer, or OCR for a scan (documents/intake/pdf.py).
    `progress(pages_done, pages_total)` is called as pages are read. What OCR said about the
    file (pages recognised, time, confidence) is in `source["pdf"]`."""
    from .pdf import read_pdf

    text = read_pdf(data, max_bytes=max_bytes, progress=progress)
    result = read_plan(text.lines, text.tables, directory, place=place)
    result.source["pdf"] = text.record()
    return result


def import_plan_file(
    data: bytes,
    *,
    directory: Sequence[tuple[int, str, str]],
    place: str = "",
    max_bytes: int | None = None,
    progress: Any = None,
) -> ImportResult:
    """A plan from a Word file or a PDF, told apart by their first bytes."""
    from .pdf import is_pdf

    if is_pdf(data):
        return import_plan_pdf(
            data, directory=directory, place=place, max_bytes=max_bytes, progress=progress
        )
    return import_plan_docx(data, directory=directory, place=place, max_bytes=max_bytes)
