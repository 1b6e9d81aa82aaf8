"""The letter reader: a received document (văn bản đến: a công văn, or a typed document such as
the ministry's guidance 2905/BTTTT-TTĐN) read into sender, number, place and date, subject,
"Kính gửi", body, "Nơi nhận" and signature."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .directory import UNIT_STOPWORDS
from .grammar import (
    ARCHIVE,
    AUTHORITY,
    BODY_KIND,
    BULLET,
    DOC_TYPE_ABBREVIATIONS,
    DOC_TYPES_BY_NAME,
    KINH_GUI,
    PLACE_DATE,
    RECIPIENTS,
    SUBJECT,
    TYPE_NAMES,
    date_of,
    is_recipients_label,
    is_structural,
    merge_continuations,
    read_number,
    split_bullet,
)
from .lines import Line, lacks_diacritics
from .safety import open_docx
from .text import Found, clean_text, fold, is_upper, plain_char
from .wordfile import document_lines


@dataclass
class LetterImportResult:
    """A received document (văn bản đến) as read from its Word file."""

    sender: str = ""  # "BỘ THÔNG TIN VÀ TRUYỀN THÔNG" (the issuing body, as written)
    parent_sender: str = ""  # the parent body above it, if any
    number: int | None = None
    symbol: str = ""  # "BTTTT-TTĐN"
    number_text: str = ""  # "2905/BTTTT-TTĐN"
    date: str = ""  # ISO date
    place: str = ""
    doc_type: str = ""  # "" for a công văn; "HD", "KH", … when the file has a type name
    subject: str = ""  # "V/v …" (công văn) or the summary line under the type name
    addressees: list[str] = field(default_factory=list)  # "Kính gửi"
    body: list[str] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)  # "Nơi nhận"
    archive: str = ""  # "Lưu: VT, …"
    signature: list[str] = field(default_factory=list)  # the lines of the signature block
    signer_name: str = ""
    #: Lines read as structure: Quốc hiệu, Tiêu ngữ, "Số: …", place and date, "Nơi nhận:".
    header_lines: list[str] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    issues: list[dict[str, str]] = field(default_factory=list)
    needs_review: bool = False
    #: How a PDF was read (pages, pages recognised by OCR, time, confidence); None for Word.
    pdf: dict[str, Any] | None = None


def initials(name: str) -> str:
    """ "BỘ THÔNG TIN VÀ TRUYỀN THÔNG" → "BTTTT": the body's abbreviation in a ký hiệu."""
    out = []
    for word in re.findall(r"[^\W\d_]+", clean_text(name)):
        if fold(word) in UNIT_STOPWORDS:
            continue
        first = word[0]
        out.append("Đ" if first in "Đđ" else plain_char(first).upper())
    return "".join(out)


def repair_symbol(symbol: str, written: str, senders: list[str], lines: Sequence[Line]) -> str:
    """A ký hiệu with a stray "/" ("2905 /BT/TT-TTĐN"): the "/" stands for an unreadable letter
    when the sender's initials ("BTTTT"), or an abbreviation the document writes elsewhere, fit
    the pattern; otherwise the "/" is dropped."""
    head, dash, tail = written.partition("-")
    if "/" not in head:
        return symbol
    pattern = re.compile("".join("." if c == "/" else re.escape(c) for c in head))
    candidates = [initials(" ".join(body_names(senders)[-1:]))] if senders else []
    for line in lines:
        candidates.extend(re.findall(r"\b[A-ZĐ&]{3,}\b", line.text))
    for candidate in candidates:
        if candidate and pattern.fullmatch(candidate):
            return f"{candidate}{dash}{tail.replace('/', '')}"
    return symbol


def import_letter_docx(data: bytes, *, max_bytes: int | None = None) -> LetterImportResult:
    """Read a received document (công văn or a typed document) from .docx bytes."""
    document = open_docx(data, max_bytes=max_bytes)
    lines, _tables = document_lines(document)
    return LetterReader(lines).run()


def import_letter_pdf(
    data: bytes, *, max_bytes: int | None = None, progress: Any = None
) -> LetterImportResult:
    """Read a received document from a PDF: its text layer, or OCR for a scan. What the PDF
    reader said (pages, OCR) is in `pdf`."""
    from .pdf import read_pdf

    text = read_pdf(data, max_bytes=max_bytes, progress=progress)
    result = LetterReader(text.lines).run()
    result.pdf = text.record()
    return result


def import_letter_file(
    data: bytes, *, max_bytes: int | None = None, progress: Any = None
) -> LetterImportResult:
    """A received document from a Word file or a PDF, told apart by their first bytes."""
    from .pdf import is_pdf

    if is_pdf(data):
        return import_letter_pdf(data, max_bytes=max_bytes, progress=progress)
    return import_letter_docx(data, max_bytes=max_bytes)


def body_names(lines: Sequence[str]) -> list[str]:
    """The names in the issuer box, a name wrapped over lines joined: ["BỘ THÔNG TIN", "VÀ
    TRUYỀN THÔNG"] → ["BỘ THÔNG TIN VÀ TRUYỀN THÔNG"]; ["UBND TỈNH ĐỒNG NAI", "SỞ TÀI CHÍNH"]
    stay two (parent body, then the issuing body)."""
    names: list[str] = []
    for line in lines:
        if names and not BODY_KIND.match(line):
            names[-1] = f"{names[-1]} {line}"
        else:
            names.append(line)
    return names


NAME_KIND = re.compile(
    r"^(ủy ban nhân dân|hội đồng nhân dân|ủy ban|tổng cục|chi cục|văn phòng|bộ chỉ huy|bộ|sở|"
    r"cục|vụ|ban|viện|trung tâm|đài|báo|công an|kho bạc|thanh tra)\s+(.*)$"
)
NAME_PLACE = re.compile(r"^(tỉnh|thành phố|huyện|quận|thị xã|xã|phường)\s+(.*)$")


def proper_body_name(name: str) -> str:
    """A body's name as written in a sentence: "BỘ THÔNG TIN VÀ TRUYỀN THÔNG" → "Bộ Thông tin và
    Truyền thông"; "ỦY BAN NHÂN DÂN TỈNH ĐỒNG NAI" → "Ủy ban nhân dân tỉnh Đồng Nai". A name not
    in capitals is returned as it is."""
    text = clean_text(name)
    if not is_upper(text):
        return text
    lower = text.lower()

    def capital(word: str) -> str:
        return word[:1].upper() + word[1:]

    match = NAME_KIND.match(lower)
    if not match:
        return capital(lower)
    kind, rest = capital(match.group(1)), match.group(2)
    if place := NAME_PLACE.match(rest):
        words = " ".join(capital(w) for w in place.group(2).split())
        return f"{kind} {place.group(1)} {words}"
    parts = re.split(r"(\s*,\s*|\s+và\s+|\s+-\s+|\s+–\s+)", rest)
    return f"{kind} " + "".join(p if i % 2 else capital(p) for i, p in enumerate(parts))


def continues_subject(line: Line, subject_line: Line) -> bool:
    """A "V/v …" subject wraps onto lines in lower case, or onto the next lines of its cell."""
    same_cell = line.table is not None and (line.table, line.row, line.column) == (
        subject_line.table,
        subject_line.row,
        subject_line.column,
    )
    return same_cell or line.text[:1].islower()


@dataclass
class _Header:
    """What the header of a letter has said so far."""

    senders: list[str] = field(default_factory=list)
    subject: list[str] = field(default_factory=list)
    subject_line: Line = field(default_factory=lambda: Line(""))
    subject_open: bool = False
    title_open: bool = False

    def continues_subject(self, line: Line) -> bool:
        """A line of the "V/v …" subject, or of the title under a type name."""
        text = line.text
        if is_structural(text):
            return False
        return (
            (
                self.subject_open
                and not is_upper(text)
                and continues_subject(line, self.subject_line)
            )
            or (self.title_open and (line.centered or line.bold))
            or (self.title_open and not self.subject and len(text) <= 250)
        )


class LetterReader:
    """One received document: header, subject, "Kính gửi", body, "Nơi nhận", signature."""

    def __init__(self, lines: list[Line]) -> None:
        self.lines = lines
        self.result = LetterImportResult()
        self._issues: list[dict[str, str]] = []

    def warn(self, message: str, *, code: str = "note", text: str = "") -> None:
        if all(issue["message"] != message for issue in self._issues):
            self._issues.append({"code": code, "message": message, "text": text})

    def run(self) -> LetterImportResult:
        lines = self.lines
        result = self.result
        start = self._header()
        start = self._addressees(start)
        end = self._footer_start(start)
        result.body = [line.text for line in merge_continuations(lines[start:end])]
        self._footer(lines[end:])
        if not result.sender:
            self.warn("Không tìm thấy cơ quan ban hành văn bản; vui lòng nhập.", code="no_sender")
        if not result.number_text:
            self.warn("Không tìm thấy số, ký hiệu của văn bản; vui lòng nhập.", code="no_number")
        if not result.date:
            self.warn("Không tìm thấy ngày ban hành văn bản; vui lòng nhập.", code="no_date")
        if not result.subject:
            self.warn(
                "Không tìm thấy trích yếu (V/v …) của văn bản; vui lòng nhập.", code="no_subject"
            )
        if lacks_diacritics(lines):
            self.warn(
                "Văn bản không có dấu tiếng Việt (có thể được nhận dạng từ ảnh quét, OCR); vui "
                "lòng rà soát.",
                code="ocr",
            )
        result.issues = self._issues
        result.warnings = [issue["message"] for issue in self._issues]
        result.needs_review = bool(result.unplaced or self._issues)
        return result

    def _header(self) -> int:
        """Read ô 1–5 (issuer, Quốc hiệu, number, place and date, V/v or type and title) up to
        "Kính gửi" or the first body paragraph; return where the rest starts."""
        lines, result = self.lines, self.result
        kinh_gui = next((i for i, line in enumerate(lines[:80]) if KINH_GUI.match(line.text)), None)
        header = _Header()
        index = 0
        limit = kinh_gui if kinh_gui is not None else len(lines)
        while index < limit:
            line = lines[index]
            if not self._header_line(line, header):
                if kinh_gui is None and not line.in_table:
                    break  # the body starts
                result.unplaced.append(line.text)
                header.subject_open = header.title_open = False
            index += 1
        result.subject = " ".join(header.subject).strip()
        names = body_names(header.senders)
        if names:
            result.sender = names[-1]
            result.parent_sender = " ".join(names[:-1])
        return index

    def _header_line(self, line: Line, header: _Header) -> bool:
        """Place one line of the header; False when it is none of its parts."""
        text, result = line.text, self.result
        folded = fold(text)
        if folded in ("cong hoa xa hoi chu nghia viet nam", "doc lap tu do hanh phuc"):
            result.header_lines.append(text)
        elif not result.number_text and (number := read_number(text)):
            self._number(text, number, header.senders)
        elif match := PLACE_DATE.match(text):
            self._place_date(text, match)
        elif SUBJECT.match(text):
            header.subject, header.subject_line = [text], line
            header.subject_open, header.title_open = True, False
            return True
        elif not line.in_table and is_upper(text) and folded in TYPE_NAMES and not result.subject:
            result.doc_type = DOC_TYPES_BY_NAME[TYPE_NAMES[folded]]
            result.header_lines.append(text)
            header.title_open, header.subject_open = True, False
            return True
        elif header.continues_subject(line):
            header.subject.append(text)
            return True
        elif is_upper(text) and not result.number_text and not header.subject:
            header.senders.append(text)
            return True
        else:
            return False
        header.subject_open = header.title_open = False
        return True

    def _number(self, text: str, number: tuple[str, str, str], senders: list[str]) -> None:
        result = self.result
        digits, symbol, written = number
        corrected = symbol != written
        if corrected:
            symbol = repair_symbol(symbol, written, senders, self.lines)
        result.header_lines.append(text)
        result.number = int(digits) if digits else None
        result.symbol = symbol
        result.number_text = f"{digits}/{symbol}" if digits else f"/{symbol}"
        kind = symbol.split("-", 1)[0]
        if kind in DOC_TYPE_ABBREVIATIONS and not result.doc_type:
            result.doc_type = kind
        if corrected:
            self.warn(
                f"Số, ký hiệu “{text}” đã được chuẩn hóa thành “{result.number_text}”; "
                "vui lòng kiểm tra.",
                code="symbol_normalized",
                text=text,
            )

    def _place_date(self, text: str, match: Found) -> None:
        result = self.result
        result.header_lines.append(text)
        result.place = (match.group("place") or "").strip()
        issued = date_of(match)
        if issued:
            result.date = issued.isoformat()
        else:
            self.warn(f"Ngày ban hành “{text}” không hợp lệ.", code="date_invalid")

    def _addressees(self, index: int) -> int:
        """ "Kính gửi: A" or "Kính gửi:" and one "- A;" line per addressee."""
        lines, result = self.lines, self.result
        if index >= len(lines) or not (match := KINH_GUI.match(lines[index].text)):
            return index
        first = (match.group(1) or "").strip()
        if first:
            result.addressees.append(first.rstrip(" ;."))
        index += 1
        if first and not first.endswith(";"):
            return index
        while index < len(lines):
            bullet, rest = split_bullet(lines[index].text)
            if not bullet or len(rest) > 200:
                break
            result.addressees.append(rest.rstrip(" ;."))
            index += 1
        return index

    def _footer_start(self, start: int) -> int:
        for index in range(start, len(self.lines)):
            text = self.lines[index].text
            if is_recipients_label(text):
                return index
            if AUTHORITY.match(text) and is_upper(text) and not text.endswith((".", ";")):
                return index
        return len(self.lines)

    def _footer(self, lines: list[Line]) -> None:
        result = self.result
        state = "signature"
        for line in lines:
            text = line.text
            if match := RECIPIENTS.match(text):
                rest = (match.group(1) or "").strip()
                if not rest or BULLET.match(rest):
                    result.header_lines.append(text[: len(text) - len(rest)].strip())
                    state = "recipients"
                    if not rest:
                        continue
                    text = rest
            if state == "recipients":
                bullet, rest = split_bullet(text)
                if match := ARCHIVE.match(rest):
                    archive = (match.group(1) or "").strip().rstrip(" ;")
                    result.archive = f"Lưu: {archive}" if archive else "Lưu: VT."
                    state = "signature"
                    continue
                if bullet or text.endswith(";"):
                    result.recipients.append(rest.rstrip(" ;"))
                    continue
                state = "signature"
            result.signature.append(text)
        names = [
            text
            for text in result.signature
            if not is_upper(text) and len(text) <= 60 and not text.startswith("(")
        ]
        result.signer_name = names[-1] if names else ""
