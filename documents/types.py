"""The document types: one table for the whole system (Nghị định 30, Phụ lục III, mục I).

Each type says its abbreviation (ký hiệu in the number: "262/KH-UBND"), the name printed above
the summary, how it is laid out (`layout`: a "plan"-like văn bản có tên loại of Mẫu 1.4, a
"decision" of Mẫu 1.2/1.3, a "letter" — công văn — of Mẫu 1.5), the path it takes through the
steps (`path`, step codes of documents/steps.py; None: the system receives such documents but does
not issue them), and whether the importer reads a file of it as a draft (`importable`).

content.py (validation), rendering.py (names), the importer (recognising a type by its name) and
the editor (the type list) all read this table.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

#: Công văn: no type name and no type abbreviation in its number (ND30 Phụ lục I, II.3.b).
LETTER = "CV"
#: Quyết định (cá biệt), Mẫu 1.2/1.3 of Phụ lục III.
DECISION = "QĐ"

#: The paths through the steps (documents/steps.py). A step a plan does not need (budget review
#: of a plan without state budget; legal review nobody asked for) is skipped, and says so.
FULL_PATH = (
    "agency_review",
    "consultation",
    "budget_review",
    "legal_review",
    "vetting",
    "signature",
    "issuance",
)
#: Reports, submissions, notices: checked by the Văn phòng, no consultation, no budget.
REVIEWED_PATH = ("agency_review", "vetting", "signature", "issuance")
#: A công văn: the head of the drafting agency, then the signer, then the clerk.
LETTER_PATH = ("agency_review", "signature", "issuance")


@dataclass(frozen=True)
class DocumentType:
    abbreviation: str
    name: str  # printed above the summary, upper case; "" for a công văn
    label: Promise  # in lists and forms
    layout: str  # "plan" | "decision" | "letter"
    path: tuple[str, ...] | None
    importable: bool = True


TYPES: tuple[DocumentType, ...] = (
    DocumentType("KH", "KẾ HOẠCH", _("Kế hoạch"), "plan", FULL_PATH),
    DocumentType("BC", "BÁO CÁO", _("Báo cáo"), "plan", REVIEWED_PATH),
    DocumentType("TTr", "TỜ TRÌNH", _("Tờ trình"), "plan", REVIEWED_PATH),
    DocumentType("TB", "THÔNG BÁO", _("Thông báo"), "plan", REVIEWED_PATH),
    DocumentType("CTr", "CHƯƠNG TRÌNH", _("Chương trình"), "plan", FULL_PATH),
    DocumentType("HD", "HƯỚNG DẪN", _("Hướng dẫn"), "plan", FULL_PATH),
    DocumentType("PA", "PHƯƠNG ÁN", _("Phương án"), "plan", FULL_PATH),
    DocumentType("ĐA", "ĐỀ ÁN", _("Đề án"), "plan", FULL_PATH),
    DocumentType("DA", "DỰ ÁN", _("Dự án"), "plan", FULL_PATH),
    DocumentType("CT", "CHỈ THỊ", _("Chỉ thị"), "plan", FULL_PATH),
    DocumentType("QC", "QUY CHẾ", _("Quy chế"), "plan", FULL_PATH),
    DocumentType("QyĐ", "QUY ĐỊNH", _("Quy định"), "plan", FULL_PATH),
    DocumentType("TC", "THÔNG CÁO", _("Thông cáo"), "plan", REVIEWED_PATH),
    DocumentType(DECISION, "QUYẾT ĐỊNH", _("Quyết định"), "decision", FULL_PATH),
    DocumentType(LETTER, "", _("Công văn"), "letter", LETTER_PATH),
    # Received, never issued here (a resolution of the People's Council, e.g.).
    DocumentType("NQ", "NGHỊ QUYẾT", _("Nghị quyết"), "plan", None, importable=False),
)
TYPES_BY_ABBREVIATION: dict[str, DocumentType] = {t.abbreviation: t for t in TYPES}


def document_type(abbreviation: str) -> DocumentType:
    """The type of `abbreviation`; a plan's when unknown (stored content is validated before)."""
    return TYPES_BY_ABBREVIATION.get(abbreviation) or TYPES_BY_ABBREVIATION["KH"]


def issuable_types() -> tuple[DocumentType, ...]:
    """The types this system drafts and issues (those with a path)."""
    return tuple(t for t in TYPES if t.path is not None)
