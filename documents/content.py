"""The structured content of a document (Kế hoạch and the other types the system issues): typed,
validated, and stored as JSON.

Pure module: no models. `PlanContent.from_dict(data)` validates what comes from a form, the API or
an import and raises `ContentError` with a Vietnamese message naming the bad field.

Shape of a body: top-level sections (numbered I., II., …; "Điều 1., 2., …" in a Quyết định), each a
`Block` whose children are numbered 1., 2., … and whose grandchildren a), b), … đ) …; a block holds
paragraphs and tasks. Appendices (phụ lục) carry blocks of their own, numbered afresh.

Document types (`doc_type`) are the abbreviations of ND30 Phụ lục III, mục I, limited to what the
renderer lays out: the types of Mẫu 1.4 ("văn bản có tên loại": KH, BC, TTr, TB, CTr, HD, …),
Quyết định (QĐ, Mẫu 1.2/1.3) and Công văn (CV here; a công văn has no abbreviation in its number,
"Số: 12/UBND-VX", Mẫu 1.5). Every field added after the first version is optional, so content saved
earlier stays valid.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from agencies.validation import MAX_ID, text_problem

from .types import DECISION, LETTER, issuable_types

AUTHORITY_FORMS = ("", "TM.", "KT.", "Q.", "TL.", "TUQ.")
SECTION_KINDS = ("general", "purpose", "tasks", "budget", "implementation")
MAX_TEXT = 20_000
#: 10¹⁶ đồng: far beyond any province's whole budget; larger is a typing mistake.
MAX_BUDGET_VND = 10**16
MAX_ITEMS = 500
MAX_APPENDICES = 20
#: Lengths of the one-line marks of ô 11–13 (Phụ lục I, mục II.11–13).
MAX_CIRCULATION_NOTE = 60
MAX_DRAFTER_INITIALS = 10
MAX_COPIES = 1_000_000
MAX_CONTACT_LINE = 300

#: Type abbreviation → the name printed above the summary, for the types this system issues
#: (documents/types.py, the one table of types; a công văn prints no type name).
DOC_TYPES: dict[str, str] = {t.abbreviation: t.name for t in issuable_types()}

#: Urgency (độ khẩn, ô 10b) and its stamp's width in mm (the height is 8 mm): Phụ lục I, III.2.b.
URGENCY_LEVELS: dict[str, int] = {"": 0, "KHẨN": 20, "THƯỢNG KHẨN": 40, "HỎA TỐC": 30}
#: Secrecy (độ mật, ô 10a). The stamp follows the law on state secrets; ND30 gives no size. The
#: widths mirror the urgency stamps (20/30/40 × 8 mm, single rule). Not checked against the current
#: forms (TT 24/2020/TT-BCA); the repealed TT 33/2015/TT-BCA had "TUYỆT MẬT" at 40 × 8 mm.
SECRECY_LEVELS: dict[str, int] = {"": 0, "MẬT": 20, "TỐI MẬT": 30, "TUYỆT MẬT": 40}
#: Who issues: the collective body ("TM. ỦY BAN NHÂN DÂN") or its head as an individual (a
#: Quyết định of the Chủ tịch). "" means the default of the type (QĐ: individual, others: collective).
ISSUERS = ("", "collective", "individual")


class ContentError(ValueError):
    """Bad content: the message is for the user, in Vietnamese."""


def _text(
    data: dict[str, Any], key: str, *, required: bool = False, where: str = "", label: str = ""
) -> str:
    """The stripped NFC text at `key`; errors name `label` (Vietnamese words) or else the path."""
    value = data.get(key, "")
    if value is None:
        value = ""
    name = label or f"{where}{key}"
    if not isinstance(value, str):
        raise ContentError(f"Trường “{name}” phải là chuỗi ký tự.")
    if problem := text_problem(value):
        raise ContentError(f"Trường “{name}” {problem}.")
    value = unicodedata.normalize("NFC", value).strip()
    if required and not value:
        raise ContentError(f"Trường “{name}” không được để trống.")
    if len(value) > MAX_TEXT:
        raise ContentError(f"Trường “{name}” quá dài.")
    return value


def _list(
    data: dict[str, Any], key: str, where: str = "", *, label: str = "", limit: int = MAX_ITEMS
) -> list[Any]:
    name = label or f"{where}{key}"
    value = data.get(key) or []
    if not isinstance(value, list):
        raise ContentError(f"Trường “{name}” phải là một danh sách.")
    if len(value) > limit:
        raise ContentError(f"Trường “{name}” có quá nhiều phần tử.")
    return value


def _texts(data: dict[str, Any], key: str, where: str = "", *, label: str = "") -> list[str]:
    name = label or f"{where}{key}"
    out = []
    for i, item in enumerate(_list(data, key, where, label=label)):
        if not isinstance(item, str):
            raise ContentError(f"Phần tử {i + 1} của “{name}” phải là chuỗi ký tự.")
        if problem := text_problem(item):
            raise ContentError(f"Phần tử {i + 1} của “{name}” {problem}.")
        if len(item) > MAX_TEXT:
            raise ContentError(f"Phần tử {i + 1} của “{name}” quá dài.")
        item = unicodedata.normalize("NFC", item).strip()
        if item:
            out.append(item)
    return out


def _choice(
    data: dict[str, Any],
    key: str,
    choices: Any,
    *,
    label: str,
    aliases: dict[str, str] | None = None,
    shown: dict[str, str] | None = None,
) -> str:
    """One of `choices` (compared in upper case after NFC), or "" when absent. `shown` spells
    choices out in the error message."""
    value = _text(data, key, label=label)
    canonical = {c.upper(): c for c in choices}
    upper = value.upper()
    upper = (aliases or {}).get(upper, upper)
    if upper not in canonical:
        allowed = ", ".join((shown or {}).get(c, c) for c in choices if c)
        raise ContentError(f"{label} “{value}” không hợp lệ: chọn {allowed} hoặc để trống.")
    return canonical[upper]


def _line(data: dict[str, Any], key: str, *, label: str, limit: int) -> str:
    """A one-line text (inner whitespace, line breaks included, collapsed) of at most `limit`
    characters."""
    value = re.sub(r"\s+", " ", _text(data, key, label=label))
    if len(value) > limit:
        raise ContentError(f"Trường “{label}” quá dài (tối đa {limit} ký tự).")
    return value


def _copies(data: dict[str, Any]) -> int | None:
    """Ô 12: the number of copies issued, a whole number ≥ 1, or None when absent."""
    value = data.get("copies")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if value in ("", None) or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_COPIES:
        raise ContentError(
            f"Số lượng bản phát hành phải là số nguyên từ 1 đến {MAX_COPIES:,}".replace(",", ".")
            + " hoặc để trống."
        )
    return value


def _flag(data: dict[str, Any], key: str, *, default: bool) -> bool:
    value = data.get(key, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise ContentError(f"Trường “{key}” phải là true hoặc false.")
    return value


def _dict(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ContentError(f"“{where}” phải là một đối tượng.")
    return value


@dataclass(frozen=True)
class UnitRef:
    """A unit named in the plan: from the directory (`unit_id`) or as free text (`name` only)."""

    name: str
    unit_id: int | None = None

    @classmethod
    def from_dict(cls, data: Any, where: str) -> UnitRef:
        if isinstance(data, str):
            return cls(name=data.strip())
        data = _dict(data, where)
        unit_id = data.get("unit_id")
        if unit_id is not None and (
            not isinstance(unit_id, int) or isinstance(unit_id, bool) or not 1 <= unit_id <= MAX_ID
        ):
            raise ContentError(f"“{where}.unit_id” phải là mã số đơn vị (số nguyên dương).")
        return cls(name=_text(data, "name", required=True, where=f"{where}."), unit_id=unit_id)


@dataclass(frozen=True)
class Task:
    """A task (nhiệm vụ): what, by whom (chủ trì / phối hợp), when as written, an optional budget."""

    title: str
    description: list[str] = field(default_factory=list)
    lead_units: list[UnitRef] = field(default_factory=list)
    coordinating_units: list[UnitRef] = field(default_factory=list)
    timeline: str = ""
    budget_vnd: int | None = None
    #: Where the money comes from (nguồn kinh phí), as written: "Ngân sách tỉnh", "Xã hội hóa".
    budget_source: str = ""

    @classmethod
    def from_dict(cls, data: Any, where: str) -> Task:
        data = _dict(data, where)
        budget = data.get("budget_vnd")
        if budget in ("", None):
            budget = None
        elif isinstance(budget, bool) or not isinstance(budget, int) or budget < 0:
            raise ContentError(f"Dự toán kinh phí của “{where}” phải là số đồng không âm.")
        elif budget > MAX_BUDGET_VND:
            raise ContentError(f"Dự toán kinh phí của “{where}” quá lớn.")
        return cls(
            title=_text(data, "title", required=True, where=f"{where}."),
            description=_texts(data, "description", f"{where}."),
            lead_units=[
                UnitRef.from_dict(u, f"{where}.lead_units")
                for u in _list(data, "lead_units", f"{where}.")
            ],
            coordinating_units=[
                UnitRef.from_dict(u, f"{where}.coordinating_units")
                for u in _list(data, "coordinating_units", f"{where}.")
            ],
            timeline=_text(data, "timeline", where=f"{where}."),
            budget_vnd=budget,
            budget_source=_text(data, "budget_source", where=f"{where}."),
        )


@dataclass(frozen=True)
class Block:
    """A numbered part of the body: a section (I.), an item (1.) or a point (a))."""

    title: str = ""
    paragraphs: list[str] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    children: list[Block] = field(default_factory=list)
    kind: str = "general"

    @classmethod
    def from_dict(cls, data: Any, where: str, depth: int = 0) -> Block:
        data = _dict(data, where)
        if depth > 3:
            raise ContentError(f"“{where}” lồng quá nhiều cấp.")
        kind = data.get("kind") or "general"
        if kind not in SECTION_KINDS:
            raise ContentError(f"Loại mục “{kind}” của “{where}” không hợp lệ.")
        return cls(
            title=_text(data, "title", where=f"{where}."),
            paragraphs=_texts(data, "paragraphs", f"{where}."),
            tasks=[
                Task.from_dict(t, f"{where}.tasks[{i}]")
                for i, t in enumerate(_list(data, "tasks", f"{where}."))
            ],
            children=[
                Block.from_dict(c, f"{where}.children[{i}]", depth + 1)
                for i, c in enumerate(_list(data, "children", f"{where}."))
            ],
            kind=kind,
        )

    def all_tasks(self) -> list[Task]:
        out = list(self.tasks)
        for child in self.children:
            out.extend(child.all_tasks())
        return out


@dataclass(frozen=True)
class ReportingDeadline:
    """A reporting deadline of the implementation section, e.g. "trước ngày 15/11/2024"."""

    text: str
    due_date: str = ""  # ISO date, optional

    @classmethod
    def from_dict(cls, data: Any, where: str) -> ReportingDeadline:
        data = _dict(data, where)
        due = _text(data, "due_date", where=f"{where}.")
        if due and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", due):
            raise ContentError(f"Hạn báo cáo “{where}.due_date” phải có dạng YYYY-MM-DD.")
        return cls(text=_text(data, "text", required=True, where=f"{where}."), due_date=due)


@dataclass(frozen=True)
class Recipients:
    """Nơi nhận: units of the directory, free lines, and the "Lưu: VT, …" line."""

    units: list[UnitRef] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    archive: str = "Lưu: VT."

    @classmethod
    def from_dict(cls, data: Any) -> Recipients:
        data = _dict(data or {}, "recipients")
        archive = _text(data, "archive", where="recipients.") or "Lưu: VT."
        return cls(
            units=[
                UnitRef.from_dict(u, "recipients.units")
                for u in _list(data, "units", "recipients.")
            ],
            lines=_texts(data, "lines", "recipients."),
            archive=archive,
        )

    def unit_ids(self) -> list[int]:
        return [u.unit_id for u in self.units if u.unit_id is not None]


@dataclass(frozen=True)
class SignatureBlock:
    """Who signs and with which authority: "TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH / PHÓ CHỦ TỊCH"."""

    authority: str = "TM."
    collective: str = "ỦY BAN NHÂN DÂN"
    deputy_for: str = ""  # "CHỦ TỊCH" when a deputy signs (KT. CHỦ TỊCH)
    position: str = "CHỦ TỊCH"
    signer_name: str = ""
    signer_id: int | None = None
    #: Under TL.: the head of unit whose deputy signs for them, "TL. CHỦ TỊCH / KT. CHÁNH VĂN
    #: PHÒNG / PHÓ CHÁNH VĂN PHÒNG" (ND30 Điều 13.5). Left out of the content when empty.
    deputy_of: str = ""

    @classmethod
    def from_dict(cls, data: Any) -> SignatureBlock:
        data = _dict(data or {}, "signature")
        authority = _text(data, "authority", where="signature.")
        if authority not in AUTHORITY_FORMS:
            raise ContentError(
                "Thẩm quyền ký phải là một trong TM., KT., Q., TL., TUQ. hoặc để trống."
            )
        signer_id = data.get("signer_id")
        if signer_id is not None and (
            not isinstance(signer_id, int)
            or isinstance(signer_id, bool)
            or not 1 <= signer_id <= MAX_ID
        ):
            raise ContentError("“signature.signer_id” phải là số nguyên.")
        return cls(
            authority=authority,
            collective=_text(data, "collective", where="signature."),
            deputy_for=_text(data, "deputy_for", where="signature."),
            position=_text(data, "position", where="signature."),
            signer_name=_text(data, "signer_name", where="signature."),
            signer_id=signer_id,
            deputy_of=_text(data, "deputy_of", where="signature."),
        )

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        if not data["deputy_of"]:
            del data["deputy_of"]
        return data

    def lines(self, *, individual: bool = False) -> list[str]:
        """The upper-case lines above the signature, e.g. ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH",
        "PHÓ CHỦ TỊCH"].

        `individual`: the head of the body issues in their own name (a Quyết định of the Chủ tịch),
        so there is no "TM. <tập thể>" line: ["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"] or ["CHỦ TỊCH"].
        """
        out: list[str] = []
        if individual and self.authority in ("", "TM."):
            if self.deputy_for:
                out.append(f"KT. {self.deputy_for.upper()}")
        elif self.authority == "TM." and self.collective:
            out.append(f"TM. {self.collective.upper()}")
            if self.deputy_for:
                out.append(f"KT. {self.deputy_for.upper()}")
        elif self.authority in ("KT.", "Q.", "TL.", "TUQ.") and self.deputy_for:
            out.append(f"{self.authority} {self.deputy_for.upper()}")
            if self.authority == "TL." and self.deputy_of:
                out.append(f"KT. {self.deputy_of.upper()}")
        if self.position:
            out.append(self.position.upper())
        return out


class StandInSignatureRefused(ContentError):
    """The signature of this block cannot pass to a stand-in (ND30 Điều 13.4: TUQ.)."""


def stand_in_signature(
    block: SignatureBlock,
    *,
    absent_position: str,
    stand_in_position: str,
    stand_in_name: str,
    stand_in_id: int | None,
) -> SignatureBlock:
    """The signature block when a stand-in signs for an absent signer, per ND30 Điều 13.

    The stand-in never signs in the absent person's name: the block names the stand-in, with
    the authority their place gives them.

    - TM./KT. (a collective body, its head and deputies, Đ13.2): a deputy standing in for the
      Chủ tịch signs "TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH / PHÓ CHỦ TỊCH"; another deputy standing
      in for a deputy signs the same in their own name; the head standing in for a deputy signs
      "TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH".
    - TL. (Đ13.5: "Người được ký thừa lệnh được giao lại cho cấp phó ký thay"): the head of a
      unit signing "TL. CHỦ TỊCH / CHÁNH VĂN PHÒNG" passes it to their deputy as "TL. CHỦ TỊCH /
      KT. CHÁNH VĂN PHÒNG / PHÓ CHÁNH VĂN PHÒNG"; nobody but a deputy may take it.
    - TUQ. (Đ13.4: "Người được ký thừa ủy quyền không được ủy quyền lại cho người khác ký"):
      never passes; `StandInSignatureRefused`.
    """
    deputy = stand_in_position.strip().lower().startswith("phó")
    position = stand_in_position.strip().upper()
    named = {"position": position, "signer_name": stand_in_name, "signer_id": stand_in_id}
    if block.authority == "TUQ.":
        raise StandInSignatureRefused(
            "Văn bản ký thừa ủy quyền (TUQ.) không được giao lại cho người khác ký (Nghị định "
            "30/2020/NĐ-CP, Điều 13 khoản 4): người ủy quyền phải ký hoặc giao người ký khác."
        )
    if block.authority == "TL.":
        if block.deputy_of and not deputy:  # the head of the unit takes it back himself
            return dataclasses.replace(block, deputy_of="", **named)
        if not deputy:
            raise StandInSignatureRefused(
                "Văn bản ký thừa lệnh (TL.) chỉ được giao lại cho cấp phó của người ký thừa lệnh "
                "ký thay (Nghị định 30/2020/NĐ-CP, Điều 13 khoản 5)."
            )
        head = block.deputy_of or absent_position.strip().upper() or block.position
        return dataclasses.replace(block, deputy_of=head, **named)
    head = block.deputy_for or block.position or "CHỦ TỊCH"
    if not deputy:
        # The head signs in their own right: no "KT." line.
        authority = "TM." if block.authority in ("TM.", "KT.") and block.collective else ""
        return dataclasses.replace(block, authority=authority, deputy_for="", **named)
    authority = block.authority if block.authority in ("TM.", "KT.") else "KT."
    return dataclasses.replace(block, authority=authority, deputy_for=head.upper(), **named)


@dataclass(frozen=True)
class Appendix:
    """A phụ lục in the same file: its title and its own numbered sections (Mẫu 2.1)."""

    title: str
    sections: list[Block] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: Any, where: str, number: int) -> Appendix:
        data = _dict(data, f"Phụ lục {number}")
        return cls(
            title=_text(data, "title", required=True, label=f"Tên phụ lục {number}"),
            sections=[
                Block.from_dict(s, f"{where}.sections[{i}]")
                for i, s in enumerate(
                    _list(data, "sections", label=f"Các mục của phụ lục {number}")
                )
            ],
        )

    def all_tasks(self) -> list[Task]:
        out: list[Task] = []
        for section in self.sections:
            out.extend(section.all_tasks())
        return out


def _doc_type(data: dict[str, Any]) -> str:
    """The type abbreviation, spelt as in Phụ lục III whatever the case it was typed in."""
    value = _text(data, "doc_type", label="Loại văn bản") or "KH"
    canonical = {abbreviation.upper(): abbreviation for abbreviation in DOC_TYPES}
    if value.upper() not in canonical:
        allowed = ", ".join(
            f"{a} ({(name or 'CÔNG VĂN').capitalize()})" for a, name in DOC_TYPES.items()
        )
        raise ContentError(f"Loại văn bản “{value}” không hợp lệ. Chọn một trong: {allowed}.")
    return canonical[value.upper()]


@dataclass(frozen=True)
class PlanContent:
    """Everything a document says. The issuing body, number and date come from the document, not
    here. Named `PlanContent` because plans came first; it carries every type the system issues."""

    title: str
    year: int
    doc_type: str = "KH"
    place: str = ""
    legal_bases: list[str] = field(default_factory=list)
    preamble: str = ""
    sections: list[Block] = field(default_factory=list)
    closing: str = ""
    reporting_deadlines: list[ReportingDeadline] = field(default_factory=list)
    recipients: Recipients = field(default_factory=Recipients)
    signature: SignatureBlock = field(default_factory=SignatureBlock)
    #: Kính gửi (ô 9a): công văn, and tờ trình / báo cáo sent upwards.
    addressees: list[str] = field(default_factory=list)
    #: Độ khẩn (ô 10b): "", "KHẨN", "THƯỢNG KHẨN" or "HỎA TỐC".
    urgency: str = ""
    #: Độ mật (ô 10a): "", "MẬT", "TỐI MẬT" or "TUYỆT MẬT".
    secrecy: str = ""
    #: Quyết định: "Theo đề nghị của <proposer>." after the legal bases, e.g. "Giám đốc Sở Nội vụ".
    proposer: str = ""
    #: Quyết định: the authority line under the summary, e.g. "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH ĐỒNG
    #: NAI"; derived from the issuer and the signature when empty.
    issuing_authority: str = ""
    #: "collective" (TM. …), "individual" (the head, no TM.) or "" for the type's default.
    issued_by: str = ""
    #: Công văn: the drafting unit's (or subject's) abbreviation after the issuer's, "12/UBND-VX".
    drafting_unit_abbreviation: str = ""
    appendices: list[Appendix] = field(default_factory=list)
    #: Ô 11: a circulation note in a box at the top of page 1, e.g. "XEM XONG TRẢ LẠI".
    circulation_note: str = ""
    #: Ô 12: the drafter's initials and the number of copies issued, printed "PL.(300)".
    drafter_initials: str = ""
    copies: int | None = None
    #: Ô 13: address, phone, e-mail, website of the issuer, at the bottom of page 1 only.
    contact_line: str = ""
    #: Does carrying the plan out spend state budget? Without, the plan skips budget review
    #: (thẩm định kinh phí); Sở Tài chính can still be consulted as an agency.
    uses_state_budget: bool = True

    @classmethod
    def from_dict(cls, data: Any) -> PlanContent:
        data = _dict(data, "content")
        year = data.get("year")
        if isinstance(year, str) and year.strip().isdigit():
            year = int(year.strip())
        if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
            raise ContentError("Năm của kế hoạch phải là một năm từ 2000 đến 2100.")
        doc_type = _doc_type(data)
        unit = _text(data, "drafting_unit_abbreviation", label="Viết tắt đơn vị soạn thảo")
        if unit and not re.fullmatch(r"[A-ZĐa-zđ0-9]{1,12}", unit):
            raise ContentError(
                "Viết tắt đơn vị soạn thảo chỉ gồm chữ cái và chữ số, không dấu cách (ví dụ: VX)."
            )
        initials = _text(data, "drafter_initials", label="Ký hiệu người đánh máy")
        initials = initials.strip(" .")
        if initials and not re.fullmatch(rf"[^\W\d_]{{1,{MAX_DRAFTER_INITIALS}}}", initials):
            raise ContentError(
                "Ký hiệu người đánh máy chỉ gồm chữ cái viết tắt, không dấu cách, "
                f"tối đa {MAX_DRAFTER_INITIALS} chữ (ví dụ: PL)."
            )
        return cls(
            title=_text(data, "title", required=True),
            year=year,
            doc_type=doc_type,
            place=_text(data, "place"),
            legal_bases=_texts(data, "legal_bases"),
            preamble=_text(data, "preamble"),
            sections=[
                Block.from_dict(s, f"sections[{i}]") for i, s in enumerate(_list(data, "sections"))
            ],
            closing=_text(data, "closing"),
            reporting_deadlines=[
                ReportingDeadline.from_dict(d, f"reporting_deadlines[{i}]")
                for i, d in enumerate(_list(data, "reporting_deadlines"))
            ],
            recipients=Recipients.from_dict(data.get("recipients")),
            signature=SignatureBlock.from_dict(data.get("signature")),
            addressees=_texts(data, "addressees", label="Kính gửi"),
            urgency=_choice(
                data, "urgency", URGENCY_LEVELS, label="Độ khẩn", aliases={"HOẢ TỐC": "HỎA TỐC"}
            ),
            secrecy=_choice(data, "secrecy", SECRECY_LEVELS, label="Độ mật"),
            proposer=_text(data, "proposer", label="Người đề nghị (Theo đề nghị của)"),
            issuing_authority=_text(data, "issuing_authority", label="Thẩm quyền ban hành"),
            issued_by=_choice(
                data,
                "issued_by",
                ISSUERS,
                label="Hình thức ban hành",
                shown={
                    "collective": "collective (tập thể, ký TM.)",
                    "individual": "individual (người đứng đầu)",
                },
            ),
            drafting_unit_abbreviation=unit.upper(),
            appendices=[
                Appendix.from_dict(a, f"appendices[{i}]", i + 1)
                for i, a in enumerate(
                    _list(data, "appendices", label="Phụ lục", limit=MAX_APPENDICES)
                )
            ],
            circulation_note=_line(
                data,
                "circulation_note",
                label="Chỉ dẫn phạm vi lưu hành",
                limit=MAX_CIRCULATION_NOTE,
            ).upper(),
            drafter_initials=initials.upper(),
            copies=_copies(data),
            contact_line=_line(
                data, "contact_line", label="Thông tin liên hệ", limit=MAX_CONTACT_LINE
            ),
            uses_state_budget=_flag(data, "uses_state_budget", default=True),
        )

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["signature"] = self.signature.to_dict()
        _drop_empty_budget_sources(data)
        return data

    @property
    def is_letter(self) -> bool:
        """A công văn: no type name, "V/v …" under the number."""
        return self.doc_type == LETTER

    @property
    def is_decision(self) -> bool:
        return self.doc_type == DECISION

    @property
    def is_issued_by_individual(self) -> bool:
        """The head issues in their own name (no "TM."): a Quyết định unless set otherwise."""
        if self.issued_by:
            return self.issued_by == "individual"
        return self.is_decision

    def all_tasks(self) -> list[Task]:
        """Every task of the body, then those of the appendices (a plan often lists its tasks in
        an appendix table)."""
        out: list[Task] = []
        for section in self.sections:
            out.extend(section.all_tasks())
        for appendix in self.appendices:
            out.extend(appendix.all_tasks())
        return out

    def budget_total_vnd(self) -> int:
        return sum(t.budget_vnd or 0 for t in self.all_tasks())


def _drop_empty_budget_sources(data: Any) -> None:
    """Leave `budget_source` out of tasks without one, so that content stored before the field
    existed and content stored now read the same (and hash the same)."""
    if isinstance(data, dict):
        if data.get("budget_source") == "":
            del data["budget_source"]
        for value in data.values():
            _drop_empty_budget_sources(value)
    elif isinstance(data, list):
        for item in data:
            _drop_empty_budget_sources(item)


@dataclass(frozen=True)
class DocumentHeader:
    """What the document adds around the content: issuing body, number and date (after issuance)."""

    issuer_name: str  # "ỦY BAN NHÂN DÂN TỈNH ĐỒNG NAI"
    issuer_abbreviation: str  # "UBND"
    parent_name: str = ""
    number: int | None = None  # None until issued: rendered as a blank to fill in
    issued_on: Any = None  # datetime.date | None
    place: str = ""
    #: Sở Tài chính's approved review of the budget, line by line (documents.budget.ReviewedLine):
    #: the document shows the reviewed figures beside the original ones, and the totals.
    budget_review: tuple[Any, ...] = ()
