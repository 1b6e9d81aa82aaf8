"""The plan reader: a plan (Kế hoạch, or another type of Mẫu 1.4) read zone by zone, header, type
and title, legal bases and preamble, the body's section tree, the closing, "Nơi nhận" and the
signature block, into plan content (documents/content.py) with every doubt noted."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .blocks import BlockWriter
from .directory import UnitDirectory
from .footer import FooterReader
from .grammar import (
    AUTHORITY,
    CLOSING,
    DOC_TYPES_BY_NAME,
    LEGAL_BASIS,
    PLACE_DATE,
    TYPE_NAMES,
    date_of,
    is_recipients_label,
    is_section_line,
    is_structural,
    merge_continuations,
    numbering_scheme,
    read_number,
)
from .lines import Line, Table, lacks_diacritics
from .safety import open_docx
from .tables import TableReader
from .text import Found, Notes, fold, is_upper, plain
from .tree import TreeBuilder
from .wordfile import document_lines


@dataclass
class ImportResult:
    """The content read from the file, what could not be placed, and the issues to review."""

    content: dict[str, Any]
    unplaced: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: What the header and labels said (issuer, number, place, date, ...): not part of the content.
    source: dict[str, Any] = field(default_factory=dict)
    #: One entry per issue: {"code": ..., "message": ... (Vietnamese), "text": the text concerned}.
    issues: list[dict[str, str]] = field(default_factory=list)
    needs_review: bool = False


# ---------------------------------------------------------------------------------------------
# The plan importer


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
    return PlanReader(lines, tables, directory, place=place).run()


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

    def warn(self, message: str, *, code: str = "note", text: str = "") -> None:
        self.notes.warn(message, code=code, text=text)

    # -- zones ----------------------------------------------------------------------------

    def run(self) -> ImportResult:
        lines = self.lines = self._unwrap_layout_tables(self.lines)
        type_index = self._find_type_line()
        if type_index is None:
            self.warn(
                "Không tìm thấy tên loại văn bản (ví dụ “KẾ HOẠCH”); đã coi là kế hoạch.",
                code="no_type",
            )
            header_end = 0
            while header_end < len(lines) and lines[header_end].in_table:
                header_end += 1
            self._header(lines[:header_end])
            doc_type = "KH"
            position = header_end
        else:
            self._header(lines[:type_index])
            doc_type = DOC_TYPES_BY_NAME[TYPE_NAMES[fold(lines[type_index].text)]]
            self.source["labels"].append(lines[type_index].text)
            position = type_index + 1
        self.content["doc_type"] = doc_type
        self.directory = UnitDirectory(self.rows, self.source.get("place") or self.place)

        position = self._title(position)
        end = self._body_end(position)
        table_reader = TableReader(self.tables, self.notes, self.source)
        body = merge_continuations(table_reader.expand(lines[position:end]))
        scheme = numbering_scheme(body)
        body = self._legal_bases_and_preamble(body, scheme)
        sections = TreeBuilder(self.directory, self.notes).build(body, scheme)
        writer = BlockWriter(self.directory, self.notes)
        self.content["sections"] = [writer.block(node) for node in sections]
        self.content["reporting_deadlines"] = writer.deadlines(sections)
        footer = FooterReader(self.directory, self.notes, self.source, writer)
        self.content.update(footer.read(lines[end:]))
        self._year()
        self.content["place"] = self.source.get("place", "")
        if lacks_diacritics(lines):
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
            if not line.in_table and is_upper(line.text) and fold(line.text) in TYPE_NAMES:
                return index
        return None

    def _header(self, lines: list[Line]) -> None:
        """Ô 1–4: issuer, Quốc hiệu, Tiêu ngữ, number, place and date go to `source`."""
        for line in lines:
            text = line.text
            folded = fold(text)
            if folded == "cong hoa xa hoi chu nghia viet nam":
                self.source["national_title"] = text
            elif folded == "doc lap tu do hanh phuc":
                self.source["motto"] = text
            elif not self.source.get("number_line") and (number := read_number(text)):
                self._number_line(text, number)
            elif match := PLACE_DATE.match(text):
                self._place_date(text, match)
            elif is_upper(text) and not self.source.get("number_line"):
                self.source["issuer_lines"].append(text)
            else:
                self.notes.unplaced.append(text)

    def _number_line(self, text: str, number: tuple[str, str, str]) -> None:
        self.source["number_line"] = text
        digits, symbol, _written = number
        if digits:
            self.source["number"] = int(digits)
        self.source["symbol"] = symbol
        kind, _, issuer = symbol.partition("-")
        self.source["doc_type"] = kind
        if issuer:
            self.source["issuer_abbreviation"] = issuer

    def _place_date(self, text: str, match: Found) -> None:
        self.source["date_line"] = text
        if match.group("place"):
            self.source["place"] = (match.group("place") or "").strip()
        issued = date_of(match)
        if issued:
            self.source["date"] = issued.isoformat()
        elif match.group("day") and match.group("month") and match.group("year"):
            self.warn(f"Ngày ban hành “{text}” không hợp lệ.", code="date_invalid")

    def _title(self, position: int) -> int:
        """Ô 5a: the summary line(s) under the type name."""
        lines = self.lines
        parts: list[str] = []
        while position < len(lines):
            line = lines[position]
            if line.in_table or is_structural(line.text) or (parts and not line.centered):
                break
            if not line.centered and not line.bold:
                if parts:
                    break
                if len(line.text) > 250:  # a body paragraph, not a title
                    break
            parts.append(line.text)
            position += 1
            if not line.centered:
                break
        title = " ".join(parts).strip()
        if not title:
            self.warn(
                "Không tìm thấy tên (trích yếu) của văn bản; vui lòng nhập lại.", code="no_title"
            )
            title = "Kế hoạch (chưa có tên)"
        self.content["title"] = title
        return position

    def _body_end(self, position: int) -> int:
        """Index of the first line after the body: closing, "Nơi nhận", or a footer table."""
        for index in range(position, len(self.lines)):
            line = self.lines[index]
            if CLOSING.match(line.text) or is_recipients_label(line.text):
                return index
            if line.in_table and index > position and AUTHORITY.match(line.text):
                return index
        # No closing: a signature block at the very end (authority lines, then a name).
        for index in range(position, len(self.lines)):
            text = self.lines[index].text
            if AUTHORITY.match(text) and not text.endswith((".", ";")) and is_upper(text):
                return index
        return len(self.lines)

    # -- tables ---------------------------------------------------------------------------

    def _legal_bases_and_preamble(self, body: list[Line], scheme: str) -> list[Line]:
        """Lines before the first section: legal bases, then the preamble ("… như sau:")."""
        first_section = next(
            (i for i, line in enumerate(body) if is_section_line(line, scheme)), None
        )
        if first_section is None:
            # No sections: the preamble ends at "… như sau:" or with the legal bases.
            first_section = next(
                (
                    i + 1
                    for i, line in enumerate(body)
                    if plain(line.text).rstrip().endswith("nhu sau:")
                ),
                None,
            )
            if first_section is None:
                first_section = next(
                    (i for i, line in enumerate(body) if not LEGAL_BASIS.match(line.text)),
                    len(body),
                )
        legal_bases: list[str] = []
        preamble: list[str] = []
        for line in body[:first_section]:
            if LEGAL_BASIS.match(line.text) and not preamble and not line.task_row:
                # The renderer ends each basis with ";" and the last one with ".".
                legal_bases.append(line.text.rstrip(" ;.,"))
            elif line.task_row or line.group:
                return self._keep_from(body, line, legal_bases, preamble)
            else:
                preamble.append(line.text)
        self.content["legal_bases"] = legal_bases
        self.content["preamble"] = "\n".join(preamble)
        return body[first_section:]

    def _keep_from(
        self, body: list[Line], line: Line, legal_bases: list[str], preamble: list[str]
    ) -> list[Line]:
        """A task table before any section: the body starts at the table."""
        self.content["legal_bases"] = legal_bases
        self.content["preamble"] = "\n".join(preamble)
        return body[body.index(line) :]

    # -- sections -------------------------------------------------------------------------

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


# END
