"""Import a plan from a Word file: read its paragraphs back into plan content.

Pure module: no models, no database. `import_plan_docx(data, directory=...)` recognises the parts of
a provincial plan laid out per ND30 (header, type and title, legal bases, preamble, Roman sections,
items "1.", points "a)", tasks with their lead/coordinating units and timeline, the closing, "Nơi
nhận" and the signature block) and returns a dict that `PlanContent.from_dict` accepts.

Nothing is dropped: a paragraph that cannot be placed is returned in `unplaced`. Header lines
(issuer, number, place and date) go to `source`, since a new plan gets its own number and date.

Good enough for the seed plan and for files rendered by `documents.rendering`; a full import of any
Word file is out of scope.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from agencies.errors import InvalidInput

from .content import SignatureBlock

MAX_BYTES = 10 * 1024 * 1024
#: Refuse archives that expand beyond this (zip bombs).
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024

DOC_TYPES_BY_NAME: dict[str, str] = {
    "KẾ HOẠCH": "KH",
    "BÁO CÁO": "BC",
    "TỜ TRÌNH": "TTr",
    "THÔNG BÁO": "TB",
    "CHƯƠNG TRÌNH": "CTr",
    "HƯỚNG DẪN": "HD",
    "PHƯƠNG ÁN": "PA",
    "ĐỀ ÁN": "ĐA",
    "DỰ ÁN": "DA",
}

SECTION_KINDS: tuple[tuple[str, str], ...] = (
    ("to chuc thuc hien", "implementation"),
    ("kinh phi", "budget"),
    ("muc dich", "purpose"),
    ("nhiem vu", "tasks"),
    ("noi dung", "tasks"),
)

_SECTION = re.compile(r"^(?=[IVXL])(L?X{0,3})(IX|IV|V?I{0,3})\s*\.\s*(\S.*)$")
_ITEM = re.compile(r"^(\d{1,2})\s*\.\s+(\S.*)$")
_POINT = re.compile(r"^([a-zđ])\s*\)\s*(\S.*)$")
_BULLET = re.compile(r"^([-–—+•*])\s*(.*)$")
_LEGAL_BASIS = re.compile(r"^(Căn cứ|Thực hiện|Xét|Theo đề nghị)\b")
_CLOSING = re.compile(r"^Trên đây\b")
_RECIPIENTS = re.compile(r"^Nơi nhận\s*:?\s*$", re.IGNORECASE)
_ARCHIVE = re.compile(r"^Lưu\b\s*:?\s*(.*)$", re.IGNORECASE)
_AUTHORITY = re.compile(r"^(TM|KT|Q|TL|TUQ)\s*\.\s*(\S.*)$")
_NUMBER_LINE = re.compile(r"^Số\s*:?\s*(\d*)\s*/\s*([A-Za-zĐđ]+)(?:\s*-\s*([\wĐđ.&-]+))?\s*$")
_PLACE_DATE = re.compile(
    r"^(?:(?P<place>[^,]+),\s*)?ngày\s*(?P<day>\d{1,2})?\s*tháng\s*(?P<month>\d{1,2})?"
    r"\s*năm\s*(?P<year>\d{4})?\s*$",
    re.IGNORECASE,
)
_DEADLINE = re.compile(r"trước ngày\s*(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})", re.IGNORECASE)
_LEAD = re.compile(r"^(?:Đơn vị|Cơ quan)\s+(?:chủ trì|thực hiện)[^:]{0,40}:\s*(.*)$", re.IGNORECASE)
_COORDINATING = re.compile(r"^(?:Đơn vị|Cơ quan)\s+phối hợp[^:]{0,60}:\s*(.*)$", re.IGNORECASE)
_TIMELINE = re.compile(
    r"^Thời gian(?:\s+(?:thực hiện|hoàn thành))?[^:]{0,20}:\s*(.*)$", re.IGNORECASE
)
_BUDGET = re.compile(
    r"^Dự toán kinh phí\s*:\s*([\d.,\s]+)\s*(?:đồng|VNĐ|VND|đ)?\s*\.?$", re.IGNORECASE
)
#: Words a sentence never ends with: a paragraph ending in one continues in the next paragraph.
_CONNECTIVES = frozenset(
    (
        "của",
        "và",
        "về",
        "với",
        "các",
        "cho",
        "trong",
        "theo",
        "tại",
        "từ",
        "đến",
        "để",
        "những",
        "hoặc",
        "là",
        "được",
        "có",
        "trên",
        "dưới",
        "thuộc",
        "nhằm",
        "bằng",
        "qua",
        "giữa",
        "vào",
        "ra",
        "như",
        "mà",
        "thì",
    )
)


@dataclass
class ImportResult:
    """The content read from the file, what could not be placed, and warnings for the user."""

    content: dict[str, Any]
    unplaced: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: What the header and labels said (issuer, number, place, date, ...): not part of the content.
    source: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Text helpers


def clean_text(text: str) -> str:
    """NFC, every run of whitespace (tabs, non-breaking spaces, line breaks) as one space."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text or "")).strip()


def fold(text: str) -> str:
    """A comparison key without diacritics, in lower case, punctuation as spaces.

    "Sở TT&TT" → "so tt tt"; "Sở Văn hóa, Thể thao" → "so van hoa the thao".
    """
    text = unicodedata.normalize("NFD", text or "").replace("đ", "d").replace("Đ", "D")
    text = "".join(c for c in text if unicodedata.category(c) != "Mn").lower()
    return re.sub(r"[^0-9a-z]+", " ", text).strip()


def _is_upper(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) >= 0.8 * len(letters)


# ---------------------------------------------------------------------------------------------
# The unit directory


class UnitDirectory:
    """Matches unit names as written to the directory: case-, diacritics- and punctuation-
    insensitive, by full name or short name, tolerating a trailing province name."""

    def __init__(self, rows: Sequence[tuple[int, str, str]], place: str = "") -> None:
        self._by_key: dict[str, tuple[int, str]] = {}
        for unit_id, name, short_name in rows:
            for alias in (name, short_name):
                key = fold(alias or "")
                if key:
                    self._by_key.setdefault(key, (unit_id, name))
        self._place = fold(place)

    def match(self, text: str) -> tuple[int, str] | None:
        """(unit_id, directory name) for a name as written, or None."""
        key = fold(text)
        if not key:
            return None
        candidates = [key]
        if self._place and key.endswith(" " + self._place):
            candidates.append(key[: -len(self._place)].strip())
        for candidate in candidates:
            if candidate in self._by_key:
                return self._by_key[candidate]
        return None

    def split(self, text: str) -> list[tuple[str, int | None]]:
        """A list of units as written ("A; B, C") as (name, unit_id) pairs, in order.

        Splits on ";" first, then on "," only where the pieces are directory units, trying the
        longest run of pieces first so that "Sở Văn hóa, Thể thao và Du lịch" stays whole. Names
        not in the directory keep their text (commas included) with unit_id None.
        """
        out: list[tuple[str, int | None]] = []
        for part in re.split(r";+", clean_text(text)):
            part = part.strip(" .,")
            if not part:
                continue
            pieces = [p.strip() for p in part.split(",") if p.strip()]
            pending: list[str] = []
            index = 0
            while index < len(pieces):
                found = None
                for end in range(len(pieces), index, -1):
                    found = self.match(", ".join(pieces[index:end]))
                    if found:
                        break
                if found:
                    if pending:
                        out.append((", ".join(pending), None))
                        pending = []
                    out.append((found[1], found[0]))
                    index = end
                else:
                    pending.append(pieces[index])
                    index += 1
            if pending:
                out.append((", ".join(pending), None))
        return out


# ---------------------------------------------------------------------------------------------
# Reading the file


@dataclass
class _Line:
    text: str
    bold: bool = False
    centered: bool = False
    in_table: bool = False


def _open_docx(data: bytes):
    """python-docx Document of `data`, or InvalidInput with a Vietnamese message."""
    if not isinstance(data, bytes | bytearray) or not data:
        raise InvalidInput("Tệp tải lên trống.")
    if len(data) > MAX_BYTES:
        raise InvalidInput("Tệp Word quá lớn (tối đa 10 MB).")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise InvalidInput("Tệp không phải là văn bản Word (.docx).") from exc
    if "word/document.xml" not in names:
        raise InvalidInput("Tệp không phải là văn bản Word (.docx): thiếu phần nội dung văn bản.")
    if total > MAX_UNCOMPRESSED_BYTES:
        raise InvalidInput("Tệp Word quá lớn sau khi giải nén.")
    try:
        import docx

        return docx.Document(io.BytesIO(bytes(data)))
    except Exception as exc:  # python-docx raises many kinds of errors on broken files
        raise InvalidInput("Không đọc được tệp Word. Vui lòng kiểm tra lại tệp (.docx).") from exc


def _paragraph_lines(paragraph, in_table: bool) -> list[_Line]:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    text = unicodedata.normalize("NFC", paragraph.text or "")
    runs = [r for r in paragraph.runs if r.text.strip()]
    style_bold = bool(paragraph.style is not None and paragraph.style.font.bold)
    bold = bool(runs) and all(r.bold or (r.bold is None and style_bold) for r in runs)
    alignment = paragraph.alignment
    if alignment is None and paragraph.style is not None:
        alignment = paragraph.style.paragraph_format.alignment
    centered = alignment == WD_ALIGN_PARAGRAPH.CENTER
    out = []
    for part in re.split(r"[\n\r\v]+", text):
        part = clean_text(part)
        if part:
            out.append(_Line(part, bold=bold, centered=centered, in_table=in_table))
    return out


def _document_lines(document) -> list[_Line]:
    """Every non-empty line of the body in reading order; table cells row by row, left to right."""
    from docx.oxml.ns import qn
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    def walk(element, in_table: bool) -> Iterator[_Line]:
        for child in element.iterchildren():
            if child.tag == qn("w:p"):
                yield from _paragraph_lines(Paragraph(child, document), in_table)
            elif child.tag == qn("w:tbl"):
                table = Table(child, document)
                for row in table.rows:
                    seen: set[int] = set()
                    for cell in row.cells:
                        if id(cell._tc) in seen:
                            continue
                        seen.add(id(cell._tc))
                        yield from walk(cell._tc, True)
            elif child.tag in (qn("w:sdt"), qn("w:sdtContent"), qn("w:customXml")):
                yield from walk(child, in_table)

    return list(walk(document.element.body, False))


# ---------------------------------------------------------------------------------------------
# The body tree


@dataclass
class _Fields:
    lead: list[str] = field(default_factory=list)
    coordinating: list[str] = field(default_factory=list)
    timeline: str = ""
    budget_vnd: int | None = None
    raw: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.raw)


@dataclass
class _DashTask:
    title: str
    description: list[str] = field(default_factory=list)
    fields: _Fields = field(default_factory=_Fields)


@dataclass
class _Node:
    level: int  # 0 section, 1 item, 2 point
    title: str
    kind: str = "general"
    entries: list[Any] = field(default_factory=list)  # _Para | _Node | _DashTask
    fields: _Fields = field(default_factory=_Fields)


@dataclass
class _Para:
    text: str
    bullet: str = ""  # "-" or "+" when the line starts with one


def _parse_field(text: str, into: _Fields, raw: str) -> bool:
    """Add a "Đơn vị chủ trì: …" / "Thời gian …: …" / "Dự toán kinh phí: …" line to `into`."""
    if match := _LEAD.match(text):
        into.lead.append(match.group(1))
    elif match := _COORDINATING.match(text):
        into.coordinating.append(match.group(1))
    elif match := _TIMELINE.match(text):
        value = match.group(1).strip().rstrip(" .;")
        into.timeline = f"{into.timeline}; {value}" if into.timeline else value
    elif match := _BUDGET.match(text):
        digits = re.sub(r"\D", "", match.group(1))
        if not digits:
            return False
        into.budget_vnd = int(digits)
    else:
        return False
    into.raw.append(raw)
    return True


def _is_field(text: str) -> bool:
    return _parse_field(text, _Fields(), text)


def _split_bullet(text: str) -> tuple[str, str]:
    if match := _BULLET.match(text):
        bullet = "+" if match.group(1) == "+" else "-"
        return bullet, match.group(2).strip()
    return "", text


def _section_title(text: str) -> str | None:
    match = _SECTION.match(text)
    if match and (match.group(1) or match.group(2)) and _is_upper(match.group(3)):
        return match.group(3).strip()
    return None


def _item_title(line: _Line) -> str | None:
    """The title of an item heading "1. …"; None when the line is a numbered sentence."""
    match = _ITEM.match(line.text)
    if not match:
        return None
    rest = match.group(2).strip()
    if line.bold or (len(rest) <= 200 and not rest.endswith((".", ";", ","))):
        return rest
    return None


def _is_structural(text: str) -> bool:
    return bool(
        _SECTION.match(text)
        or _ITEM.match(text)
        or _POINT.match(text)
        or _BULLET.match(text)
        or _LEGAL_BASIS.match(text)
        or _CLOSING.match(text)
        or _RECIPIENTS.match(text)
        or _is_field(text)
    )


def _merge_continuations(lines: list[_Line]) -> list[_Line]:
    """Join paragraphs that are the two halves of one sentence (a page break in the source):
    the second starts in lower case, or the first ends in a word no sentence ends with."""
    out: list[_Line] = []
    for line in lines:
        if out and _continues(out[-1], line):
            previous = out[-1]
            out[-1] = _Line(
                f"{previous.text} {line.text}",
                bold=previous.bold,
                centered=previous.centered,
                in_table=previous.in_table,
            )
        else:
            out.append(line)
    return out


def _continues(previous: _Line, line: _Line) -> bool:
    if previous.in_table or line.in_table or previous.centered or line.centered:
        return False
    if _is_structural(line.text) or _section_title(previous.text):
        return False
    if previous.bold and _ITEM.match(previous.text):
        return False
    first = line.text[0]
    if first.isalpha() and first.islower():
        return not previous.text.endswith((".", "!", "?", ":"))
    if previous.text.endswith((".", "!", "?", ":", ";", ",", ")")):
        return False
    if _ITEM.match(previous.text) and _item_title(previous) is not None:
        return False
    last_word = previous.text.rsplit(" ", 1)[-1].lower()
    return first.isalpha() and last_word in _CONNECTIVES


# ---------------------------------------------------------------------------------------------
# The importer


def import_plan_docx(data: bytes, *, directory: Sequence[tuple[int, str, str]]) -> ImportResult:
    """Read a plan from .docx bytes. `directory` rows are (unit_id, name, short_name)."""
    document = _open_docx(data)
    return _Importer(_document_lines(document), directory).run()


class _Importer:
    """One import: walks the lines once, zone by zone, and places every one of them."""

    def __init__(self, lines: list[_Line], directory: Sequence[tuple[int, str, str]]) -> None:
        self.lines = lines
        self.rows = list(directory)
        self.directory = UnitDirectory(self.rows)
        self.unplaced: list[str] = []
        self.warnings: list[str] = []
        self.source: dict[str, Any] = {"issuer_lines": [], "labels": []}
        self.content: dict[str, Any] = {}
        self._warned_units: set[str] = set()

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    # -- zones ----------------------------------------------------------------------------

    def run(self) -> ImportResult:
        lines = self.lines
        type_index = self._find_type_line()
        if type_index is None:
            self.warn("Không tìm thấy tên loại văn bản (ví dụ “KẾ HOẠCH”); đã coi là kế hoạch.")
            header_end = 0
            while header_end < len(lines) and lines[header_end].in_table:
                header_end += 1
            self._header(lines[:header_end])
            doc_type = "KH"
            position = header_end
        else:
            self._header(lines[:type_index])
            doc_type = DOC_TYPES_BY_NAME[lines[type_index].text.upper()]
            self.source["labels"].append(lines[type_index].text)
            position = type_index + 1
        self.content["doc_type"] = doc_type
        self.directory = UnitDirectory(self.rows, self.source.get("place", ""))

        position = self._title(position)
        end = self._body_end(position)
        body = _merge_continuations(lines[position:end])
        body = self._legal_bases_and_preamble(body)
        self._sections(body)
        self._footer(lines[end:])
        self._year()
        self.content["place"] = self.source.get("place", "")
        return ImportResult(
            content=self.content, unplaced=self.unplaced, warnings=self.warnings, source=self.source
        )

    def _find_type_line(self) -> int | None:
        for index, line in enumerate(self.lines[:40]):
            if not line.in_table and line.text.upper() in DOC_TYPES_BY_NAME:
                return index
        return None

    def _header(self, lines: list[_Line]) -> None:
        """Ô 1–4: issuer, Quốc hiệu, Tiêu ngữ, number, place and date go to `source`."""
        for line in lines:
            text = line.text
            folded = fold(text)
            if folded == "cong hoa xa hoi chu nghia viet nam":
                self.source["national_title"] = text
            elif folded == "doc lap tu do hanh phuc":
                self.source["motto"] = text
            elif match := _NUMBER_LINE.match(text):
                self.source["number_line"] = text
                if match.group(1):
                    self.source["number"] = int(match.group(1))
                self.source["doc_type"] = match.group(2)
                if match.group(3):
                    self.source["issuer_abbreviation"] = match.group(3)
            elif match := _PLACE_DATE.match(text):
                self.source["date_line"] = text
                if match.group("place"):
                    self.source["place"] = match.group("place").strip()
                if match.group("day") and match.group("month") and match.group("year"):
                    try:
                        issued = dt.date(
                            int(match.group("year")),
                            int(match.group("month")),
                            int(match.group("day")),
                        )
                        self.source["date"] = issued.isoformat()
                    except ValueError:
                        self.warn(f"Ngày ban hành “{text}” không hợp lệ.")
            elif _is_upper(text) and not self.source.get("number_line"):
                self.source["issuer_lines"].append(text)
            else:
                self.unplaced.append(text)

    def _title(self, position: int) -> int:
        """Ô 5a: the summary line(s) under the type name."""
        lines = self.lines
        parts: list[str] = []
        while position < len(lines):
            line = lines[position]
            if line.in_table or _is_structural(line.text) or (parts and not line.centered):
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
            self.warn("Không tìm thấy tên (trích yếu) của văn bản; vui lòng nhập lại.")
            title = "Kế hoạch (chưa có tên)"
        self.content["title"] = title
        return position

    def _body_end(self, position: int) -> int:
        """Index of the first line after the body: closing, "Nơi nhận", or a footer table."""
        for index in range(position, len(self.lines)):
            line = self.lines[index]
            if _CLOSING.match(line.text) or _RECIPIENTS.match(line.text):
                return index
            if line.in_table and index > position and _AUTHORITY.match(line.text):
                return index
        # No closing: a signature block at the very end (authority lines, then a name).
        for index in range(position, len(self.lines)):
            if (
                _AUTHORITY.match(self.lines[index].text)
                and not self.lines[index].text.endswith((".", ";"))
                and _is_upper(self.lines[index].text)
            ):
                return index
        return len(self.lines)

    def _legal_bases_and_preamble(self, body: list[_Line]) -> list[_Line]:
        """Lines before the first section: legal bases, then the preamble ("… như sau:")."""
        first_section = next((i for i, line in enumerate(body) if _section_title(line.text)), None)
        if first_section is None:
            # No Roman sections: the preamble ends at "… như sau:" or with the legal bases.
            first_section = next(
                (i + 1 for i, line in enumerate(body) if line.text.rstrip().endswith("như sau:")),
                None,
            )
            if first_section is None:
                first_section = next(
                    (i for i, line in enumerate(body) if not _LEGAL_BASIS.match(line.text)),
                    len(body),
                )
        legal_bases: list[str] = []
        preamble: list[str] = []
        for line in body[:first_section]:
            if _LEGAL_BASIS.match(line.text) and not preamble:
                # The renderer ends each basis with ";" and the last one with ".".
                legal_bases.append(line.text.rstrip(" ;.,"))
            else:
                preamble.append(line.text)
        self.content["legal_bases"] = legal_bases
        self.content["preamble"] = "\n".join(preamble)
        return body[first_section:]

    # -- sections -------------------------------------------------------------------------

    def _sections(self, body: list[_Line]) -> None:
        sections: list[_Node] = []
        item: _Node | None = None
        point: _Node | None = None
        open_task: _DashTask | None = None
        for line in body:
            text = line.text
            if (title := _section_title(text)) is not None:
                kind = next((k for key, k in SECTION_KINDS if key in fold(title)), "general")
                sections.append(_Node(0, title, kind))
                item = point = open_task = None
                continue
            if not sections:
                sections.append(_Node(0, ""))
            section = sections[-1]
            if (title := _item_title(line)) is not None:
                item = _Node(1, title)
                section.entries.append(item)
                point = open_task = None
                continue
            if match := _POINT.match(text):
                point = _Node(2, match.group(2).strip())
                (item or section).entries.append(point)
                open_task = None
                continue
            current = point or item or section
            bullet, rest = _split_bullet(text)
            probe = _Fields()
            if _parse_field(rest, probe, text):
                if open_task is None and bullet == "+":
                    open_task = self._dash_task(current)
                target = open_task.fields if open_task is not None else current.fields
                _parse_field(rest, target, text)
                continue
            open_task = None
            current.entries.append(_Para(text, bullet))
        self.content["sections"] = [self._block(node) for node in sections]
        self.content["reporting_deadlines"] = self._deadlines(sections)

    @staticmethod
    def _dash_task(node: _Node) -> _DashTask | None:
        """Turn the last "- …" paragraph of `node` (and the plain paragraphs after it) into a task
        whose "+ Đơn vị chủ trì" lines follow; None if there is no such paragraph."""
        for index in range(len(node.entries) - 1, -1, -1):
            entry = node.entries[index]
            if not isinstance(entry, _Para) or entry.bullet == "+":
                return None
            if entry.bullet == "-":
                title = _split_bullet(entry.text)[1]
                description = [e.text for e in node.entries[index + 1 :]]
                task = _DashTask(title, description)
                node.entries[index:] = [task]
                return task
        return None

    def _units(self, values: list[str]) -> list[dict[str, Any]]:
        units: list[dict[str, Any]] = []
        seen: set[Any] = set()
        for value in values:
            for name, unit_id in self.directory.split(value):
                key = unit_id if unit_id is not None else fold(name)
                if key in seen:
                    continue
                seen.add(key)
                units.append({"name": name, "unit_id": unit_id})
                if unit_id is None and name not in self._warned_units:
                    self._warned_units.add(name)
                    self.warn(
                        f"Không tìm thấy đơn vị “{name}” trong danh mục; "
                        "đã giữ nguyên tên như trong văn bản."
                    )
        return units

    def _task(self, title: str, description: list[str], fields: _Fields) -> dict[str, Any]:
        return {
            "title": title,
            "description": description,
            "lead_units": self._units(fields.lead),
            "coordinating_units": self._units(fields.coordinating),
            "timeline": fields.timeline,
            "budget_vnd": fields.budget_vnd,
        }

    def _block(self, node: _Node) -> dict[str, Any]:
        """A node as a content block; child nodes that carry fields become tasks.

        Content keeps paragraphs, then children, then tasks. When numbered tasks and numbered
        sub-blocks alternate, each task is wrapped in an untitled block so that the numbering
        order of the document is kept (the renderer prints such a block as the task itself).
        """
        paragraphs: list[str] = []
        tasks: list[dict[str, Any]] = []
        numbered: list[tuple[str, dict[str, Any]]] = []
        for entry in node.entries:
            if isinstance(entry, _Para):
                if numbered or tasks:
                    self.warn(
                        f"Đoạn “{_short(entry.text)}” đứng sau các mục con; "
                        "đã chuyển lên trước các mục con."
                    )
                paragraphs.append(entry.text)
            elif isinstance(entry, _DashTask):
                tasks.append(self._task(entry.title, entry.description, entry.fields))
            elif entry.fields and not any(isinstance(e, _Node) for e in entry.entries):
                description = [e.text if isinstance(e, _Para) else "" for e in entry.entries]
                task = self._task(entry.title, [d for d in description if d], entry.fields)
                for sub in entry.entries:
                    if isinstance(sub, _DashTask):  # a dash task inside a task: keep its text
                        task["description"].extend(self._dash_task_text(sub))
                numbered.append(("task", task))
            else:
                numbered.append(("block", self._block(entry)))
        if node.fields:
            self.warn(
                f"Thông tin đơn vị, thời gian của mục “{_short(node.title)}” không gắn được "
                "với nhiệm vụ nào; đã giữ dưới dạng đoạn văn."
            )
            paragraphs.extend(node.fields.raw)
        kinds = [kind for kind, _ in numbered]
        interleaved = "task" in kinds and "block" in kinds[kinds.index("task") :]
        children: list[dict[str, Any]] = []
        numbered_tasks: list[dict[str, Any]] = []
        for kind, value in numbered:
            if kind == "block":
                children.append(value)
            elif interleaved:
                children.append(
                    {
                        "title": "",
                        "kind": "general",
                        "paragraphs": [],
                        "tasks": [value],
                        "children": [],
                    }
                )
            else:
                numbered_tasks.append(value)
        return {
            "title": node.title,
            "kind": node.kind,
            "paragraphs": paragraphs,
            "tasks": [*tasks, *numbered_tasks],
            "children": children,
        }

    @staticmethod
    def _dash_task_text(task: _DashTask) -> list[str]:
        return [f"- {task.title}", *task.description, *task.fields.raw]

    def _deadlines(self, sections: list[_Node]) -> list[dict[str, str]]:
        """Sentences of the implementation section with "trước ngày dd/mm/yyyy"."""
        out: list[dict[str, str]] = []
        for section in sections:
            if section.kind != "implementation":
                continue
            for text in _node_texts(section):
                for sentence in _sentences(text):
                    match = _DEADLINE.search(sentence)
                    if not match:
                        continue
                    day, month, year = (int(g) for g in match.groups())
                    try:
                        due = dt.date(year, month, day).isoformat()
                    except ValueError:
                        due = ""
                        self.warn(f"Hạn báo cáo “{match.group(0)}” không phải là ngày hợp lệ.")
                    clean = re.sub(r"^(?:\d{1,2}\.|[a-zđ]\)|[-–+•])\s*", "", sentence).strip()
                    out.append({"text": clean, "due_date": due})
        return out

    # -- footer ---------------------------------------------------------------------------

    def _footer(self, lines: list[_Line]) -> None:
        """Closing ("Trên đây là …"), "Nơi nhận" and the signature block."""
        closing: list[str] = []
        recipients: dict[str, Any] = {"units": [], "lines": [], "archive": "Lưu: VT."}
        signature_lines: list[str] = []
        state = "closing"
        for line in lines:
            text = line.text
            if _RECIPIENTS.match(text):
                self.source["labels"].append(text)
                state = "recipients"
                continue
            if state == "closing":
                if _AUTHORITY.match(text) and _is_upper(text):
                    state = "signature"
                else:
                    closing.append(text)
                    continue
            if state == "recipients":
                bullet, rest = _split_bullet(text)
                if match := _ARCHIVE.match(rest):
                    archive = match.group(1).strip().rstrip(" .;,")
                    recipients["archive"] = f"Lưu: {archive}." if archive else "Lưu: VT."
                    state = "signature"
                    continue
                if bullet or text.endswith(";"):
                    self._recipient(rest, recipients)
                    continue
                state = "signature"
            signature_lines.append(text)
        self.content["closing"] = "\n".join(closing)
        self.content["recipients"] = recipients
        self.content["signature"] = self._signature(signature_lines)

    def _recipient(self, text: str, recipients: dict[str, Any]) -> None:
        name = text.strip().rstrip(" ;.,").strip()
        if not name:
            return
        found = self.directory.match(name)
        if found:
            if all(u["unit_id"] != found[0] for u in recipients["units"]):
                recipients["units"].append({"name": found[1], "unit_id": found[0]})
        else:
            recipients["lines"].append(name)

    def _signature(self, lines: list[str]) -> dict[str, Any]:
        """ "TM. ỦY BAN NHÂN DÂN" / "KT. CHỦ TỊCH" / "PHÓ CHỦ TỊCH" / name; defaults if absent."""
        defaults = SignatureBlock()
        result = {
            "authority": "",
            "collective": "",
            "deputy_for": "",
            "position": "",
            "signer_name": "",
        }
        found = False
        for text in lines:
            match = _AUTHORITY.match(text)
            if match and _is_upper(text):
                authority, rest = f"{match.group(1)}.", match.group(2).strip()
                if not result["authority"]:
                    result["authority"] = authority
                    if authority == "TM.":
                        result["collective"] = rest
                    else:
                        result["deputy_for"] = rest
                elif not result["deputy_for"]:
                    result["deputy_for"] = rest
                else:
                    self.unplaced.append(text)
                found = True
            elif _is_upper(text) and not result["position"]:
                result["position"] = text
                found = True
            elif (
                not _is_upper(text)
                and not result["signer_name"]
                and len(text) <= 60
                and (not text.startswith("("))
            ):
                result["signer_name"] = text
                found = True
            else:
                self.unplaced.append(text)
        if not found:
            return {
                "authority": defaults.authority,
                "collective": defaults.collective,
                "deputy_for": defaults.deputy_for,
                "position": defaults.position,
                "signer_name": "",
                "signer_id": None,
            }
        return {**result, "signer_id": None}

    def _year(self) -> None:
        title = self.content["title"]
        match = re.search(r"năm\s+(\d{4})", title) or re.search(r"\b(20\d{2})\b", title)
        year = int(match.group(1)) if match else None
        if year is None or not 2000 <= year <= 2100:
            vietnam_now = dt.datetime.now(dt.timezone(dt.timedelta(hours=7)))
            year = int(self.source["date"][:4]) if self.source.get("date") else vietnam_now.year
            self.warn(f"Không xác định được năm của kế hoạch từ tên văn bản; đã dùng năm {year}.")
        self.content["year"] = year


def _node_texts(node: _Node) -> list[str]:
    texts: list[str] = []
    for entry in node.entries:
        if isinstance(entry, _Para):
            texts.append(entry.text)
        elif isinstance(entry, _DashTask):
            texts.extend([entry.title, *entry.description])
        elif isinstance(entry, _Node):
            texts.append(entry.title)
            texts.extend(_node_texts(entry))
    return texts


def _sentences(text: str) -> list[str]:
    """Split after ".", "!" or "?" when the next sentence starts with a capital or a digit."""
    out: list[str] = []
    start = 0
    for match in re.finditer(r"[.!?]\s+", text):
        following = text[match.end() : match.end() + 1]
        if following and (following.isupper() or following.isdigit()):
            out.append(text[start : match.end()].strip())
            start = match.end()
    out.append(text[start:].strip())
    return [sentence for sentence in out if sentence]


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
