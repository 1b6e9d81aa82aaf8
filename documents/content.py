"""The structured content of a plan (Kế hoạch): typed, validated, and stored as JSON.

Pure module: no models. `PlanContent.from_dict(data)` validates what comes from a form, the API or
an import and raises `ContentError` with a Vietnamese message naming the bad field.

Shape of a body: top-level sections (numbered I., II., …), each a `Block` whose children are
numbered 1., 2., … and whose grandchildren a), b), … đ) …; a block holds paragraphs and tasks.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

AUTHORITY_FORMS = ("", "TM.", "KT.", "Q.", "TL.", "TUQ.")
SECTION_KINDS = ("general", "purpose", "tasks", "budget", "implementation")
MAX_TEXT = 20_000
MAX_ITEMS = 500


class ContentError(ValueError):
    """Bad content: the message is for the user, in Vietnamese."""


def _text(data: dict[str, Any], key: str, *, required: bool = False, where: str = "") -> str:
    value = data.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ContentError(f"Trường “{where}{key}” phải là chuỗi ký tự.")
    value = value.strip()
    if required and not value:
        raise ContentError(f"Trường “{where}{key}” không được để trống.")
    if len(value) > MAX_TEXT:
        raise ContentError(f"Trường “{where}{key}” quá dài.")
    return value


def _list(data: dict[str, Any], key: str, where: str = "") -> list[Any]:
    value = data.get(key) or []
    if not isinstance(value, list):
        raise ContentError(f"Trường “{where}{key}” phải là một danh sách.")
    if len(value) > MAX_ITEMS:
        raise ContentError(f"Trường “{where}{key}” có quá nhiều phần tử.")
    return value


def _texts(data: dict[str, Any], key: str, where: str = "") -> list[str]:
    out = []
    for i, item in enumerate(_list(data, key, where)):
        if not isinstance(item, str):
            raise ContentError(f"Phần tử {i + 1} của “{where}{key}” phải là chuỗi ký tự.")
        if item.strip():
            out.append(item.strip())
    return out


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
        if unit_id is not None and (not isinstance(unit_id, int) or isinstance(unit_id, bool)):
            raise ContentError(f"“{where}.unit_id” phải là số nguyên.")
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

    @classmethod
    def from_dict(cls, data: Any, where: str) -> Task:
        data = _dict(data, where)
        budget = data.get("budget_vnd")
        if budget in ("", None):
            budget = None
        elif isinstance(budget, bool) or not isinstance(budget, int) or budget < 0:
            raise ContentError(f"Dự toán kinh phí của “{where}” phải là số đồng không âm.")
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
            not isinstance(signer_id, int) or isinstance(signer_id, bool)
        ):
            raise ContentError("“signature.signer_id” phải là số nguyên.")
        return cls(
            authority=authority,
            collective=_text(data, "collective", where="signature."),
            deputy_for=_text(data, "deputy_for", where="signature."),
            position=_text(data, "position", where="signature."),
            signer_name=_text(data, "signer_name", where="signature."),
            signer_id=signer_id,
        )

    def lines(self) -> list[str]:
        """The upper-case lines above the signature, e.g. ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH",
        "PHÓ CHỦ TỊCH"]."""
        out: list[str] = []
        if self.authority == "TM." and self.collective:
            out.append(f"TM. {self.collective.upper()}")
            if self.deputy_for:
                out.append(f"KT. {self.deputy_for.upper()}")
        elif self.authority in ("KT.", "Q.", "TL.", "TUQ.") and self.deputy_for:
            out.append(f"{self.authority} {self.deputy_for.upper()}")
        if self.position:
            out.append(self.position.upper())
        return out


@dataclass(frozen=True)
class PlanContent:
    """Everything a plan says. The issuing body, number and date come from the document, not here."""

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

    @classmethod
    def from_dict(cls, data: Any) -> PlanContent:
        data = _dict(data, "content")
        year = data.get("year")
        if isinstance(year, str) and year.strip().isdigit():
            year = int(year.strip())
        if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
            raise ContentError("Năm của kế hoạch phải là một năm từ 2000 đến 2100.")
        doc_type = _text(data, "doc_type") or "KH"
        if not re.fullmatch(r"[A-ZĐa-zđ]{1,6}", doc_type):
            raise ContentError("Loại văn bản không hợp lệ.")
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
        )

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def all_tasks(self) -> list[Task]:
        out: list[Task] = []
        for section in self.sections:
            out.extend(section.all_tasks())
        return out

    def budget_total_vnd(self) -> int:
        return sum(t.budget_vnd or 0 for t in self.all_tasks())


@dataclass(frozen=True)
class DocumentHeader:
    """What the document adds around the content: issuing body, number and date (after issuance)."""

    issuer_name: str  # "ỦY BAN NHÂN DÂN TỈNH ĐỒNG NAI"
    issuer_abbreviation: str  # "UBND"
    parent_name: str = ""
    number: int | None = None  # None until issued: rendered as a blank to fill in
    issued_on: Any = None  # datetime.date | None
    place: str = ""
