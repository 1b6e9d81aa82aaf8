"""The header of a document (ô 1–5 of Nghị định 30): issuer, Quốc hiệu and Tiêu ngữ, number and
ký hiệu, place and date, and a công văn's "V/v …" summary.

The header is two columns; Word keeps them in a table, a scan read by OCR flattens them into
lines that hold both ("TINH BAC NINH   Doc lap - Tu do - Hanh phuc", "S6: 141/KH-UBND Bac Ninh,
ngay 20 thang 11 nam 2025"). `split_header_line` cuts such lines where the right column starts,
so that "S6: 141/KH-UBND" is read as the number and "Bac Ninh" as the place. A place that is not
a place (digits, "/") is never taken: it is left empty with a warning.
"""

from __future__ import annotations

import re
from typing import Any

from .grammar import PLACE_DATE, SUBJECT, date_of, read_number
from .lines import Line
from .text import Found, Notes, Rx, fold, is_upper

_NATIONAL = Rx(r"cong\s*hoa\s*xa\s*hoi")
_MOTTO = Rx(r"doc\s*lap\s*-?\s*tu\s*do")
#: ", ngày 20 tháng 11 năm 2025" inside a line: the place and date start before it.
_DATE_INSIDE = Rx(r",\s*ngay\s*\d{0,2}\s*thang\b")
#: A place: words only (letters, spaces, hyphens), at most six of them.
_PLACE = re.compile(r"^[^\W\d_][^\d/:;()]{0,60}$")


def split_header_line(text: str) -> list[str]:
    """The parts of a header line that OCR read across both columns, left to right."""
    stripped = text.strip()
    for pattern in (_NATIONAL, _MOTTO):
        found = pattern.search(stripped)
        if found and found.start() > 0:
            return [
                *split_header_line(stripped[: found.start()]),
                stripped[found.start() :].strip(),
            ]
    found = _DATE_INSIDE.search(stripped)
    if found and found.start() > 0:
        start = _place_start(stripped, found.start())
        if start > 0 and not stripped[start:].lstrip().startswith(","):
            return [stripped[:start].strip(), stripped[start:].strip()]
    return [stripped] if stripped else []


def _place_start(text: str, comma: int) -> int:
    """Where the place before ", ngày" starts: after the last token holding a digit, "/" or ":"
    (the number), or after a gap of two spaces."""
    head = text[:comma]
    gap = list(re.finditer(r"\s{2,}", head))
    if gap:
        return gap[-1].end()
    tokens = list(re.finditer(r"\S+", head))
    start = 0
    for token in tokens:
        if re.search(r"[\d/:]", token.group()):
            start = token.end()
    return start


def is_place(text: str) -> bool:
    text = text.strip()
    return bool(_PLACE.match(text)) and len(text.split()) <= 6 and text[:1].isupper()


class HeaderReader:
    """Reads the header lines into `source` (issuer, number, place, date…) and the summary of a
    công văn."""

    def __init__(self, source: dict[str, Any], notes: Notes) -> None:
        self.source = source
        self.notes = notes
        self.subject: list[str] = []

    def read(self, lines: list[Line]) -> None:
        subject_open = False
        for line in lines:
            for part in split_header_line(line.text):
                if SUBJECT.match(part) or (
                    subject_open and not is_upper(part) and part[:1].islower()
                ):
                    self.subject.append(part)
                    subject_open = True
                    continue
                subject_open = False
                self._part(part)
        self._check()

    def _part(self, text: str) -> None:
        folded = fold(text)
        source = self.source
        if _NATIONAL.match(text):
            source["national_title"] = text
        elif _MOTTO.match(text):
            source["motto"] = text
        elif not source.get("number_line") and (number := read_number(text)):
            self._number_line(text, number)
        elif match := PLACE_DATE.match(text):
            self._place_date(text, match)
        elif is_upper(text) and not source.get("number_line") and folded:
            source["issuer_lines"].append(text)
        elif re.fullmatch(r"[-–_=.\s]+", text):
            return  # the rules under the issuer and the motto
        else:
            self.notes.unplaced.append(text)

    def _number_line(self, text: str, number: tuple[str, str, str]) -> None:
        source = self.source
        source["number_line"] = text
        digits, symbol, _written = number
        if digits:
            source["number"] = int(digits)
        source["symbol"] = symbol
        kind, _, issuer = symbol.partition("-")
        source["doc_type"] = kind
        if issuer:
            source["issuer_abbreviation"] = issuer

    def _place_date(self, text: str, match: Found) -> None:
        source = self.source
        source["date_line"] = text
        place = (match.group("place") or "").strip()
        if place and not is_place(place):
            self.notes.warn(
                f"“{place}” ở dòng địa danh, ngày tháng không phải là một địa danh; vui lòng nhập "
                "địa danh.",
                code="place_invalid",
                text=text,
                path="place",
            )
            place = ""
        if place:
            source["place"] = place
        issued = date_of(match)
        if issued:
            source["date"] = issued.isoformat()
        elif match.group("day") or match.group("month") or match.group("year"):
            self.notes.warn(
                f"Ngày ban hành “{text}” không đọc được thành một ngày hợp lệ; vui lòng kiểm tra.",
                code="date_invalid",
                text=text,
                path="date",
            )

    def _check(self) -> None:
        source = self.source
        if not source.get("date_line"):
            self.notes.warn(
                "Không tìm thấy dòng địa danh, ngày tháng năm ban hành (ví dụ “Đồng Nai, ngày … "
                "tháng … năm …”); vui lòng nhập địa danh.",
                code="no_place",
                path="place",
            )


def is_header_line(text: str) -> bool:
    """A line of a header read from a scan: issuer (capitals), Quốc hiệu, Tiêu ngữ, number,
    place and date, "V/v …", a rule; or such lines read across."""
    parts = split_header_line(text)
    return bool(parts) and all(_header_part(part) for part in parts)


def _header_part(text: str) -> bool:
    return bool(
        _NATIONAL.match(text)
        or _MOTTO.match(text)
        or read_number(text)
        or PLACE_DATE.match(text)
        or SUBJECT.match(text)
        or re.fullmatch(r"[-–_=.\s]+", text)
        or (is_upper(text) and len(text) <= 80)
    )
