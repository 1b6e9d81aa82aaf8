"""Unit names inside sentences: where "Sở Tài chính" starts and ends in "Sở Tài chính chủ trì,
phối hợp với …", what a heading such as "9. Đề nghị Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh" names,
and which sentences give work to a unit ("Giao Sở Tư pháp theo dõi …", "Sở Nội vụ có trách
nhiệm …", "Công an tỉnh: chủ động …").

A unit name starts with the word of a kind of body (Sở, Ban, Công an, Ủy ban nhân dân, Các sở,
…) and ends before the first word of its predicate: names of Vietnamese bodies capitalise only
their first syllables ("Sở Tài chính"), so the end is found from the verbs that follow a subject
in plans, not from capitals. Everything is compared on diacritics-folded text, so OCR text
without diacritics reads the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .text import Rx, clean_text, plain

#: The first words of a unit's name (plain text): one of these starts a unit.
_HEAD = (
    r"(?:so|ban|bao|dai|bo chi huy|bo doi bien phong|bo|cuc|chi cuc|tong cuc|trung tam|hiep hoi"
    r"|hoi|lien minh|lien hiep|lien doan|tinh doan|thanh doan|van phong|thanh tra|cong an"
    r"|kho bac|ngan hang|bao hiem xa hoi|nha xuat ban|vien kiem sat|vien|truong|toa an"
    r"|uy ban nhan dan|ubnd|uy ban mat tran|uy ban|mat tran|hoi dong nhan dan|hdnd|tinh uy"
    r"|thanh uy|huyen uy|dang uy|cac cap uy|cap uy|doan dai bieu|chi nhanh)"
)
#: A group of units: "Các sở, ban, ngành", "các cơ quan, đơn vị, địa phương", "UBND các xã".
_GROUP = (
    r"(?:cac|moi)\s+(?:so|ban|nganh|co quan|don vi|dia phuong|to chuc|doanh nghiep|co so|hoi"
    r"|cap uy|huyen|xa|phuong|thanh vien|chu dau tu|tap the|ca nhan)"
    r"|so,\s*ban,\s*nganh|so,\s*nganh"
)
_UNIT_START = Rx(rf"^(?:{_GROUP}|{_HEAD})\b")
#: A unit's name is capitalised after its kind ("Sở Y tế"), unless it is a group ("các sở").
_NAMED = Rx(rf"^(?:{_HEAD})\s+\S")

#: Words that start the predicate after a unit (plain text): the unit's name ends before them.
_PREDICATE = (
    "chu tri|phoi hop|co trach nhiem|chiu trach nhiem|theo doi|huong dan|to chuc|xay dung"
    "|trien khai|tham muu|chi dao|kiem tra|thuc hien|ra soat|can cu|don doc|bao cao|tang cuong"
    "|nghien cuu|bo tri|kien toan|de xuat|cung cap|tuyen truyen|tiep tuc|chu dong|dinh huong"
    "|tham dinh|phan bo|cap nhat|ban hanh|giam sat|day manh|quan triet|long ghep|ho tro"
    "|nang cao|bao dam|dam bao|van dong|tiep nhan|tien hanh|khan truong|thong nhat|la co quan"
    "|la don vi|duoc|uu tien|tong hop|phat dong|lua chon|thuong xuyen|nghiem tuc"
)
_PREDICATE_AT = re.compile(rf"(?:^|[\s,;])(?<!cac )(?<!moi )(?<!nhung )({_PREDICATE})\b")
#: Words after a kind of body that name a level, not a proper name: "Công an tỉnh", "UBND cấp xã".
_LEVEL = re.compile(r"^(?:tinh|thanh pho|huyen|quan|thi xa|xa|phuong|cap|cac|trung uong|khu vuc)\b")
#: The forms that give work to the unit before them.
_ASSIGNS = Rx(r"^\s*(?:chu tri|co trach nhiem|chiu trach nhiem)\b")
_GIVE = Rx(r"^\s*(?:giao|de nghi)\s*:?\s+")
_TITLE = Rx(r"^\s*(?:giam doc|thu truong|chu tich|nguoi dung dau)\s*:?\s*(?=\S)")
_COLON_LABEL = Rx(
    r"^(?:noi dung|nhiem vu|thoi gian|ket qua|san pham|muc tieu|yeu cau|doi tuong|pham vi"
    r"|hinh thuc|kinh phi|muc dich|chu de|tieu chi|nguon|thanh phan|dia diem|co quan|don vi)\b"
)
MAX_UNIT_WORDS = 40


def is_unit_phrase(text: str, *, strict: bool = True) -> bool:
    """ "Sở Tài chính", "Các sở, ban, ngành, đoàn thể cấp tỉnh và UBND các xã, phường", "Công an
    Thành phố": a name (or list of names) of units. `strict`: with no predicate in it (the
    text is the start of a sentence, not a heading or a label before ":")."""
    text = clean_text(text).strip(" :;,.")
    if not text or len(text.split()) > MAX_UNIT_WORDS or any(c.isdigit() for c in plain(text)):
        return False
    if not _UNIT_START.match(text) or _COLON_LABEL.match(text):
        return False
    if strict and _predicate(text) is not None:
        return False
    named = _NAMED.match(text)
    if named and not _is_group(text):
        rest = text[named.end() - 1 :]
        return rest[:1].isupper() or rest[:1].isdigit() or bool(_LEVEL.match(plain(rest)))
    return True


def _is_group(text: str) -> bool:
    return bool(Rx(rf"^(?:{_GROUP})\b").match(text))


def strip_request(text: str) -> str:
    """ "Đề nghị Ủy ban MTTQ tỉnh" → "Ủy ban MTTQ tỉnh"; "Giao Giám đốc Sở Y tế" → "Sở Y tế"."""
    text = clean_text(text)
    if found := _GIVE.match(text):
        text = text[found.end() :]
    if (found := _TITLE.match(text)) and _UNIT_START.match(text[found.end() :]):
        text = text[found.end() :]
    return text.strip(" :")


def agency_of_heading(title: str) -> str | None:
    """The unit a heading names, as written: "Sở Giáo dục và Đào tạo", "Đề nghị Ủy ban Mặt trận
    Tổ quốc Việt Nam tỉnh" → "Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh", "Sở Nông nghiệp và Môi
    trường chỉ đạo Chi cục … thực hiện các nội dung sau:" → "Sở Nông nghiệp và Môi trường";
    None for a heading that names no unit."""
    text = clean_text(title).strip()
    if not text:
        return None
    stripped = strip_request(text.rstrip(" :."))
    if is_unit_phrase(stripped, strict=not _is_group(stripped)) and not stripped.endswith("sau"):
        return stripped
    if text.endswith(":") and (subject := subject_unit(stripped)):
        return subject[0]
    return None


def _predicate(text: str) -> int | None:
    """Where the predicate after a unit starts: the first predicate word written in lower case
    ("Sở Xây dựng xây dựng kế hoạch": the second "xây dựng")."""
    for found in _PREDICATE_AT.finditer(plain(text)):
        start = found.start(1)
        after_comma = text[:start].rstrip().endswith(",")  # "các cơ quan, tổ chức khác": a noun
        if text[start].islower() and not after_comma:
            return start
    return None


def subject_unit(text: str) -> tuple[str, str] | None:
    """(unit, rest) when `text` opens with a unit followed by its predicate: "Sở Tư pháp theo
    dõi, đôn đốc …" → ("Sở Tư pháp", "theo dõi, đôn đốc …")."""
    start = _predicate(text)
    if start is None:
        return None
    unit = text[:start].strip(" ,;")
    if unit and is_unit_phrase(unit):
        return unit, text[start:].strip()
    return None


@dataclass(frozen=True)
class Assignment:
    unit: str
    work: str
    #: "Sở Tài chính: Căn cứ …": the work is what follows the colon; else the whole sentence.
    labelled: bool = False


def assignment(text: str) -> Assignment | None:
    """(unit, work) when a sentence gives work to a unit in so many words:

    - "Giao Sở Tư pháp theo dõi, đôn đốc …", "Giao Giám đốc Sở X căn cứ …";
    - "Sở Tài chính chủ trì, phối hợp …", "Sở Nội vụ có trách nhiệm / chịu trách nhiệm …";
    - "Sở Tài chính: Căn cứ khả năng …", "Đề nghị các cấp ủy Đảng, …: Phối hợp chặt chẽ …".

    Requests written as a sentence ("Đề nghị Ban Tuyên giáo chỉ đạo …") and descriptions ("Các
    cơ quan … xây dựng kế hoạch") are not assignments: the unit may not do as asked, or no one
    is named."""
    text = clean_text(text)
    head, colon, rest = text.partition(":")
    if colon and rest.strip() and len(head.split()) <= MAX_UNIT_WORDS:
        unit = strip_request(head)
        if _TITLE.match(unit + " x") and len(unit.split()) <= 3:  # "Giao Giám đốc: Sở A, Sở B …"
            found = subject_unit(rest.strip())
            return Assignment(*found) if found else None
        if is_unit_phrase(unit, strict=False) and not _COLON_LABEL.match(head):
            return Assignment(unit, rest.strip(), labelled=True)
    if Rx(r"^\s*giao\s*:?\s+").match(text):
        found = subject_unit(strip_request(text))
        return Assignment(*found) if found else None
    found = subject_unit(text)
    if found and _ASSIGNS.match(found[1]):
        return Assignment(*found)
    return None


def lead_of_value(value: str) -> list[str]:
    """The lead units a "Cơ quan thực hiện: …" value names. A value that is a list of names gives
    them all; a value written as sentences ("Sở Nội vụ chủ trì tham mưu …; Sở Tư pháp và các sở …
    chủ động tổ chức …") gives the unit that leads ("… chủ trì"), else the first sentence's."""
    parts = [p.strip(" .") for p in re.split(r"[;\n]+", value) if p.strip(" .")]
    subjects = [subject_unit(p) for p in parts]
    if not any(subjects):
        return parts
    leading = [s[0] for s in subjects if s and _ASSIGNS.match(s[1])]
    if leading:
        return leading[:1]
    first = next(s for s in subjects if s)
    return [first[0]]
