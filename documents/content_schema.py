"""The OpenAPI description of a plan's content (documents/content.py): what the API accepts in
`content` and returns. Serializers used only to describe the shape; `PlanContent.from_dict`
validates. A test holds the two together (tests/documents/test_content_schema.py)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from .content import (
    AUTHORITY_FORMS,
    DOC_TYPES,
    ISSUERS,
    MAX_APPENDICES,
    MAX_BUDGET_VND,
    MAX_CIRCULATION_NOTE,
    MAX_CONTACT_LINE,
    MAX_COPIES,
    MAX_ITEMS,
    MAX_TEXT,
    SECRECY_LEVELS,
    SECTION_KINDS,
    URGENCY_LEVELS,
)


def _text(help_text: str = "", max_length: int = MAX_TEXT) -> serializers.CharField:
    return serializers.CharField(
        required=False, allow_blank=True, max_length=max_length, help_text=help_text
    )


def _texts(help_text: str = "") -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=MAX_TEXT),
        required=False,
        max_length=MAX_ITEMS,
        help_text=help_text,
    )


@extend_schema_serializer(component_name="UnitRef")
class UnitRefSchema(serializers.Serializer):
    name = serializers.CharField(
        max_length=MAX_TEXT, help_text="Tên đơn vị như viết trong văn bản."
    )
    unit_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="Mã đơn vị trong danh mục (GET /api/v1/units/), nếu có.",
    )


@extend_schema_serializer(component_name="ContentTask")
class TaskSchema(serializers.Serializer):
    title = serializers.CharField(max_length=MAX_TEXT, help_text="Nhiệm vụ.")
    description = _texts("Các đoạn mô tả thêm.")
    lead_units = UnitRefSchema(many=True, required=False, help_text="Đơn vị chủ trì.")
    coordinating_units = UnitRefSchema(many=True, required=False, help_text="Đơn vị phối hợp.")
    timeline = _text("Thời gian thực hiện, như viết: “quý II/2024”, “01 số/quý”.")
    budget_vnd = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=MAX_BUDGET_VND,
        help_text="Dự toán kinh phí (đồng).",
    )
    budget_source = _text("Nguồn kinh phí, như viết: “Ngân sách tỉnh”, “Xã hội hóa”.")


@extend_schema_serializer(component_name="ContentBlock")
class BlockSchema(serializers.Serializer):
    """A numbered part: a section (I.), an item (1.) or a point (a)); at most four levels."""

    kind = serializers.ChoiceField(
        choices=list(SECTION_KINDS), required=False, help_text="Loại mục (mục I. của kế hoạch)."
    )
    title = _text("Tiêu đề mục.")
    paragraphs = _texts("Các đoạn văn.")
    tasks = TaskSchema(many=True, required=False)


# Children are blocks too: declared after the class exists, so the schema refers to itself.
BlockSchema._declared_fields["children"] = BlockSchema(many=True, required=False)


@extend_schema_serializer(component_name="ReportingDeadline")
class ReportingDeadlineSchema(serializers.Serializer):
    text = serializers.CharField(max_length=MAX_TEXT, help_text="“Báo cáo kết quả trước ngày …”.")
    due_date = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Ngày (YYYY-MM-DD), nếu có.",
        # A date, or "" (stored as "")
        max_length=10,
    )


@extend_schema_serializer(component_name="Recipients")
class RecipientsSchema(serializers.Serializer):
    units = UnitRefSchema(many=True, required=False, help_text="Đơn vị nhận trong danh mục.")
    lines = _texts("Nơi nhận khác, mỗi dòng một nơi.")
    archive = _text("“Lưu: VT, …”.")


@extend_schema_serializer(component_name="SignatureBlock")
class SignatureSchema(serializers.Serializer):
    authority = serializers.ChoiceField(
        choices=list(AUTHORITY_FORMS), required=False, help_text="TM., KT., Q., TL., TUQ."
    )
    collective = _text("Tập thể, sau “TM.”: “ỦY BAN NHÂN DÂN”.")
    deputy_for = _text("Ký thay cho: “CHỦ TỊCH”.")
    deputy_of = _text(
        "Dưới TL.: người đứng đầu đơn vị mà cấp phó ký thay: “TL. CHỦ TỊCH / KT. CHÁNH VĂN "
        "PHÒNG / PHÓ CHÁNH VĂN PHÒNG”."
    )
    position = _text("Chức vụ người ký.")
    signer_name = _text("Họ tên người ký.")
    signer_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="Người ký (GET /api/v1/people/?can_sign=true); khối chữ ký được suy ra từ người này.",
    )


@extend_schema_serializer(component_name="Appendix")
class AppendixSchema(serializers.Serializer):
    title = serializers.CharField(max_length=MAX_TEXT)
    sections = BlockSchema(many=True, required=False)


@extend_schema_serializer(component_name="PlanContent")
class PlanContentSchema(serializers.Serializer):
    """Everything a document says; the number, date and issuer come from the document."""

    title = serializers.CharField(max_length=MAX_TEXT, help_text="Trích yếu.")
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    doc_type = serializers.ChoiceField(
        choices=list(DOC_TYPES), required=False, help_text="Loại văn bản (ký hiệu)."
    )
    place = _text("Địa danh.")
    legal_bases = _texts("Căn cứ, mỗi căn cứ một phần tử.")
    preamble = _text("Câu dẫn: “Ủy ban nhân dân tỉnh ban hành Kế hoạch … như sau:”.")
    sections = BlockSchema(many=True, required=False)
    closing = _text("Đoạn kết.")
    reporting_deadlines = ReportingDeadlineSchema(many=True, required=False)
    recipients = RecipientsSchema(required=False, allow_null=True)
    signature = SignatureSchema(required=False, allow_null=True)
    addressees = _texts("Kính gửi (công văn, tờ trình, báo cáo).")
    urgency = serializers.ChoiceField(choices=list(URGENCY_LEVELS), required=False)
    secrecy = serializers.ChoiceField(choices=list(SECRECY_LEVELS), required=False)
    proposer = _text("Quyết định: “Theo đề nghị của …”.")
    issuing_authority = _text("Quyết định: dòng thẩm quyền ban hành.")
    issued_by = serializers.ChoiceField(choices=list(ISSUERS), required=False)
    drafting_unit_abbreviation = _text("Công văn: ký hiệu đơn vị soạn thảo (12/UBND-VX).")
    appendices = serializers.ListField(
        child=AppendixSchema(), required=False, max_length=MAX_APPENDICES
    )
    circulation_note = _text("Ô 11: chỉ dẫn phạm vi lưu hành.", max_length=MAX_CIRCULATION_NOTE)
    drafter_initials = _text("Ô 12: ký hiệu người đánh máy.")
    copies = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_COPIES
    )
    contact_line = _text("Ô 13: địa chỉ, điện thoại, thư điện tử.", max_length=MAX_CONTACT_LINE)
    uses_state_budget = serializers.BooleanField(
        required=False,
        allow_null=True,
        help_text="Dùng ngân sách nhà nước (mặc định: có). Không: bỏ qua bước thẩm định kinh phí.",
    )
