"""Import a Word file: a plan (Kế hoạch) into plan content, a received letter into its parts.

Pure module: no models, no database (it reads one setting, `IMPORT_MAX_BYTES`).

`import_plan_docx(data, directory=...)` recognises the parts of a provincial plan laid out per ND30
(header, type and title, legal bases, preamble, sections, items, points, tasks with their
lead/coordinating units, timeline and budget, the closing, "Nơi nhận" and the signature block) and
returns a dict that `PlanContent.from_dict` accepts. It also reads plans laid out differently:

- numbering "I." / "1." / "1.1." / "1.1.1." / "a)" / "1)" / "-" / "+", or "1. MỤC ĐÍCH" as sections;
- tasks grouped under each agency ("1. Sở Thông tin và Truyền thông" followed by its tasks: the
  agency is their lead unit);
- tables whose header names the columns ("Nội dung/Nhiệm vụ", "Đơn vị chủ trì", "Đơn vị phối hợp",
  "Thời gian", "Kinh phí"): one task per row; other tables: one paragraph per row;
- text without diacritics (OCR): every label is compared on diacritics-folded text;
- unit names matched to the directory despite abbreviations ("Sở TT&TT", "Đài PTTH", "UBND",
  "Sở VH,TT&DL"), case, diacritics and small spelling mistakes.

Nothing is dropped: a paragraph that cannot be placed is returned in `unplaced`; header lines
(issuer, number, place and date) and table headers go to `source`. Everything the drafter should
check is an issue (`issues`, `warnings`), and `needs_review` is set when there is any.

`import_letter_docx(data)` reads a received document (công văn, e.g. the ministry's guidance
2905/BTTTT-TTĐN): sender, number and symbol, place and date, "V/v …" subject, "Kính gửi", body,
"Nơi nhận" and signature.

Bad files (not a .docx, password-protected, zip bombs, too large, broken XML) raise `InvalidInput`
with a Vietnamese message before anything is created.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from agencies.errors import InvalidInput

from .content import SignatureBlock

#: Default size limit of an uploaded .docx; the setting IMPORT_MAX_BYTES overrides it.
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
#: Refuse archives whose members add up to more than this once expanded (zip bombs).
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
#: A member (or the archive) expanding more than this many times is a zip bomb, not a document.
MAX_COMPRESSION_RATIO = 100
#: Below this size a high ratio is harmless (a tiny XML part of repeated tags compresses well).
RATIO_CHECK_MIN_BYTES = 1024 * 1024
MAX_ZIP_MEMBERS = 2000

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_DEPTH = 3  # content.Block allows sections (0) and three levels below them

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
#: Type abbreviations that may open a ký hiệu ("262/KH-UBND"); a công văn has none.
DOC_TYPE_ABBREVIATIONS = frozenset(
    ("KH", "BC", "TTr", "TB", "CTr", "HD", "PA", "ĐA", "DA", "QĐ", "CT", "QC", "QyĐ", "NQ", "CV")
)

SECTION_KINDS: tuple[tuple[str, str], ...] = (
    ("to chuc thuc hien", "implementation"),
    ("kinh phi", "budget"),
    ("muc dich", "purpose"),
    ("nhiem vu", "tasks"),
    ("noi dung", "tasks"),
)
#: Sections where an agency heading groups that agency's tasks.
AGENCY_SECTION_KINDS = ("tasks", "general")


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


@functools.lru_cache(maxsize=8192)
def _plain_char(char: str) -> str:
    base = "".join(c for c in unicodedata.normalize("NFD", char) if unicodedata.category(c) != "Mn")
    base = base.replace("đ", "d").replace("Đ", "D").lower()
    if len(base) == 1:
        return base
    lower = char.lower()
    return lower if len(lower) == 1 else char


def plain(text: str) -> str:
    """`text` in lower case without diacritics, character for character (same length), so that a
    match on it gives positions in `text`: "Đơn vị chủ trì:" → "don vi chu tri:"."""
    return "".join(map(_plain_char, text))


class _Found:
    """A match on the plain text whose groups are read from the original text."""

    def __init__(self, match: re.Match[str], text: str) -> None:
        self._match = match
        self._text = text

    def group(self, index: int | str = 0) -> str | None:
        start, end = self._match.span(index)
        return None if start < 0 else self._text[start:end]

    def groups(self) -> tuple[str | None, ...]:
        return tuple(self.group(i) for i in range(1, (self._match.re.groups or 0) + 1))

    def start(self, index: int = 0) -> int:
        return self._match.start(index)

    def end(self, index: int = 0) -> int:
        return self._match.end(index)


class _Rx:
    """A pattern written in plain lower case ("don vi chu tri"), matched on `plain(text)`: the
    same labels are recognised with or without diacritics and in any case (OCR text)."""

    def __init__(self, pattern: str) -> None:
        self._rx = re.compile(pattern)

    def match(self, text: str) -> _Found | None:
        found = self._rx.match(plain(text))
        return _Found(found, text) if found else None

    def search(self, text: str) -> _Found | None:
        found = self._rx.search(plain(text))
        return _Found(found, text) if found else None

    def finditer(self, text: str) -> Iterator[_Found]:
        for found in self._rx.finditer(plain(text)):
            yield _Found(found, text)


def _is_upper(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) >= 0.8 * len(letters)


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _has_diacritics(char: str) -> bool:
    return char.isalpha() and _plain_char(char) != char.lower()


# ---------------------------------------------------------------------------------------------
# Patterns (plain lower case; see _Rx)

_SECTION = _Rx(r"^(?=[ivxl])(l?x{0,3})(ix|iv|v?i{0,3})\s*(?:\.\s*|[-–)]\s+)(\S.*)$")
_ITEM = _Rx(r"^(\d{1,2})\s*\.(?:\s+|(?=[a-z]))(\S.*)$")
_DECIMAL = _Rx(r"^(\d{1,2}(?:\.\d{1,2}){1,3})(\.?)\s+(\S.*)$")
_POINT = _Rx(r"^([a-z])\s*(?:\)|\.(?=\s))\s*(\S.*)$")
_PAREN = _Rx(r"^\(?(\d{1,2})\s*\)\s*(\S.*)$")
_BULLET = re.compile(r"^([-–—+•*·▪●○◦➢►✓])\s*(.*)$")
_LEGAL_BASIS = _Rx(r"^(can cu|thuc hien|xet|theo de nghi)\b")
_CLOSING = _Rx(r"^tren day\b")
_RECIPIENTS = _Rx(r"^noi nhan\s*:?\s*(.*)$")
_ARCHIVE = _Rx(r"^luu\b\s*:?\s*(.*)$")
_AUTHORITY = _Rx(r"^(tm|kt|q|tl|tuq)\s*\.\s*(\S.*)$")
_NUMBER_LINE = _Rx(r"^so\s*:?\s*(\d*)\s*/\s*(\S.*)$")
_PLACE_DATE = _Rx(
    r"^(?:(?P<place>[^,]+),\s*)?ngay\s*(?P<day>\d{1,2})?\s*thang\s*(?P<month>\d{1,2})?"
    r"\s*nam\s*(?P<year>\d{4})?\s*$"
)
_DEADLINE = _Rx(r"truoc ngay\s*(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})")
_LEAD = _Rx(
    r"^(?:(?:don vi|co quan)\s+(?:chu tri|thuc hien)[^:]{0,40}|chu tri(?:\s+thuc hien)?\s*)"
    r":\s*(.*)$"
)
_COORDINATING = _Rx(
    r"^(?:(?:don vi|co quan)\s+phoi hop[^:]{0,60}|phoi hop(?:\s+thuc hien)?\s*):\s*(.*)$"
)
_TIMELINE = _Rx(
    r"^(?:thoi gian|thoi han|tien do)(?:\s+(?:thuc hien|hoan thanh|trien khai))?[^:]{0,20}:\s*(.*)$"
)
_BUDGET = _Rx(
    r"^(?:du toan\s+)?kinh phi(?:\s+(?:du kien|thuc hien|du toan))?\s*:\s*([\d.,\s]*\d)\s*"
    r"(trieu dong|trieu|ty dong|ty|dong|vnd|d)?\s*\.?$"
)
#: Where a field label starts inside a paragraph ("Tổ chức hội nghị; thời gian: quý II/2024").
_INLINE_FIELD = _Rx(
    r"[.;,(]\s*(?=(?:(?:don vi|co quan)\s+(?:chu tri|phoi hop|thuc hien)[^:]{0,40}:"
    r"|chu tri\s*:|phoi hop\s*:|(?:thoi gian|thoi han|tien do)(?:\s+(?:thuc hien|hoan thanh))?\s*:"
    r"|(?:du toan\s+)?kinh phi[^:]{0,15}:))"
)
_KINH_GUI = _Rx(r"^kinh gui\s*:?\s*(.*)$")
_SUBJECT = _Rx(r"^v\s*/\s*v\b\.?\s*:?\s*(.*)$")
#: The first words of a body's name: a line starting with one starts a new name.
_BODY_KIND = _Rx(
    r"^(?:bo|so|cuc|tong cuc|chi cuc|vu|ban|uy ban|ubnd|hoi dong|van phong|chinh phu|thu tuong"
    r"|tinh uy|thanh uy|trung tam|thanh tra|kho bac|ngan hang|dai|bao|vien|truong|hoc vien"
    r"|cong an|bo chi huy|toa an|kiem toan|tap doan|tong cong ty|cong ty)\b"
)
_AGENCY_FIXED = _Rx(
    r"^(?:cong an|bo chi huy|bo doi bien phong|tinh doan|cac so|cac co quan|cac don vi"
    r"|ubnd|uy ban nhan dan|hdnd|lien hiep|mat tran|uy ban mat tran|van phong)\b"
)
_AGENCY_PREFIX = _Rx(
    r"^(?:so|ban|bao|dai|bo|cuc|chi cuc|tong cuc|trung tam|hoi|truong|vien|uy ban|toa an"
    r"|kho bac|ngan hang|nha xuat ban|tinh uy|huyen uy|thanh uy|dang uy|doan)\s+(\S)"
)

#: Words a sentence never ends with: a paragraph ending in one continues in the next paragraph.
_CONNECTIVES = frozenset(
    fold(word)
    for word in [
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


# ---------------------------------------------------------------------------------------------
# Limits


def max_import_bytes() -> int:
    """The size limit of an imported file: settings.IMPORT_MAX_BYTES (10 MB by default)."""
    from django.conf import settings

    try:
        return int(getattr(settings, "IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))
    except Exception:  # settings not configured (a script): the documented default
        return DEFAULT_MAX_BYTES


def _size_text(size: int) -> str:
    """ "10 MB", "1.5 MB", "512 KB"."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"


def too_large_message(max_bytes: int | None = None) -> str:
    """The message for a file over the limit, e.g. "Tệp quá lớn (tối đa 10 MB)."."""
    return f"Tệp quá lớn (tối đa {_size_text(max_bytes or max_import_bytes())})."


# ---------------------------------------------------------------------------------------------
# The unit directory

#: Abbreviations people write in unit names, on plain text (no diacritics, lower case), and the
#: words they stand for. Both the directory and the names as written go through them.
_ABBREVIATIONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), words)
    for pattern, words in (
        (r"\bstttt\b", "so thong tin truyen thong"),
        (r"\btt\s*(?:&|va|-|\+|/)?\s*tt\b|\btttt\b", "thong tin truyen thong"),
        (r"\bpt\s*[-–&/]?\s*th\b|\bptth\b", "phat thanh truyen hinh"),
        (
            r"\bvh\s*[,&-]?\s*tt\s*(?:&|va|,|-)?\s*dl\b|\bvhttdl\b|\bvhtt\s*&\s*dl\b",
            "van hoa the thao du lich",
        ),
        (r"\bkh\s*(?:&|va|-)\s*dt\b|\bkhdt\b", "ke hoach dau tu"),
        (r"\bkh\s*(?:&|va|-)\s*cn\b|\bkhcn\b", "khoa hoc cong nghe"),
        (r"\btn\s*(?:&|va|-)\s*mt\b|\btnmt\b", "tai nguyen moi truong"),
        (r"\bgd\s*(?:&|va|-)\s*dt\b|\bgddt\b", "giao duc dao tao"),
        (r"\bld\s*[-–]?\s*tb\s*(?:&|va|-)?\s*xh\b|\bldtbxh\b", "lao dong thuong binh xa hoi"),
        (r"\bnn\s*(?:&|va|-)\s*ptnt\b|\bnnptnt\b", "nong nghiep phat trien nong thon"),
        (r"\bgtvt\b", "giao thong van tai"),
        (r"\bubmttq(?:vn)?\b", "uy ban mat tran to quoc"),
        (r"\bmttq(?:vn)?\b", "mat tran to quoc"),
        (r"\bubnd\b", "uy ban nhan dan"),
        (r"\bhdnd\b", "hoi dong nhan dan"),
        (r"\bbchqs\b", "bo chi huy quan su"),
        (r"\bbtg\b", "ban tuyen giao"),
        (r"\bnxb\b", "nha xuat ban"),
        (r"\bvp\b", "van phong"),
        (r"\btp\b", "thanh pho"),
        (r"\btx\b", "thi xa"),
    )
)
_UNIT_STOPWORDS = frozenset(("va",))


def unit_key(text: str) -> str:
    """The comparison key of a unit name: no diacritics, no case, no punctuation, abbreviations
    spelt out, "và" dropped. "Sở VH,TT&DL" and "Sở Văn hóa, Thể thao và Du lịch" have the same."""
    text = plain(clean_text(text))
    for pattern, words in _ABBREVIATIONS:
        text = pattern.sub(f" {words} ", text)
    words = re.sub(r"[^0-9a-z]+", " ", text).split()
    return " ".join(w for w in words if w not in _UNIT_STOPWORDS)


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance of `a` and `b`, or `limit + 1` once it is known to exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


@dataclass(frozen=True)
class UnitMatch:
    unit_id: int
    name: str  # the directory's name
    is_fuzzy: bool = False  # matched despite a spelling difference: to be checked


class UnitDirectory:
    """Matches unit names as written to the directory: by full name or short name, whatever the
    case, diacritics, punctuation or abbreviations ("Sở TT&TT", "Đài PTTH", "UBND tỉnh"),
    tolerating a trailing province name, and small spelling mistakes (flagged as fuzzy)."""

    def __init__(self, rows: Sequence[tuple[int, str, str]], place: str = "") -> None:
        self._place = unit_key(place)
        keys: dict[str, set[int]] = {}
        self._names: dict[int, str] = {}
        for unit_id, name, short_name in rows:
            self._names.setdefault(unit_id, name)
            for alias in (name, short_name):
                key = unit_key(alias or "")
                if not key:
                    continue
                keys.setdefault(key, set()).add(unit_id)
                stripped = self._without_place(key)
                if stripped != key and len(stripped.split()) >= 2:
                    keys.setdefault(stripped, set()).add(unit_id)
        # A key shared by two units names neither.
        self._by_key = {key: ids.pop() for key, ids in keys.items() if len(ids) == 1}

    def _without_place(self, key: str) -> str:
        if self._place and key.endswith(" " + self._place):
            return key[: -len(self._place)].strip()
        return key

    def lookup(self, text: str) -> UnitMatch | None:
        """The directory unit named by `text` as written, or None."""
        key = unit_key(text)
        if not key:
            return None
        for candidate in dict.fromkeys((key, self._without_place(key))):
            if candidate in self._by_key:
                unit_id = self._by_key[candidate]
                return UnitMatch(unit_id, self._names[unit_id])
        return self._fuzzy(key)

    def _fuzzy(self, key: str) -> UnitMatch | None:
        """A unit whose key differs from `key` by a few letters (one per 12), with the same first
        word ("Sở …" is never "Ban …"), and no other unit as close."""
        if len(key) < 8:
            return None
        limit = max(1, len(key) // 12)
        first = key.split()[0]
        best: list[tuple[int, int]] = []
        for candidate, unit_id in self._by_key.items():
            if candidate.split()[0] != first:
                continue
            distance = _edit_distance(key, candidate, limit)
            if distance <= limit:
                best.append((distance, unit_id))
        if not best:
            return None
        best.sort()
        ids = {unit_id for distance, unit_id in best if distance == best[0][0]}
        if len(ids) != 1:
            return None
        unit_id = best[0][1]
        return UnitMatch(unit_id, self._names[unit_id], is_fuzzy=True)

    def match(self, text: str) -> tuple[int, str] | None:
        """(unit_id, directory name) for a name as written, or None."""
        found = self.lookup(text)
        return (found.unit_id, found.name) if found else None

    def split_detail(self, text: str) -> list[tuple[str, UnitMatch | None]]:
        """A list of units as written ("A; B, C") as (name as written, match) pairs, in order.

        Splits on ";" and line breaks first, then on "," only where the pieces are directory
        units, trying the longest run of pieces first so that "Sở Văn hóa, Thể thao và Du lịch"
        stays whole, then on "và" when both sides are units. Names not in the directory keep
        their text (commas included) with no match.
        """
        out: list[tuple[str, UnitMatch | None]] = []
        for part in re.split(r"[;\n]+", text or ""):
            part = clean_text(part).strip(" .,")
            if not part:
                continue
            pieces = [p.strip() for p in part.split(",") if p.strip()]
            pending: list[str] = []
            index = 0
            while index < len(pieces):
                found = None
                end = index
                for end in range(len(pieces), index, -1):
                    found = self.lookup(", ".join(pieces[index:end]))
                    if found:
                        break
                if found:
                    if pending:
                        out.extend(self._split_and(", ".join(pending)))
                        pending = []
                    out.append((", ".join(pieces[index:end]), found))
                    index = end
                else:
                    pending.append(pieces[index])
                    index += 1
            if pending:
                out.extend(self._split_and(", ".join(pending)))
        return out

    def _split_and(self, text: str) -> list[tuple[str, UnitMatch | None]]:
        """ "Sở TT&TT và Báo Đồng Nai": two units when both sides are; else the text as is."""
        parts = [p.strip() for p in re.split(r"\s+(?:và|va|với|voi)\s+", text) if p.strip()]
        if len(parts) > 1:
            matches = [self.lookup(p) for p in parts]
            if all(matches):
                return list(zip(parts, matches, strict=True))
        return [(text, None)]

    def split(self, text: str) -> list[tuple[str, int | None]]:
        """Like `split_detail`, as (directory name or text as written, unit_id) pairs."""
        return [
            (found.name, found.unit_id) if found else (name, None)
            for name, found in self.split_detail(text)
        ]


# ---------------------------------------------------------------------------------------------
# Reading the file


def _refuse(message: str) -> InvalidInput:
    return InvalidInput(message, code="invalid_file")


def _main_part(archive: zipfile.ZipFile, names: set[str]) -> str:
    """The name of the main document part: from _rels/.rels, else word/document.xml."""
    if "_rels/.rels" in names:
        try:
            from lxml import etree

            rels = etree.fromstring(archive.read("_rels/.rels"), parser=_safe_parser())
            for rel in rels:
                if str(rel.get("Type", "")).endswith("/officeDocument"):
                    target = str(rel.get("Target", "")).lstrip("/")
                    if target:
                        return target
        except Exception:  # a broken .rels: python-docx will say so below
            pass
    return "word/document.xml"


def _safe_parser() -> Any:
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def check_docx(data: bytes, *, max_bytes: int | None = None) -> None:
    """Refuse, with a clear Vietnamese message, anything that is not a sound .docx: empty, too
    large, a password-protected or old Word file, a PDF, not a zip, a zip bomb (judged from the
    zip directory before anything is expanded), no document part, broken XML."""
    max_bytes = max_bytes or max_import_bytes()
    if not isinstance(data, bytes | bytearray) or not data:
        raise _refuse("Tệp tải lên trống.")
    if len(data) > max_bytes:
        raise _refuse(too_large_message(max_bytes))
    data = bytes(data)
    if data.startswith(OLE2_MAGIC[:4]):
        is_old_word = "WordDocument".encode("utf-16-le") in data
        is_encrypted = "EncryptedPackage".encode("utf-16-le") in data
        if is_old_word and not is_encrypted:
            raise _refuse(
                "Tệp là văn bản Word cũ (.doc). Vui lòng mở tệp bằng Word và lưu lại dưới dạng "
                ".docx rồi tải lên lại."
            )
        raise _refuse(
            "Tệp được bảo vệ bằng mật khẩu. Vui lòng gỡ mật khẩu (trong Word: Tệp › Thông tin › "
            "Bảo vệ tài liệu) rồi tải lên lại."
        )
    if data.startswith(b"%PDF"):
        raise _refuse("Tệp là PDF, không phải là tệp Word (.docx). Vui lòng tải lên tệp .docx.")
    if not data.startswith(b"PK"):
        raise _refuse("Tệp không phải là tệp Word (.docx) hợp lệ.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise _refuse("Tệp không phải là tệp Word (.docx) hợp lệ: tệp nén bị hỏng.") from exc
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise _refuse(
                "Tệp chứa quá nhiều thành phần, có thể là tệp độc hại; hệ thống không mở tệp này."
            )
        if any(member.flag_bits & 0x1 for member in members):
            raise _refuse("Tệp được bảo vệ bằng mật khẩu. Vui lòng gỡ mật khẩu rồi tải lên lại.")
        expanded = sum(member.file_size for member in members)
        compressed = sum(member.compress_size for member in members)
        if expanded > MAX_UNCOMPRESSED_BYTES:
            raise _refuse(
                f"Tệp Word khi giải nén quá lớn ({_size_text(expanded)}, tối đa "
                f"{_size_text(MAX_UNCOMPRESSED_BYTES)}); hệ thống không mở tệp này."
            )
        suspicious = [
            member
            for member in members
            if member.file_size > RATIO_CHECK_MIN_BYTES
            and member.file_size > MAX_COMPRESSION_RATIO * max(member.compress_size, 1)
        ]
        if suspicious or (
            expanded > RATIO_CHECK_MIN_BYTES
            and expanded > MAX_COMPRESSION_RATIO * max(compressed, 1)
        ):
            raise _refuse(
                "Tệp nén có tỷ lệ nén bất thường, có thể là tệp độc hại (zip bomb); hệ thống "
                "không mở tệp này."
            )
        names = {member.filename for member in members}
        main = _main_part(archive, names)
        if main not in names:
            raise _refuse(
                f"Tệp không phải là tệp Word (.docx) hợp lệ: thiếu phần nội dung văn bản ({main})."
            )
        try:
            xml = archive.read(main)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise _refuse("Tệp Word bị hỏng: không giải nén được phần nội dung.") from exc
    from lxml import etree

    try:
        tree = etree.fromstring(xml, parser=_safe_parser()).getroottree()
    except etree.XMLSyntaxError as exc:
        line = f" (dòng {exc.lineno})" if getattr(exc, "lineno", None) else ""
        raise _refuse(
            f"Tệp Word bị hỏng: phần nội dung không phải XML hợp lệ{line}. Vui lòng mở tệp bằng "
            "Word và lưu lại."
        ) from exc
    if tree.docinfo.internalDTD is not None or tree.docinfo.doctype:
        raise _refuse("Tệp Word chứa khai báo DTD không được phép; hệ thống không mở tệp này.")


def _open_docx(data: bytes, *, max_bytes: int | None = None) -> Any:
    """python-docx Document of `data`, or InvalidInput with a Vietnamese message."""
    check_docx(data, max_bytes=max_bytes)
    try:
        import docx

        return docx.Document(io.BytesIO(bytes(data)))
    except Exception as exc:  # python-docx raises many kinds of errors on broken files
        raise _refuse(
            "Không đọc được tệp Word. Vui lòng kiểm tra lại tệp (.docx), mở bằng Word và lưu lại."
        ) from exc


@dataclass
class _RowTask:
    """A row of a task table: the columns it had, by role."""

    lead: str = ""
    coordinating: str = ""
    timeline: str = ""
    budget_vnd: int | None = None
    description: list[str] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)


@dataclass
class _Line:
    text: str
    bold: bool = False
    centered: bool = False
    in_table: bool = False
    table: int | None = None  # the top-level table the line is in
    row: int = -1
    column: int = -1
    task_row: _RowTask | None = None  # set when a task table's row is read as a task
    group: bool = False  # a group heading row of a task table


@dataclass
class _Cell:
    column: int
    span: int
    lines: list[_Line]
    is_continuation: bool = False  # a vertically merged cell: its text is the one above

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


@dataclass
class _Table:
    rows: list[list[_Cell]] = field(default_factory=list)


def _w(tag: str) -> str:
    from docx.oxml.ns import qn

    return qn(tag)


def _paragraph_text(p: Any, boxes: list[Any]) -> str:
    """The visible text of a <w:p>: runs, hyperlinks, insertions, fields' results, smart tags;
    not deleted text nor field codes. Text boxes are collected in `boxes` for later."""
    tags = _tags()
    out: list[str] = []

    def collect(element: Any) -> None:
        for child in element:
            tag = child.tag
            if tag == tags["t"]:
                out.append(child.text or "")
            elif tag == tags["tab"]:
                out.append("\t")
            elif tag in (tags["br"], tags["cr"]):
                out.append("\n")
            elif tag == tags["noBreakHyphen"]:
                out.append("-")
            elif tag in tags["skip"]:
                continue
            elif tag == tags["txbxContent"]:
                boxes.append(child)
            else:
                collect(child)

    collect(p)
    return "".join(out)


@functools.cache
def _tags() -> dict[str, Any]:
    names = ("t", "tab", "br", "cr", "noBreakHyphen", "txbxContent", "p", "tbl", "tr", "tc")
    tags: dict[str, Any] = {name: _w(f"w:{name}") for name in names}
    tags["skip"] = frozenset(
        (
            _w("w:del"),
            _w("w:instrText"),
            _w("w:delText"),
            _w("w:rPr"),
            _w("w:pPr"),
            "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback",
        )
    )
    tags["containers"] = frozenset((_w("w:sdt"), _w("w:sdtContent"), _w("w:customXml")))
    return tags


def _paragraph_lines(paragraph: Any, in_table: bool) -> tuple[list[_Line], list[Any]]:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    boxes: list[Any] = []
    text = unicodedata.normalize("NFC", _paragraph_text(paragraph._p, boxes))
    runs = [r for r in paragraph.runs if r.text.strip()]
    style = paragraph.style
    style_bold = bool(style is not None and style.font.bold)
    bold = bool(runs) and all(r.bold or (r.bold is None and style_bold) for r in runs)
    alignment = paragraph.alignment
    if alignment is None and style is not None:
        alignment = style.paragraph_format.alignment
    centered = alignment == WD_ALIGN_PARAGRAPH.CENTER
    out = []
    for part in re.split(r"[\n\r\v]+", text):
        part = clean_text(part)
        if part:
            out.append(_Line(part, bold=bold, centered=centered, in_table=in_table))
    return out, boxes


def _document_lines(document: Any) -> tuple[list[_Line], dict[int, _Table]]:
    """Every non-empty line of the body in reading order, and the top-level tables by index.

    Table cells are read row by row, left to right; a cell spanning columns or rows is read
    once. Nested tables and text boxes are read where they stand.
    """
    from docx.text.paragraph import Paragraph

    tags = _tags()
    lines: list[_Line] = []
    tables: dict[int, _Table] = {}

    def walk(element: Any, in_table: bool) -> None:
        for child in element.iterchildren():
            if child.tag == tags["p"]:
                found, boxes = _paragraph_lines(Paragraph(child, document), in_table)
                lines.extend(found)
                for box in boxes:
                    walk(box, in_table)
            elif child.tag == tags["tbl"]:
                if in_table:
                    nested(child)
                else:
                    table(child)
            elif child.tag in tags["containers"]:
                walk(child, in_table)

    def nested(tbl: Any) -> None:
        for tr in tbl.iterchildren(tags["tr"]):
            for tc in _row_cells(tr):
                walk(tc, True)

    def table(tbl: Any) -> None:
        index = len(tables)
        info = tables[index] = _Table()
        above: dict[int, _Cell] = {}
        for row_index, tr in enumerate(tbl.iterchildren(tags["tr"])):
            column = int(getattr(tr, "grid_before", 0) or 0)
            cells: list[_Cell] = []
            for tc in _row_cells(tr):
                span = int(getattr(tc, "grid_span", 1) or 1)
                if getattr(tc, "vMerge", None) == "continue" and column in above:
                    cell = _Cell(column, span, above[column].lines, is_continuation=True)
                else:
                    start = len(lines)
                    walk(tc, True)
                    for line in lines[start:]:
                        line.table, line.row, line.column = index, row_index, column
                    cell = _Cell(column, span, lines[start:])
                for col in range(column, column + span):
                    above[col] = cell
                cells.append(cell)
                column += span
            info.rows.append(cells)

    walk(document.element.body, False)
    return lines, tables


def _row_cells(tr: Any) -> Iterator[Any]:
    tags = _tags()
    for child in tr.iterchildren():
        if child.tag == tags["tc"]:
            yield child
        elif child.tag in tags["containers"]:
            yield from _row_cells(child)


def _lacks_diacritics(lines: Sequence[_Line]) -> bool:
    """True for Vietnamese text typed or recognised (OCR) without its diacritics."""
    letters = marked = 0
    for line in lines:
        for char in line.text:
            if char.isalpha():
                letters += 1
                marked += _has_diacritics(char)
    # Vietnamese prose has a diacritic on about a third of its letters' syllables.
    return letters >= 80 and marked < 0.02 * letters


# ---------------------------------------------------------------------------------------------
# Tables


def _column_role(text: str) -> str | None:
    """What a header cell names: number, content, lead, coordinating, timeline or budget."""
    key = fold(text)
    if re.fullmatch(r"stt|tt|so tt|so thu tu", key):
        return "number"
    if "phoi hop" in key:
        return "coordinating"
    if re.search(r"chu tri|(?:don vi|co quan) thuc hien|trach nhiem", key):
        return "lead"
    if re.search(r"thoi gian|thoi han|tien do", key):
        return "timeline"
    if re.search(r"kinh phi|du toan", key):
        return "budget"
    if re.search(
        r"noi dung|nhiem vu|hoat dong|cong viec|giai phap|ten (?:de an|du an|chuong trinh)", key
    ):
        return "content"
    return None


@dataclass
class _TaskColumns:
    roles: dict[int, str]  # grid column → role
    headers: dict[int, str]  # grid column → header text
    first: int  # index of the first header row
    data: int  # index of the first data row


def _task_columns(table: _Table) -> _TaskColumns | None:
    """The columns of a task table ("Nội dung" + "Đơn vị chủ trì" or "Thời gian" …), or None.

    The header may sit under a title row, and may have a second row naming the columns of a
    merged cell ("Đơn vị thực hiện" over "Chủ trì" | "Phối hợp").
    """
    for first in range(min(2, len(table.rows))):
        roles: dict[int, str] = {}
        headers: dict[int, str] = {}
        for cell in table.rows[first]:
            role = _column_role(cell.text)
            for column in range(cell.column, cell.column + cell.span):
                headers[column] = clean_text(cell.text)
                if role:
                    roles[column] = role
        found = set(roles.values())
        if "content" not in found or not found & {"lead", "coordinating", "timeline"}:
            continue
        data = first + 1
        if data < len(table.rows):
            below = [c for c in table.rows[data] if c.text.strip() and not c.is_continuation]
            below_roles = [_column_role(c.text) for c in below]
            if below and all(below_roles):
                for cell, role in zip(below, below_roles, strict=True):
                    for column in range(cell.column, cell.column + cell.span):
                        roles[column] = role or ""
                        headers[column] = clean_text(cell.text)
                data += 1
        return _TaskColumns(roles, headers, first, data)
    return None


_AMOUNT = _Rx(r"^([\d.,\s]*\d)\s*(trieu dong|trieu|ty dong|ty|dong|vnd|d)?\s*\.?$")


def _parse_amount(text: str, unit: str = "") -> int | None:
    """Đồng in "150.000.000 đồng", "150 triệu", "1,5 tỷ" (the unit may come from the header)."""
    match = _AMOUNT.match(clean_text(text))
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


def _is_ordinal(text: str) -> bool:
    return bool(re.fullmatch(r"[\dIVXLivxl]{1,6}[.)]?|[a-zđA-ZĐ][.)]?", text.strip()))


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
    from_table: bool = False
    bullet: str = ""  # the bullet its line started with


@dataclass
class _Node:
    level: int  # 0 section, 1 item, 2 point, 3
    title: str
    kind: str = "general"
    marker: str = ""  # section, item, decimal, point, paren, bullet (agency line), group (table)
    entries: list[Any] = field(default_factory=list)  # _Para | _Node | _DashTask
    fields: _Fields = field(default_factory=_Fields)
    #: The units a heading names ("1. Sở Thông tin và Truyền thông"): lead of the tasks below.
    agency: list[str] | None = None


@dataclass
class _Para:
    text: str
    bullet: str = ""  # "-" or "+" when the line starts with one


def _parse_field(text: str, into: _Fields, raw: str) -> bool:
    """Add a "Đơn vị chủ trì: …" / "Thời gian …: …" / "Kinh phí: …" line to `into`."""
    if match := _LEAD.match(text):
        into.lead.append(match.group(1) or "")
    elif match := _COORDINATING.match(text):
        into.coordinating.append(match.group(1) or "")
    elif match := _TIMELINE.match(text):
        value = (match.group(1) or "").strip().rstrip(" .;")
        into.timeline = f"{into.timeline}; {value}" if into.timeline else value
    elif match := _BUDGET.match(text):
        amount = _parse_amount(f"{match.group(1)} {match.group(2) or ''}")
        if amount is None:
            return False
        into.budget_vnd = amount
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


def _inline_fields(text: str) -> tuple[str, list[str]]:
    """ "Tổ chức hội nghị; thời gian: quý II/2024" → ("Tổ chức hội nghị", ["thời gian: quý
    II/2024"]); the text unchanged and [] unless every segment after the first is a field."""
    cuts = [found.start() for found in _INLINE_FIELD.finditer(text)]
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
    if head and all(_is_field(segment) for segment in segments):
        return head, segments
    return text, []


def _section_title(line: _Line) -> str | None:
    match = _SECTION.match(line.text)
    if not match or not (match.group(1) or match.group(2)):
        return None
    numeral = (match.group(1) or "") + (match.group(2) or "")
    rest = (match.group(3) or "").strip()
    if numeral.isupper() and (_is_upper(rest) or (line.bold and len(rest) <= 200)):
        return rest
    return None


def _item_title(line: _Line, rest: str) -> str | None:
    """The title of an item heading "1. …"; None when the line is a numbered sentence."""
    rest = rest.strip()
    if line.bold or (len(rest) <= 200 and not rest.endswith((".", ";", ","))):
        return rest
    return None


def _is_structural(text: str) -> bool:
    line = _Line(text)
    return bool(
        _section_title(line)
        or _ITEM.match(text)
        or _DECIMAL.match(text)
        or _POINT.match(text)
        or _PAREN.match(text)
        or _BULLET.match(text)
        or _LEGAL_BASIS.match(text)
        or _CLOSING.match(text)
        or _RECIPIENTS.match(text)
        or _KINH_GUI.match(text)
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
    if previous.task_row or line.task_row or previous.group or line.group:
        return False
    if _is_structural(line.text) or _section_title(previous):
        return False
    if previous.bold and (_ITEM.match(previous.text) or _DECIMAL.match(previous.text)):
        return False
    first = line.text[0]
    if first.isalpha() and first.islower():
        return not previous.text.endswith((".", "!", "?", ":"))
    if previous.text.endswith((".", "!", "?", ":", ";", ",", ")")):
        return False
    if (match := _ITEM.match(previous.text)) and _item_title(previous, match.group(2) or ""):
        return False
    last_word = fold(previous.text.rsplit(" ", 1)[-1])
    return first.isalpha() and last_word in _CONNECTIVES


def _looks_like_agency(name: str) -> bool:
    """ "Sở Y tế", "Ban Tuyên giáo Tỉnh ủy", "Công an tỉnh", "UBND các huyện": a body's name,
    not a sentence ("Hội nghị …", "Báo cáo …": the word after the kind is not capitalised)."""
    if _AGENCY_FIXED.match(name):
        return True
    match = _AGENCY_PREFIX.match(name)
    return bool(match and (match.group(1) or "").isupper())


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
    document = _open_docx(data, max_bytes=max_bytes)
    lines, tables = _document_lines(document)
    return _Importer(lines, tables, directory, place=place).run()


class _Importer:
    """One import: walks the lines once, zone by zone, and places every one of them."""

    def __init__(
        self,
        lines: list[_Line],
        tables: dict[int, _Table],
        directory: Sequence[tuple[int, str, str]],
        *,
        place: str = "",
    ) -> None:
        self.lines = lines
        self.tables = tables
        self.rows = list(directory)
        self.place = place
        self.directory = UnitDirectory(self.rows, place)
        self.unplaced: list[str] = []
        self.issues: list[dict[str, str]] = []
        self.source: dict[str, Any] = {"issuer_lines": [], "labels": []}
        self.content: dict[str, Any] = {}
        self._warned_units: set[str] = set()
        self._numbering_noted = False

    def warn(self, message: str, *, code: str = "note", text: str = "") -> None:
        if all(issue["message"] != message for issue in self.issues):
            self.issues.append({"code": code, "message": message, "text": text})

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
            doc_type = DOC_TYPES_BY_NAME[_TYPE_NAMES[fold(lines[type_index].text)]]
            self.source["labels"].append(lines[type_index].text)
            position = type_index + 1
        self.content["doc_type"] = doc_type
        self.directory = UnitDirectory(self.rows, self.source.get("place") or self.place)

        position = self._title(position)
        end = self._body_end(position)
        body = _merge_continuations(self._expand_tables(lines[position:end]))
        scheme = _scheme(body)
        body = self._legal_bases_and_preamble(body, scheme)
        self._sections(body, scheme)
        self._footer(lines[end:])
        self._year()
        self.content["place"] = self.source.get("place", "")
        if _lacks_diacritics(lines):
            self.warn(
                "Văn bản không có dấu tiếng Việt (có thể được nhận dạng từ ảnh quét, OCR); đã "
                "nhận diện theo chữ không dấu. Vui lòng rà soát và bổ sung dấu.",
                code="ocr",
            )
        return ImportResult(
            content=self.content,
            unplaced=self.unplaced,
            warnings=[issue["message"] for issue in self.issues],
            source=self.source,
            issues=self.issues,
            needs_review=bool(self.unplaced or self.issues),
        )

    def _unwrap_layout_tables(self, lines: list[_Line]) -> list[_Line]:
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
            _Line(line.text, bold=line.bold, centered=line.centered)
            if line.table in layout
            else line
            for line in lines
        ]

    def _find_type_line(self) -> int | None:
        for index, line in enumerate(self.lines[:40]):
            if not line.in_table and _is_upper(line.text) and fold(line.text) in _TYPE_NAMES:
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
            elif not self.source.get("number_line") and (number := _read_number(text)):
                self.source["number_line"] = text
                digits, symbol, _written = number
                if digits:
                    self.source["number"] = int(digits)
                self.source["symbol"] = symbol
                kind, _, issuer = symbol.partition("-")
                self.source["doc_type"] = kind
                if issuer:
                    self.source["issuer_abbreviation"] = issuer
            elif match := _PLACE_DATE.match(text):
                self.source["date_line"] = text
                if match.group("place"):
                    self.source["place"] = (match.group("place") or "").strip()
                issued = _date_of(match)
                if issued:
                    self.source["date"] = issued.isoformat()
                elif match.group("day") and match.group("month") and match.group("year"):
                    self.warn(f"Ngày ban hành “{text}” không hợp lệ.", code="date_invalid")
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
            if _CLOSING.match(line.text) or _is_recipients_label(line.text):
                return index
            if line.in_table and index > position and _AUTHORITY.match(line.text):
                return index
        # No closing: a signature block at the very end (authority lines, then a name).
        for index in range(position, len(self.lines)):
            text = self.lines[index].text
            if _AUTHORITY.match(text) and not text.endswith((".", ";")) and _is_upper(text):
                return index
        return len(self.lines)

    # -- tables ---------------------------------------------------------------------------

    def _expand_tables(self, lines: list[_Line]) -> list[_Line]:
        """Body tables as lines: a task table's rows as tasks (and group rows as headings), a
        layout table (one cell a row) as its paragraphs, any other table one paragraph a row."""
        out: list[_Line] = []
        index = 0
        ordinal = 0
        while index < len(lines):
            line = lines[index]
            if line.table is None:
                out.append(line)
                index += 1
                continue
            end = index
            while end < len(lines) and lines[end].table == line.table:
                end += 1
            ordinal += 1
            out.extend(self._table_lines(line.table, lines[index:end], ordinal))
            index = end
        return out

    def _table_lines(self, key: int, lines: list[_Line], ordinal: int) -> list[_Line]:
        table = self.tables[key]
        present = sorted({line.row for line in lines})
        rows = {r: table.rows[r] for r in present if 0 <= r < len(table.rows)}
        columns = _task_columns(table)
        if columns is not None:
            return self._task_table_lines(key, rows, columns, ordinal)
        wide = any(
            len([c for c in cells if c.text.strip() and not c.is_continuation]) > 1
            for cells in rows.values()
        )
        if not wide:  # a layout table: its paragraphs are ordinary body text
            return [_Line(line.text, bold=line.bold, centered=line.centered) for line in lines]
        out = []
        for row_index in present:
            texts = [
                " ".join(line.text for line in cell.lines)
                for cell in rows.get(row_index, [])
                if cell.text.strip() and not cell.is_continuation
            ]
            if texts:
                out.append(_Line(" | ".join(texts), in_table=True, table=key, row=row_index))
        if out:
            self.warn(
                f"Bảng thứ {ordinal} không có các cột của bảng nhiệm vụ (“Nội dung/Nhiệm vụ”, "
                "“Đơn vị chủ trì”, “Thời gian”…): mỗi dòng của bảng được giữ thành một đoạn văn; "
                "vui lòng kiểm tra và sắp xếp lại.",
                code="table_generic",
                text=out[0].text,
            )
        return out

    def _task_table_lines(
        self, key: int, rows: dict[int, list[_Cell]], columns: _TaskColumns, ordinal: int
    ) -> list[_Line]:
        out: list[_Line] = []
        tasks = 0
        for row_index, cells in rows.items():
            if row_index < columns.data:
                texts = [clean_text(c.text) for c in cells if c.text.strip()]
                if row_index < columns.first:  # a title row above the header: body text
                    out.extend(_Line(t, in_table=True, table=key, row=row_index) for t in texts)
                else:
                    self.source.setdefault("table_headers", []).extend(texts)
                continue
            line = self._task_row(key, row_index, cells, columns)
            if line is not None:
                tasks += bool(line.task_row)
                out.append(line)
        if tasks:
            self.warn(
                f"Đã đọc {tasks} nhiệm vụ từ bảng thứ {ordinal} (mỗi dòng một nhiệm vụ); vui lòng "
                "kiểm tra lại nội dung, đơn vị và thời gian.",
                code="layout_table",
            )
        return out

    def _task_row(
        self, key: int, row_index: int, cells: list[_Cell], columns: _TaskColumns
    ) -> _Line | None:
        """One data row: a task, a group heading ("I | Truyền thông"), or text kept as it is."""
        filled = [c for c in cells if c.text.strip()]
        if not filled:
            return None
        own = [c for c in filled if not c.is_continuation]
        roles = {id(c): columns.roles.get(c.column, "") for c in filled}
        field_roles = ("lead", "coordinating", "timeline", "budget")
        number = " ".join(clean_text(c.text) for c in own if roles[id(c)] == "number")
        content = [c for c in own if roles[id(c)] == "content"]
        if len(own) == 1 and own[0].span > 1 and not _is_ordinal(own[0].text):
            return _Line(
                clean_text(own[0].text), in_table=True, table=key, row=row_index, group=True
            )
        if (
            content
            and not any(roles[id(c)] in field_roles for c in own)
            and re.fullmatch(r"[IVXL]+\.?|[A-Z]\.?", number)
        ):
            title = " ".join(clean_text(c.text) for c in content)
            return _Line(title, in_table=True, table=key, row=row_index, group=True)
        title_lines = [line.text for c in content for line in c.lines]
        if not title_lines:
            text = " | ".join(clean_text(c.text) for c in filled)
            self.warn(
                f"Một dòng của bảng nhiệm vụ không có nội dung nhiệm vụ: “{_short(text)}”; đã giữ "
                "thành đoạn văn.",
                code="table_row",
                text=text,
            )
            return _Line(text, in_table=True, table=key, row=row_index)
        task = _RowTask()
        fields = _Fields()
        for extra in title_lines[1:]:
            if not _parse_field(_split_bullet(extra)[1], fields, extra):
                task.description.append(extra)
        if not _is_ordinal(number) and number:
            task.description.append(f"{columns.headers.get(own[0].column, 'STT')}: {number}")
        for cell in filled:
            role = roles[id(cell)]
            if role in ("content", "number") and not cell.is_continuation:
                continue
            text = "; ".join(line.text for line in cell.lines)
            header = columns.headers.get(cell.column, "")
            labelled = f"{header}: {text}" if header else text
            if role == "lead":
                task.lead = f"{task.lead}; {text}" if task.lead else text
            elif role == "coordinating":
                task.coordinating = f"{task.coordinating}; {text}" if task.coordinating else text
            elif role == "timeline":
                task.timeline = f"{task.timeline}; {text}" if task.timeline else text
            elif role == "budget" and (amount := _parse_amount(text, header)) is not None:
                task.budget_vnd = amount
            else:
                task.description.append(labelled)
                continue
            task.raw.append(labelled)
        task.lead = "; ".join(filter(None, [task.lead, *fields.lead]))
        task.coordinating = "; ".join(filter(None, [task.coordinating, *fields.coordinating]))
        task.timeline = "; ".join(filter(None, [task.timeline, fields.timeline]))
        if task.budget_vnd is None:
            task.budget_vnd = fields.budget_vnd
        task.raw.extend(fields.raw)
        return _Line(title_lines[0], in_table=True, table=key, row=row_index, task_row=task)

    # -- legal bases, preamble --------------------------------------------------------------

    def _legal_bases_and_preamble(self, body: list[_Line], scheme: str) -> list[_Line]:
        """Lines before the first section: legal bases, then the preamble ("… như sau:")."""
        first_section = next(
            (i for i, line in enumerate(body) if _is_section_line(line, scheme)), None
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
                    (i for i, line in enumerate(body) if not _LEGAL_BASIS.match(line.text)),
                    len(body),
                )
        legal_bases: list[str] = []
        preamble: list[str] = []
        for line in body[:first_section]:
            if _LEGAL_BASIS.match(line.text) and not preamble and not line.task_row:
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
        self, body: list[_Line], line: _Line, legal_bases: list[str], preamble: list[str]
    ) -> list[_Line]:
        """A task table before any section: the body starts at the table."""
        self.content["legal_bases"] = legal_bases
        self.content["preamble"] = "\n".join(preamble)
        return body[body.index(line) :]

    # -- sections -------------------------------------------------------------------------

    def _heading(self, line: _Line, stack: list[_Node], scheme: str) -> tuple[int, str, str] | None:
        """(level, title, marker) when `line` opens a section (0) or a numbered part."""
        text = line.text
        if scheme == "roman" and (title := _section_title(line)) is not None:
            return 0, title, "section"
        if match := _DECIMAL.match(text):
            rest = (match.group(3) or "").strip()
            if match.group(2) or rest[:1].isupper():
                depth = (match.group(1) or "").count(".") + 1
                self._note_numbering(text)
                return (depth if scheme == "roman" else depth - 1), rest, "decimal"
        if match := _ITEM.match(text):
            rest = (match.group(2) or "").strip()
            if scheme == "arabic" and _is_upper(rest) and len(rest) <= 200:
                self._note_numbering(text)
                return 0, rest, "section"
            title = _item_title(line, rest)
            return (1, title, "item") if title is not None else None
        if (match := _POINT.match(text)) and (match.group(1) or "").islower():
            if "." in text[: match.start(2)]:
                self._note_numbering(text)
            numeric = _deepest(stack, ("section", "item", "decimal"))
            return numeric + 1, (match.group(2) or "").strip(), "point"
        if (match := _PAREN.match(text)) and (title := _item_title(line, match.group(2) or "")):
            # "1) …;" items of an enumeration stay paragraphs; "1) Title" is a heading.
            self._note_numbering(text)
            letter = _deepest(stack, ("point",), default=-1)
            base = letter if letter >= 0 else _deepest(stack, ("section", "item", "decimal"))
            return base + 1, title, "paren"
        return None

    def _note_numbering(self, text: str) -> None:
        if not self._numbering_noted:
            self._numbering_noted = True
            example = _short(text, 20)
            self.warn(
                f"Văn bản đánh số các mục theo kiểu khác (ví dụ “{example}”); đã chuyển sang cách "
                "đánh số I., 1., a) của Nghị định 30. Vui lòng kiểm tra cấp của các mục.",
                code="layout_numbering",
                text=text,
            )

    def _agency_heading(self, title: str, *, section_kind: str, strict: bool) -> list[str] | None:
        """[the heading as written] when the heading names agencies ("Sở Thông tin và Truyền
        thông", "Sở TT&TT, Báo Đồng Nai"); None otherwise. `strict` (unnumbered lines) also
        wants the heading to end with ":"."""
        if section_kind not in AGENCY_SECTION_KINDS:
            return None
        text = title.strip()
        name = text.rstrip(" :;.").strip()
        if not name or ":" in name or len(name.split()) > 15 or any(c.isdigit() for c in name):
            return None
        if strict and not text.endswith(":"):
            return None
        pieces = self.directory.split_detail(name)
        if pieces and all(found is not None for _, found in pieces):
            return [name]
        return [name] if _looks_like_agency(name) else None

    def _sections(self, body: list[_Line], scheme: str) -> None:
        sections: list[_Node] = []
        stack: list[_Node] = []
        open_task: _DashTask | None = None
        active_table: int | None = None
        table_base = 0
        for line in body:
            text = line.text
            key = line.table if (line.task_row or line.group) else None
            if key != active_table:
                if active_table is not None:
                    del stack[max(table_base, 1) :]
                active_table, table_base = key, len(stack)
            heading = None if (line.task_row or line.group) else self._heading(line, stack, scheme)
            if heading is not None and heading[0] == 0:
                title = heading[1]
                kind = next((k for word, k in SECTION_KINDS if word in fold(title)), "general")
                sections.append(_Node(0, title, kind, marker=heading[2]))
                stack = [sections[-1]]
                open_task = None
                continue
            if not stack:
                sections.append(_Node(0, "", marker="section"))
                stack = [sections[-1]]
                table_base = max(table_base, 1)
            section_kind = stack[0].kind
            if line.group:
                del stack[max(table_base, 1) :]
                if len(stack) <= MAX_DEPTH:
                    node = _Node(len(stack), text, marker="group")
                    node.agency = self._agency_heading(
                        text, section_kind=section_kind, strict=False
                    )
                    stack[-1].entries.append(node)
                    stack.append(node)
                else:
                    stack[-1].entries.append(_Para(text))
                open_task = None
                continue
            if line.task_row is not None:
                row = line.task_row
                fields = _Fields(
                    lead=[row.lead] if row.lead else [],
                    coordinating=[row.coordinating] if row.coordinating else [],
                    timeline=row.timeline,
                    budget_vnd=row.budget_vnd,
                    raw=list(row.raw),
                )
                task = _DashTask(text, list(row.description), fields, from_table=True)
                stack[-1].entries.append(task)
                open_task = None
                continue
            if heading is not None:
                level, title, marker = heading
                level = max(1, min(level, len(stack)))
                if level <= MAX_DEPTH:
                    del stack[level:]
                    fields = _Fields()
                    if section_kind in AGENCY_SECTION_KINDS:
                        title, inline = _inline_fields(title)
                        for segment in inline:
                            _parse_field(segment, fields, segment)
                    agency = self._agency_heading(title, section_kind=section_kind, strict=False)
                    if agency:
                        title = title.rstrip(" :").strip()
                    node = _Node(level, title, marker=marker, fields=fields, agency=agency)
                    stack[-1].entries.append(node)
                    stack.append(node)
                    open_task = None
                    continue
            current = stack[-1]
            bullet, rest = _split_bullet(text)
            if current.marker == "bullet" and bullet != "+" and not _is_field(rest):
                stack.pop()  # a "-" line or a plain line closes an agency's bullet group
                current = stack[-1]
                open_task = None
            probe = _Fields()
            if _parse_field(rest, probe, text):
                grouped = current.agency is not None
                if open_task is None and (bullet == "+" or grouped):
                    open_task = self._dash_task(current, any_bullet=grouped)
                target = open_task.fields if open_task is not None else current.fields
                _parse_field(rest, target, text)
                continue
            if (
                bullet != "+"
                and len(stack) <= MAX_DEPTH
                and (agency := self._agency_heading(rest, section_kind=section_kind, strict=True))
            ):
                node = _Node(len(stack), rest.rstrip(" :").strip(), marker="bullet", agency=agency)
                current.entries.append(node)
                stack.append(node)
                open_task = None
                continue
            if section_kind in AGENCY_SECTION_KINDS and (bullet or current.agency is not None):
                head, inline = _inline_fields(rest)
                if inline:
                    task = _DashTask(head, bullet=bullet)
                    for segment in inline:
                        _parse_field(segment, task.fields, segment)
                    current.entries.append(task)
                    open_task = task
                    continue
            open_task = None
            current.entries.append(_Para(text, bullet))
        self.content["sections"] = [self._block(node) for node in sections]
        self.content["reporting_deadlines"] = self._deadlines(sections)

    @staticmethod
    def _dash_task(node: _Node, *, any_bullet: bool = False) -> _DashTask | None:
        """Turn the last "- …" paragraph of `node` (and the plain paragraphs after it) into a task
        whose "+ Đơn vị chủ trì" lines follow; None if there is no such paragraph. Under an
        agency heading (`any_bullet`), the last paragraph of any kind is the task."""
        # Under an agency heading tasks are the lines with the first bullet used there.
        task_bullet = next(
            (e.bullet for e in node.entries if isinstance(e, _Para | _DashTask)), "-"
        )
        for index in range(len(node.entries) - 1, -1, -1):
            entry = node.entries[index]
            if not isinstance(entry, _Para):
                return None
            if any_bullet:
                if entry.bullet != task_bullet or entry.text.endswith(":"):
                    continue  # a detail line of the task above
            elif entry.bullet == "+":
                return None
            elif entry.bullet != "-":
                continue
            title = _split_bullet(entry.text)[1]
            description = [e.text for e in node.entries[index + 1 :]]
            task = _DashTask(title, description, bullet=entry.bullet)
            node.entries[index:] = [task]
            return task
        return None

    def _units(self, values: list[str]) -> list[dict[str, Any]]:
        units: list[dict[str, Any]] = []
        seen: set[Any] = set()
        for value in values:
            for written, found in self.directory.split_detail(value):
                name = found.name if found else written
                unit_id = found.unit_id if found else None
                key = unit_id if unit_id is not None else fold(name)
                if key in seen:
                    continue
                seen.add(key)
                units.append({"name": name, "unit_id": unit_id})
                self._unit_issue(written, found)
        return units

    def _unit_issue(self, written: str, found: UnitMatch | None) -> None:
        if found is None and written not in self._warned_units:
            self._warned_units.add(written)
            self.warn(
                f"Không tìm thấy đơn vị “{written}” trong danh mục; "
                "đã giữ nguyên tên như trong văn bản.",
                code="unit_unmatched",
                text=written,
            )
        elif found is not None and found.is_fuzzy and written not in self._warned_units:
            self._warned_units.add(written)
            self.warn(
                f"Tên đơn vị “{written}” được hiểu là “{found.name}” trong danh mục (gần đúng); "
                "vui lòng kiểm tra.",
                code="unit_fuzzy",
                text=written,
            )

    def _task(
        self,
        title: str,
        description: list[str],
        fields: _Fields,
        default_lead: list[str] | None = None,
        agency_title: str = "",
    ) -> dict[str, Any]:
        lead = fields.lead
        if not lead and default_lead:
            lead = default_lead
            self.warn(
                f"Các nhiệm vụ dưới “{_short(agency_title)}” được giao cho đơn vị này chủ trì "
                "(theo tiêu đề nhóm); vui lòng kiểm tra.",
                code="layout_agency",
                text=agency_title,
            )
        return {
            "title": title,
            "description": description,
            "lead_units": self._units(lead),
            "coordinating_units": self._units(fields.coordinating),
            "timeline": fields.timeline,
            "budget_vnd": fields.budget_vnd,
        }

    def _block(
        self, node: _Node, default_lead: list[str] | None = None, agency_title: str = ""
    ) -> dict[str, Any]:
        """A node as a content block; child nodes that carry fields become tasks.

        Under an agency heading every paragraph, "-" line and leaf point is one of its tasks,
        led by that agency unless the task names its own lead unit.

        Content keeps paragraphs, then children, then tasks. When numbered tasks and numbered
        sub-blocks alternate, each task is wrapped in an untitled block so that the numbering
        order of the document is kept (the renderer prints such a block as the task itself).
        """
        grouped = node.agency is not None
        if grouped:
            default_lead, agency_title = node.agency, node.title
        paragraphs: list[str] = []
        tasks: list[dict[str, Any]] = []
        numbered: list[tuple[str, dict[str, Any]]] = []
        last_task: dict[str, Any] | None = None
        # Under an agency heading, tasks are the lines with the first bullet used ("-" under
        # "1. Sở …", "+" under "- Sở …:"); "+" lines under "-" tasks describe them.
        task_bullet = next(
            (
                e.bullet
                for e in node.entries
                if isinstance(e, _DashTask) or (isinstance(e, _Para) and not e.text.endswith(":"))
            ),
            "",
        )
        for entry in node.entries:
            if isinstance(entry, _Para):
                details = entry.bullet == "+" and (not grouped or task_bullet != "+")
                if details and last_task is not None:
                    last_task["description"].append(entry.text)
                    continue
                if grouped and not entry.text.endswith(":"):
                    title = _split_bullet(entry.text)[1] or entry.text
                    last_task = self._task(title, [], _Fields(), default_lead, agency_title)
                    tasks.append(last_task)
                    continue
                if numbered or tasks:
                    self.warn(
                        f"Đoạn “{_short(entry.text)}” đứng sau các mục con; "
                        "đã chuyển lên trước các mục con.",
                        code="paragraph_moved",
                        text=entry.text,
                    )
                paragraphs.append(entry.text)
                last_task = None
            elif isinstance(entry, _DashTask):
                last_task = self._task(
                    entry.title, entry.description, entry.fields, default_lead, agency_title
                )
                tasks.append(last_task)
            else:
                last_task = None
                is_leaf = not any(isinstance(e, _Node) for e in entry.entries)
                has_tasks = any(isinstance(e, _DashTask) for e in entry.entries)
                if (
                    is_leaf
                    and entry.agency is None
                    and (
                        entry.fields
                        or (grouped and not has_tasks)
                        or (default_lead and not has_tasks and entry.marker != "group")
                    )
                ):
                    description = [e.text for e in entry.entries if isinstance(e, _Para)]
                    task = self._task(
                        entry.title, description, entry.fields, default_lead, agency_title
                    )
                    for sub in entry.entries:
                        if isinstance(sub, _DashTask):  # a dash task inside a task: keep its text
                            task["description"].extend(self._dash_task_text(sub))
                    numbered.append(("task", task))
                else:
                    numbered.append(("block", self._block(entry, default_lead, agency_title)))
        if node.fields:
            if grouped and not tasks and not numbered:
                # "1. Đài PTTH / - Thời gian: hằng tháng": the agency's own task.
                tasks.append(self._task(node.title, [], node.fields, default_lead, agency_title))
            else:
                self.warn(
                    f"Thông tin đơn vị, thời gian của mục “{_short(node.title)}” không gắn được "
                    "với nhiệm vụ nào; đã giữ dưới dạng đoạn văn.",
                    code="fields_unattached",
                    text=node.title,
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
                    day, month, year = (int(g or 0) for g in match.groups())
                    try:
                        due = dt.date(year, month, day).isoformat()
                    except ValueError:
                        due = ""
                        self.warn(
                            f"Hạn báo cáo “{match.group(0)}” không phải là ngày hợp lệ.",
                            code="deadline_invalid",
                        )
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
            if match := _RECIPIENTS.match(text):
                rest = (match.group(1) or "").strip()
                if not rest or _BULLET.match(rest):
                    self.source["labels"].append(text[: len(text) - len(rest)].strip())
                    state = "recipients"
                    if not rest:
                        continue
                    text = rest
            if state == "closing":
                if _AUTHORITY.match(text) and _is_upper(text):
                    state = "signature"
                else:
                    closing.append(text)
                    continue
            if state == "recipients":
                bullet, rest = _split_bullet(text)
                if match := _ARCHIVE.match(rest):
                    archive = (match.group(1) or "").strip().rstrip(" .;,")
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
        found = self.directory.lookup(name)
        if found:
            self._unit_issue(name, found)
            if all(u["unit_id"] != found.unit_id for u in recipients["units"]):
                recipients["units"].append({"name": found.name, "unit_id": found.unit_id})
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
                authority = f"{(match.group(1) or '').upper()}."
                rest = (match.group(2) or "").strip()
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


_TYPE_NAMES: dict[str, str] = {fold(name): name for name in DOC_TYPES_BY_NAME}


def _is_recipients_label(text: str) -> bool:
    match = _RECIPIENTS.match(text)
    if not match:
        return False
    rest = (match.group(1) or "").strip()
    return not rest or bool(_BULLET.match(rest))


def _scheme(body: list[_Line]) -> str:
    """ "roman" when sections are numbered I., II., …; "arabic" when they are "1. MỤC ĐÍCH"."""
    if any(_section_title(line) for line in body):
        return "roman"
    for line in body:
        match = _ITEM.match(line.text)
        if match and _is_upper(match.group(2) or "") and len(match.group(2) or "") <= 200:
            return "arabic"
    return "roman"


def _is_section_line(line: _Line, scheme: str) -> bool:
    if scheme == "roman":
        return _section_title(line) is not None
    match = _ITEM.match(line.text)
    return bool(match and _is_upper(match.group(2) or "") and len(match.group(2) or "") <= 200)


def _deepest(stack: list[_Node], markers: tuple[str, ...], default: int = 0) -> int:
    for index in range(len(stack) - 1, -1, -1):
        if stack[index].marker in markers:
            return index
    return default


def _read_number(text: str) -> tuple[str, str, str] | None:
    """ "Số: 262 /KH-UBND" → ("262", "KH-UBND", "KH-UBND"): the digits, the ký hiệu without
    spaces and with no "/" inside (ND30: "/" only between number and ký hiệu), and the ký hiệu
    as written (without spaces); they differ when it had to be corrected."""
    match = _NUMBER_LINE.match(text)
    if not match:
        return None
    written = re.sub(r"\s+", "", match.group(2) or "")
    symbol = written.replace("/", "").strip(".-")
    if not symbol or not re.fullmatch(r"[\wĐđ&.-]+", symbol):
        return None
    return match.group(1) or "", symbol, written


def _initials(name: str) -> str:
    """ "BỘ THÔNG TIN VÀ TRUYỀN THÔNG" → "BTTTT": the body's abbreviation in a ký hiệu."""
    out = []
    for word in re.findall(r"[^\W\d_]+", clean_text(name)):
        if fold(word) in _UNIT_STOPWORDS:
            continue
        first = word[0]
        out.append("Đ" if first in "Đđ" else _plain_char(first).upper())
    return "".join(out)


def _repair_symbol(symbol: str, written: str, senders: list[str], lines: Sequence[_Line]) -> str:
    """A ký hiệu with a stray "/" ("2905 /BT/TT-TTĐN"): the "/" stands for an unreadable letter
    when the sender's initials ("BTTTT"), or an abbreviation the document writes elsewhere, fit
    the pattern; otherwise the "/" is dropped."""
    head, dash, tail = written.partition("-")
    if "/" not in head:
        return symbol
    pattern = re.compile("".join("." if c == "/" else re.escape(c) for c in head))
    candidates = [_initials(" ".join(body_names(senders)[-1:]))] if senders else []
    for line in lines:
        candidates.extend(re.findall(r"\b[A-ZĐ&]{3,}\b", line.text))
    for candidate in candidates:
        if candidate and pattern.fullmatch(candidate):
            return f"{candidate}{dash}{tail.replace('/', '')}"
    return symbol


def _date_of(match: _Found) -> dt.date | None:
    day, month, year = match.group("day"), match.group("month"), match.group("year")
    if not (day and month and year):
        return None
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


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


# ---------------------------------------------------------------------------------------------
# A received letter (văn bản đến)


def import_letter_docx(data: bytes, *, max_bytes: int | None = None) -> LetterImportResult:
    """Read a received document (công văn or a typed document) from .docx bytes."""
    document = _open_docx(data, max_bytes=max_bytes)
    lines, _tables = _document_lines(document)
    return _LetterImporter(lines).run()


def body_names(lines: Sequence[str]) -> list[str]:
    """The names in the issuer box, a name wrapped over lines joined: ["BỘ THÔNG TIN", "VÀ
    TRUYỀN THÔNG"] → ["BỘ THÔNG TIN VÀ TRUYỀN THÔNG"]; ["UBND TỈNH ĐỒNG NAI", "SỞ TÀI CHÍNH"]
    stay two (parent body, then the issuing body)."""
    names: list[str] = []
    for line in lines:
        if names and not _BODY_KIND.match(line):
            names[-1] = f"{names[-1]} {line}"
        else:
            names.append(line)
    return names


_NAME_KIND = re.compile(
    r"^(ủy ban nhân dân|hội đồng nhân dân|ủy ban|tổng cục|chi cục|văn phòng|bộ chỉ huy|bộ|sở|"
    r"cục|vụ|ban|viện|trung tâm|đài|báo|công an|kho bạc|thanh tra)\s+(.*)$"
)
_NAME_PLACE = re.compile(r"^(tỉnh|thành phố|huyện|quận|thị xã|xã|phường)\s+(.*)$")


def proper_body_name(name: str) -> str:
    """A body's name as written in a sentence: "BỘ THÔNG TIN VÀ TRUYỀN THÔNG" → "Bộ Thông tin và
    Truyền thông"; "ỦY BAN NHÂN DÂN TỈNH ĐỒNG NAI" → "Ủy ban nhân dân tỉnh Đồng Nai". A name not
    in capitals is returned as it is."""
    text = clean_text(name)
    if not _is_upper(text):
        return text
    lower = text.lower()

    def capital(word: str) -> str:
        return word[:1].upper() + word[1:]

    match = _NAME_KIND.match(lower)
    if not match:
        return capital(lower)
    kind, rest = capital(match.group(1)), match.group(2)
    if place := _NAME_PLACE.match(rest):
        words = " ".join(capital(w) for w in place.group(2).split())
        return f"{kind} {place.group(1)} {words}"
    parts = re.split(r"(\s*,\s*|\s+và\s+|\s+-\s+|\s+–\s+)", rest)
    return f"{kind} " + "".join(p if i % 2 else capital(p) for i, p in enumerate(parts))


def _continues_subject(line: _Line, subject_line: _Line) -> bool:
    """A "V/v …" subject wraps onto lines in lower case, or onto the next lines of its cell."""
    same_cell = line.table is not None and (line.table, line.row, line.column) == (
        subject_line.table,
        subject_line.row,
        subject_line.column,
    )
    return same_cell or line.text[:1].islower()


class _LetterImporter:
    """One received document: header, subject, "Kính gửi", body, "Nơi nhận", signature."""

    def __init__(self, lines: list[_Line]) -> None:
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
        result.body = [line.text for line in _merge_continuations(lines[start:end])]
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
        if _lacks_diacritics(lines):
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
        kinh_gui = next(
            (i for i, line in enumerate(lines[:80]) if _KINH_GUI.match(line.text)), None
        )
        senders: list[str] = []
        subject: list[str] = []
        subject_line = _Line("")
        subject_open = False
        title_open = False
        index = 0
        limit = kinh_gui if kinh_gui is not None else len(lines)
        while index < limit:
            line = lines[index]
            text = line.text
            folded = fold(text)
            if folded in ("cong hoa xa hoi chu nghia viet nam", "doc lap tu do hanh phuc"):
                result.header_lines.append(text)
                subject_open = title_open = False
            elif not result.number_text and (number := _read_number(text)):
                digits, symbol, written = number
                corrected = symbol != written
                if corrected:
                    symbol = _repair_symbol(symbol, written, senders, lines)
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
                subject_open = title_open = False
            elif match := _PLACE_DATE.match(text):
                result.header_lines.append(text)
                result.place = (match.group("place") or "").strip()
                issued = _date_of(match)
                if issued:
                    result.date = issued.isoformat()
                else:
                    self.warn(f"Ngày ban hành “{text}” không hợp lệ.", code="date_invalid")
                subject_open = title_open = False
            elif match := _SUBJECT.match(text):
                subject = [text]
                subject_line = line
                subject_open, title_open = True, False
            elif (
                not line.in_table
                and _is_upper(text)
                and folded in _TYPE_NAMES
                and not result.subject
            ):
                result.doc_type = DOC_TYPES_BY_NAME[_TYPE_NAMES[folded]]
                result.header_lines.append(text)
                title_open, subject_open = True, False
            elif (
                (subject_open and not _is_upper(text) and _continues_subject(line, subject_line))
                or (title_open and (line.centered or line.bold))
                or (title_open and not subject and len(text) <= 250)
            ) and not _is_structural(text):
                subject.append(text)
            elif _is_upper(text) and not result.number_text and not subject:
                senders.append(text)
            elif kinh_gui is None and not line.in_table:
                break  # the body starts
            else:
                result.unplaced.append(text)
                subject_open = title_open = False
            index += 1
        result.subject = " ".join(subject).strip()
        names = body_names(senders)
        if names:
            result.sender = names[-1]
            result.parent_sender = " ".join(names[:-1])
        return index

    def _addressees(self, index: int) -> int:
        """ "Kính gửi: A" or "Kính gửi:" and one "- A;" line per addressee."""
        lines, result = self.lines, self.result
        if index >= len(lines) or not (match := _KINH_GUI.match(lines[index].text)):
            return index
        first = (match.group(1) or "").strip()
        if first:
            result.addressees.append(first.rstrip(" ;."))
        index += 1
        if first and not first.endswith(";"):
            return index
        while index < len(lines):
            bullet, rest = _split_bullet(lines[index].text)
            if not bullet or len(rest) > 200:
                break
            result.addressees.append(rest.rstrip(" ;."))
            index += 1
        return index

    def _footer_start(self, start: int) -> int:
        for index in range(start, len(self.lines)):
            text = self.lines[index].text
            if _is_recipients_label(text):
                return index
            if _AUTHORITY.match(text) and _is_upper(text) and not text.endswith((".", ";")):
                return index
        return len(self.lines)

    def _footer(self, lines: list[_Line]) -> None:
        result = self.result
        state = "signature"
        for line in lines:
            text = line.text
            if match := _RECIPIENTS.match(text):
                rest = (match.group(1) or "").strip()
                if not rest or _BULLET.match(rest):
                    result.header_lines.append(text[: len(text) - len(rest)].strip())
                    state = "recipients"
                    if not rest:
                        continue
                    text = rest
            if state == "recipients":
                bullet, rest = _split_bullet(text)
                if match := _ARCHIVE.match(rest):
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
            if not _is_upper(text) and len(text) <= 60 and not text.startswith("(")
        ]
        result.signer_name = names[-1] if names else ""
