"""The words and numbering of a Vietnamese administrative document (Nghị định 30/2020/NĐ-CP), as
patterns on diacritics-folded text (text.Rx) and small predicates on lines: type names, section
and item numbering, field labels ("Đơn vị chủ trì:", "Thời gian:"), "Nơi nhận", the signing
authority (TM., KT., …), the number line and the place-and-date line."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from typing import Any

from ..rendering import VIETNAMESE_LETTERS
from ..types import TYPES
from .lines import Line
from .text import Found, Rx, clean_text, fold, has_diacritics, is_upper, plain

MAX_DEPTH = 3  # content.Block allows sections (0) and three levels below them

#: A type's printed name → its abbreviation, for the types a file is read as (documents/types.py).
DOC_TYPES_BY_NAME: dict[str, str] = {
    t.name: t.abbreviation for t in TYPES if t.name and t.importable
}
#: Type abbreviations that may open a ký hiệu ("262/KH-UBND"); a công văn has none.
DOC_TYPE_ABBREVIATIONS = frozenset(t.abbreviation for t in TYPES)

SECTION_KINDS: tuple[tuple[str, str], ...] = (
    ("to chuc thuc hien", "implementation"),
    ("kinh phi", "budget"),
    ("muc dich", "purpose"),
    ("nhiem vu", "tasks"),
    ("noi dung", "tasks"),
)
#: Sections where an agency heading groups that agency's tasks.
AGENCY_SECTION_KINDS = ("tasks", "general", "implementation")


SECTION = Rx(r"^(?=[ivxl])(l?x{0,3})(ix|iv|v?i{0,3})\s*(?:\.\s*|[-–)]\s+)(\S.*)$")
#: "1. Sở …", also "1, Sở …" (OCR reads a dot as a comma).
ITEM = Rx(r"^(\d{1,2})\s*(?:\.(?:\s+|(?=[a-z]))|,\s+(?=[a-z]))(\S.*)$")
DECIMAL = Rx(r"^(\d{1,2}(?:\.\d{1,2}){1,3})(\.?)\s+(\S.*)$")
POINT = Rx(r"^([a-z])\s*(?:\)|\.(?=\s))\s*(\S.*)$")
PAREN = Rx(r"^\(?(\d{1,2})\s*\)\s*(\S.*)$")
BULLET = re.compile(r"^([-–—+•*·▪●○◦➢►✓])\s*(.*)$")
LEGAL_BASIS = Rx(r"^(can cu|thuc hien|xet|theo de nghi)\b")
CLOSING = Rx(r"^tren day\b")
RECIPIENTS = Rx(r"^noi nhan\s*:?\s*(.*)$")
ARCHIVE = Rx(r"^luu\b\s*:?\s*(.*)$")
AUTHORITY = Rx(r"^(tm|kt|q|tl|tuq)\s*\.\s*(\S.*)$")
#: "Số: 262/KH-UBND"; a scan may read "Số:" as "S6:", "S0:", "56:".
NUMBER_LINE = Rx(r"^(?:so\s*[:;.]?|(?:s[06o]|5[06o])\s*[:;.])\s*(\d*)\s*/\s*(\S.*)$")
#: "Điều 1. …": an article of a decision.
ARTICLE = Rx(r"^dieu\s+(\d{1,3})\s*[.:]\s*(.*)$")
PLACE_DATE = Rx(
    r"^(?:(?P<place>[^,]+),\s*)?ngay\s*(?P<day>\d{1,2})?\s*thang\s*(?P<month>\d{1,2})?"
    r"\s*nam\s*(?P<year>\d{4})?\s*$"
)
DEADLINE = Rx(r"truoc ngay\s*(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})")
LEAD = Rx(
    r"^(?:(?:don vi|co quan)\s+(?:chu tri|thuc hien)[^:]{0,40}|chu tri(?:\s+thuc hien)?\s*)"
    r":\s*(.*)$"
)
COORDINATING = Rx(
    r"^(?:(?:don vi|co quan)\s+phoi hop[^:]{0,60}|phoi hop(?:\s+thuc hien)?\s*):\s*(.*)$"
)
TIMELINE = Rx(
    r"^(?:thoi gian|thoi han|tien do)(?:\s+(?:thuc hien|hoan thanh|trien khai))?[^:]{0,20}:\s*(.*)$"
)
BUDGET = Rx(
    r"^(?:du toan\s+)?kinh phi(?:\s+(?:du kien|thuc hien|du toan))?\s*:\s*([\d.,\s]*\d)\s*"
    r"(trieu dong|trieu|ty dong|ty|dong|vnd|d)?\s*\.?$"
)
#: Where a field label starts inside a paragraph ("Tổ chức hội nghị; thời gian: quý II/2024").
INLINE_FIELD = Rx(
    r"[.;,(]\s*(?=(?:(?:don vi|co quan)\s+(?:chu tri|phoi hop|thuc hien)[^:]{0,40}:"
    r"|chu tri\s*:|phoi hop\s*:|(?:thoi gian|thoi han|tien do)(?:\s+(?:thuc hien|hoan thanh))?\s*:"
    r"|(?:du toan\s+)?kinh phi[^:]{0,15}:))"
)
#: A point whose text is a field or a label ("c) Thời gian thực hiện: …", "a) Nhiệm vụ: …").
FIELD_LABEL = Rx(
    r"^(?:(?:don vi|co quan)\s+(?:chu tri|phoi hop|thuc hien)[^:]{0,40}|chu tri|phoi hop"
    r"|(?:thoi gian|thoi han|tien do)(?:\s+(?:thuc hien|hoan thanh|trien khai))?"
    r"|(?:du toan\s+)?kinh phi(?:\s+(?:du kien|thuc hien))?|nhiem vu|noi dung(?:\s+thuc hien)?)"
    r"\s*:"
)
KINH_GUI = Rx(r"^kinh gui\s*:?\s*(.*)$")
SUBJECT = Rx(r"^v\s*/\s*v\b\.?\s*:?\s*(.*)$")
#: The first words of a body's name: a line starting with one starts a new name.
BODY_KIND = Rx(
    r"^(?:bo|so|cuc|tong cuc|chi cuc|vu|ban|uy ban|ubnd|hoi dong|van phong|chinh phu|thu tuong"
    r"|tinh uy|thanh uy|trung tam|thanh tra|kho bac|ngan hang|dai|bao|vien|truong|hoc vien"
    r"|cong an|bo chi huy|toa an|kiem toan|tap doan|tong cong ty|cong ty)\b"
)
AGENCY_FIXED = Rx(
    r"^(?:cong an|bo chi huy|bo doi bien phong|tinh doan|cac so|cac co quan|cac don vi"
    r"|ubnd|uy ban nhan dan|hdnd|lien hiep|mat tran|uy ban mat tran|van phong)\b"
)
AGENCY_PREFIX = Rx(
    r"^(?:so|ban|bao|dai|bo|cuc|chi cuc|tong cuc|trung tam|hoi|truong|vien|uy ban|toa an"
    r"|kho bac|ngan hang|nha xuat ban|tinh uy|huyen uy|thanh uy|dang uy|doan)\s+(\S)"
)


#: Words a sentence never ends with: a paragraph ending in one continues in the next paragraph.
CONNECTIVE_WORDS = frozenset(
    [
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
    ]
)
CONNECTIVES = frozenset(fold(word) for word in CONNECTIVE_WORDS)
TYPE_NAMES: dict[str, str] = {fold(name): name for name in DOC_TYPES_BY_NAME}


@dataclass
class Fields:
    lead: list[str] = field(default_factory=list)
    coordinating: list[str] = field(default_factory=list)
    timeline: str = ""
    budget_vnd: int | None = None
    raw: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.raw)


#: Sentences that close a body rather than give a task: "Trong quá trình thực hiện, nếu có
#: khó khăn, vướng mắc …", "Yêu cầu các sở … nghiêm túc thực hiện./.", "Trên đây là …".
_CLOSES = Rx(
    r"^(?:tren day\b|trong qua trinh (?:to chuc |trien khai )?thuc hien\b|yeu cau cac\b"
    r"|de nghi cac (?:co quan|don vi|so)\b.{0,80}(?:thuc hien|trien khai)\b)"
)


def closes_body(text: str) -> bool:
    """A paragraph that ends the body ("… triển khai thực hiện./.") or says how to proceed."""
    text = text.strip()
    return text.endswith("./.") or bool(_CLOSES.match(text))


_OCR_ROMAN = re.compile(r"^([IVXLl1|!HU]{1,5})\s*([.)]?)\s+(?=\S)|^([IVXLl1|!HU]{1,5})([.)])(?=\S)")
_ROMAN = re.compile(r"^(?=[IVXL])X{0,3}(?:IX|IV|V?I{0,3})$")
_ROMANS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
#: What OCR reads for the strokes of a roman numeral: "l", "1", "|", "!" for "I"; "H" or "U"
#: for "II" (two strokes joined by a serif).
_ROMAN_STROKES = str.maketrans({"l": "I", "1": "I", "|": "I", "!": "I", "H": "II", "U": "II"})


def repair_numbering(lines: list[Line], notes: Any) -> list[Line]:
    """Section numbers misread by OCR ("I1." or "H." for "II.", "Il1." for "III.", "lV." for
    "IV.", "II" for "III." after "II.") read as the roman numerals they are, when the title
    after them is in capitals."""
    out = []
    previous = ""
    for line in lines:
        found = _OCR_ROMAN.match(line.text)
        if found and is_upper(line.text[found.end() :]) and len(line.text) < 200:
            line = _repaired_roman(line, found, previous, notes)
            marker = line.text.split(".", 1)[0] if "." in line.text[:6] else ""
            previous = marker if _ROMAN.match(marker) else previous
        out.append(line)
    return out


def _repaired_roman(line: Line, found: re.Match[str], previous: str, notes: Any) -> Line:
    marker = found.group(1) or found.group(3)
    dot = found.group(2) or found.group(4) or ""
    rest = line.text[found.end() :].strip()
    fixed = marker.translate(_ROMAN_STROKES)
    expected = _ROMANS[_ROMANS.index(previous) + 1] if previous in _ROMANS[:-1] else "I"
    if fixed != expected and (not dot or fixed == previous) and _one_apart(fixed, expected):
        fixed = expected  # "II KINH PHÍ" after "II.": a stroke and the dot lost
    if (fixed == marker and dot) or marker == "1" or not _ROMAN.match(fixed):
        return line
    if not dot and fixed != expected:
        return line
    notes.warn(
        f"Số mục “{marker}{dot}” (có thể do nhận dạng ảnh quét) đã được đọc là “{fixed}.”; "
        "vui lòng kiểm tra.",
        code="ocr_numbering",
        text=line.text,
    )
    return replace(line, text=f"{fixed}. {rest}")


def _one_apart(a: str, b: str) -> bool:
    """One letter added, dropped or changed."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    shorter, longer = sorted((a, b), key=len)
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


def next_marker(previous: str, *, numeric: bool) -> str:
    """The number or letter ND30 puts after `previous` ("" for the first): "d" → "đ", "3" → "4"."""
    if numeric:
        if not previous:
            return "1"
        return str(int(previous) + 1) if previous.isdigit() else ""
    if not previous:
        return "a"
    if previous not in VIETNAMESE_LETTERS:
        return ""
    index = VIETNAMESE_LETTERS.index(previous) + 1
    return VIETNAMESE_LETTERS[index] if index < len(VIETNAMESE_LETTERS) else ""


def parse_field(text: str, into: Fields, raw: str) -> bool:
    """Add a "Đơn vị chủ trì: …" / "Thời gian …: …" / "Kinh phí: …" line to `into`."""
    if match := LEAD.match(text):
        if value := (match.group(1) or "").strip():
            into.lead.append(value)
    elif match := COORDINATING.match(text):
        if value := (match.group(1) or "").strip():
            into.coordinating.append(value)
    elif match := TIMELINE.match(text):
        value = (match.group(1) or "").strip().rstrip(" .;")
        if value:
            into.timeline = f"{into.timeline}; {value}" if into.timeline else value
    elif match := BUDGET.match(text):
        amount = parse_amount(f"{match.group(1)} {match.group(2) or ''}")
        if amount is None:
            return False
        into.budget_vnd = amount
    else:
        return False
    into.raw.append(raw)
    return True


def is_field(text: str) -> bool:
    return parse_field(text, Fields(), text)


def split_bullet(text: str) -> tuple[str, str]:
    if match := BULLET.match(text):
        bullet = "+" if match.group(1) == "+" else "-"
        return bullet, match.group(2).strip()
    return "", text


def inline_fields(text: str) -> tuple[str, list[str]]:
    """ "Tổ chức hội nghị; thời gian: quý II/2024" → ("Tổ chức hội nghị", ["thời gian: quý
    II/2024"]); the text unchanged and [] unless every segment after the first is a field."""
    cuts = [found.start() for found in INLINE_FIELD.finditer(text)]
    if not cuts or cuts[0] == 0:
        return text, []
    head = text[: cuts[0]] + ("." if text[cuts[0]] == "." else "")
    head = head.rstrip(" ,;(").strip()
    segments = []
    for start, end in zip(cuts, [*cuts[1:], len(text)], strict=True):
        segment = text[start + 1 : end].strip().rstrip(" .;,")
        if text[start] == "(" and segment.endswith(")"):
            segment = segment[:-1].rstrip(" .;,")
        segments.append(segment)
    if head and all(is_field(segment) for segment in segments):
        return head, segments
    return text, []


def section_title(line: Line) -> str | None:
    match = SECTION.match(line.text)
    if not match or not (match.group(1) or match.group(2)):
        return None
    numeral = (match.group(1) or "") + (match.group(2) or "")
    rest = (match.group(3) or "").strip()
    if numeral.isupper() and (is_upper(rest) or (line.bold and len(rest) <= 200)):
        return rest
    return None


def item_title(line: Line, rest: str) -> str | None:
    """The title of an item heading "1. …"; None when the line is a numbered sentence."""
    rest = rest.strip()
    if line.bold or (len(rest) <= 200 and not rest.endswith((".", ";", ","))):
        return rest
    return None


def is_structural(text: str) -> bool:
    line = Line(text)
    return bool(
        section_title(line)
        or ITEM.match(text)
        or DECIMAL.match(text)
        or POINT.match(text)
        or PAREN.match(text)
        or BULLET.match(text)
        or LEGAL_BASIS.match(text)
        or CLOSING.match(text)
        or RECIPIENTS.match(text)
        or KINH_GUI.match(text)
        or is_field(text)
    )


def merge_continuations(lines: list[Line]) -> list[Line]:
    """Join paragraphs that are the two halves of one sentence (a page break in the source):
    the second starts in lower case, or the first ends in a word no sentence ends with."""
    out: list[Line] = []
    for line in lines:
        if out and continues(out[-1], line):
            previous = out[-1]
            out[-1] = Line(
                f"{previous.text} {line.text}",
                bold=previous.bold,
                centered=previous.centered,
                in_table=previous.in_table,
            )
        else:
            out.append(line)
    return out


def continues(previous: Line, line: Line) -> bool:
    if previous.in_table or line.in_table or previous.centered or line.centered:
        return False
    if previous.task_row or line.task_row or previous.group or line.group:
        return False
    if is_structural(line.text) or section_title(previous):
        return False
    if previous.bold and (ITEM.match(previous.text) or DECIMAL.match(previous.text)):
        return False
    first = line.text[0]
    if first.isalpha() and first.islower():
        return not previous.text.endswith((".", "!", "?", ":"))
    if previous.text.endswith((".", "!", "?", ":", ";", ",", ")")):
        return False
    if (match := ITEM.match(previous.text)) and item_title(previous, match.group(2) or ""):
        return False
    if DECIMAL.match(previous.text):
        return False
    last_word = previous.text.rsplit(" ", 1)[-1].lower()
    if any(has_diacritics(c) for c in previous.text):
        # "đô thị" does not end with "thì": compare the words as written.
        return first.isalpha() and last_word in CONNECTIVE_WORDS
    return first.isalpha() and fold(last_word) in CONNECTIVES


def looks_like_agency(name: str) -> bool:
    """ "Sở Y tế", "Ban Tuyên giáo Tỉnh ủy", "Công an tỉnh", "UBND các huyện": a body's name,
    not a sentence ("Hội nghị …", "Báo cáo …": the word after the kind is not capitalised)."""
    if AGENCY_FIXED.match(name):
        return True
    match = AGENCY_PREFIX.match(name)
    return bool(match and (match.group(1) or "").isupper())


AMOUNT = Rx(r"^([\d.,\s]*\d)\s*(trieu dong|trieu|ty dong|ty|dong|vnd|d)?\s*\.?$")


def parse_amount(text: str, unit: str = "") -> int | None:
    """Đồng in "150.000.000 đồng", "150 triệu", "1,5 tỷ" (the unit may come from the header)."""
    match = AMOUNT.match(clean_text(text))
    if not match:
        return None
    number = re.sub(r"\s+", "", match.group(1) or "")
    unit = plain(match.group(2) or "") or fold(unit)
    factor = 1
    if "trieu" in unit:
        factor = 1_000_000
    elif re.search(r"\bty\b", unit):
        factor = 1_000_000_000
    if factor > 1 and re.fullmatch(r"\d+[.,]\d{1,2}", number):
        return round(float(number.replace(",", ".")) * factor)
    digits = re.sub(r"\D", "", number)
    return int(digits) * factor if digits else None


def is_recipients_label(text: str) -> bool:
    match = RECIPIENTS.match(text)
    if not match:
        return False
    rest = (match.group(1) or "").strip()
    return not rest or bool(BULLET.match(rest))


def numbering_scheme(body: list[Line]) -> str:
    """ "roman" when sections are numbered I., II., …; "arabic" when they are "1. MỤC ĐÍCH"."""
    if any(section_title(line) for line in body):
        return "roman"
    for line in body:
        match = ITEM.match(line.text)
        if match and is_upper(match.group(2) or "") and len(match.group(2) or "") <= 200:
            return "arabic"
    return "roman"


def is_section_line(line: Line, scheme: str) -> bool:
    if scheme == "roman":
        return section_title(line) is not None
    match = ITEM.match(line.text)
    return bool(match and is_upper(match.group(2) or "") and len(match.group(2) or "") <= 200)


def read_number(text: str) -> tuple[str, str, str] | None:
    """ "Số: 262 /KH-UBND" → ("262", "KH-UBND", "KH-UBND"): the digits, the ký hiệu without
    spaces and with no "/" inside (ND30: "/" only between number and ký hiệu), and the ký hiệu
    as written (without spaces); they differ when it had to be corrected."""
    match = NUMBER_LINE.match(text)
    if not match:
        return None
    written = re.sub(r"\s+", "", match.group(2) or "")
    symbol = written.replace("/", "").strip(".-")
    if not symbol or not re.fullmatch(r"[\wĐđ&.-]+", symbol):
        return None
    return match.group(1) or "", symbol, written


def date_of(match: Found) -> dt.date | None:
    day, month, year = match.group("day"), match.group("month"), match.group("year")
    if not (day and month and year):
        return None
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None
