"""API of versions: list them, read one, compare two (JSON or .docx). Thin: parse, call, answer.

Every submission freezes the content as a numbered version (1, 2, …); `?from=2&to=4` compares
version 2 with version 4, and without parameters the previous version with the latest.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.errors import InvalidInput

from . import selectors
from .api import ERRORS
from .comparison import ADDED, CHANGED, DOCX_TYPE, REMOVED, comparison_to_docx
from .models import Plan, PlanVersion

KINDS = [ADDED, REMOVED, CHANGED]


# Wrapped in allOf so that drf-spectacular keeps the enum inline instead of naming a shared
# "KindEnum" component, which would clash with the other "kind" fields of the API (Unit, …).
@extend_schema_field(
    {"allOf": [{"type": "string", "enum": KINDS}], "description": "added | removed | changed"}
)
class ChangeKindField(serializers.ChoiceField):
    """The kind of a change: added, removed or changed."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=KINDS, **kwargs)


class VersionListItemSerializer(serializers.ModelSerializer):
    created_by_name = serializers.CharField(source="created_by.display_name")
    is_signed = serializers.SerializerMethodField()

    class Meta:
        model = PlanVersion
        fields = [
            "number",
            "reason",
            "content_sha256",
            "created_by",
            "created_by_name",
            "created_at",
            "is_signed",
        ]

    def get_is_signed(self, version: PlanVersion) -> bool:
        return version.pk == version.plan.signed_version_id


class VersionContentSerializer(VersionListItemSerializer):
    class Meta(VersionListItemSerializer.Meta):
        fields = [*VersionListItemSerializer.Meta.fields, "content"]


def _segments() -> serializers.ListField:
    return serializers.ListField(
        child=serializers.ListField(child=serializers.CharField(), min_length=2, max_length=2),
        help_text='Inline diff: ["equal" | "insert" | "delete", text] pairs, in order.',
    )


class TextChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField()
    old = serializers.CharField(allow_blank=True)
    new = serializers.CharField(allow_blank=True)
    segments = _segments()


class ItemChangeSerializer(serializers.Serializer):
    kind = ChangeKindField()
    old = serializers.CharField(allow_blank=True)
    new = serializers.CharField(allow_blank=True)
    segments = _segments()


class SectionChangeSerializer(serializers.Serializer):
    kind = ChangeKindField()
    path = serializers.CharField(help_text="Số mục trong phiên bản mới, ví dụ “II.3.b”.")
    old_path = serializers.CharField(allow_blank=True)
    title = serializers.CharField(allow_blank=True)
    title_change = TextChangeSerializer(allow_null=True)
    paragraphs = ItemChangeSerializer(many=True)


class TaskChangeSerializer(serializers.Serializer):
    kind = ChangeKindField()
    path = serializers.CharField()
    old_path = serializers.CharField(allow_blank=True)
    title = serializers.CharField()
    fields = TextChangeSerializer(
        many=True, help_text="Các trường thay đổi (hoặc toàn bộ, nếu thêm mới / bị xóa)."
    )


class RecipientChangesSerializer(serializers.Serializer):
    units_added = serializers.ListField(child=serializers.CharField())
    units_removed = serializers.ListField(child=serializers.CharField())
    lines_added = serializers.ListField(child=serializers.CharField())
    lines_removed = serializers.ListField(child=serializers.CharField())
    archive = TextChangeSerializer(allow_null=True)


class SummarySerializer(serializers.Serializer):
    fields = serializers.IntegerField()
    legal_bases = serializers.IntegerField()
    sections_added = serializers.IntegerField()
    sections_removed = serializers.IntegerField()
    paragraphs_added = serializers.IntegerField()
    paragraphs_removed = serializers.IntegerField()
    paragraphs_changed = serializers.IntegerField()
    tasks_added = serializers.IntegerField()
    tasks_removed = serializers.IntegerField()
    tasks_changed = serializers.IntegerField()
    reporting_deadlines = serializers.IntegerField()
    recipients_added = serializers.IntegerField()
    recipients_removed = serializers.IntegerField()
    archive_changed = serializers.IntegerField()
    total = serializers.IntegerField()


COMPARISON_RESPONSE = inline_serializer(
    "VersionComparison",
    {
        "document": serializers.IntegerField(),
        "from": serializers.IntegerField(),
        "to": serializers.IntegerField(),
        "fields": TextChangeSerializer(many=True),
        "legal_bases": ItemChangeSerializer(many=True),
        "sections": SectionChangeSerializer(many=True),
        "tasks": TaskChangeSerializer(many=True),
        "reporting_deadlines": ItemChangeSerializer(many=True),
        "recipients": RecipientChangesSerializer(),
        "summary": SummarySerializer(),
    },
)

PAIR_PARAMETERS = [
    OpenApiParameter(
        "from",
        OpenApiTypes.INT,
        OpenApiParameter.QUERY,
        description="Phiên bản cũ (mặc định: phiên bản liền trước “to”).",
    ),
    OpenApiParameter(
        "to",
        OpenApiTypes.INT,
        OpenApiParameter.QUERY,
        description="Phiên bản mới (mặc định: phiên bản mới nhất).",
    ),
]


def _number(request: Request, name: str) -> int | None:
    value = (request.query_params.get(name) or "").strip()
    if not value:
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 9 or int(value) < 1:
        raise InvalidInput(f"Tham số “{name}” phải là số phiên bản (số nguyên dương).")
    return int(value)


def _pair(request: Request, plan: Plan) -> tuple[int, int]:
    pair = selectors.version_pair(
        plan=plan, old_number=_number(request, "from"), new_number=_number(request, "to")
    )
    if pair is None:
        raise InvalidInput("Văn bản chưa có đủ hai phiên bản để so sánh.")
    return pair


class DocumentVersionListView(APIView):
    @extend_schema(
        responses={200: VersionListItemSerializer(many=True), **ERRORS},
        summary="Các phiên bản của văn bản",
        operation_id="documents_versions_list",
        tags=["documents"],
    )
    def get(self, request: Request, plan_id: int) -> Response:
        plan = selectors.plan_get_visible(user=request.user, plan_id=plan_id)
        versions = selectors.plan_version_list(plan=plan).select_related("plan")
        return Response(VersionListItemSerializer(versions, many=True).data)


class DocumentVersionDetailView(APIView):
    @extend_schema(
        responses={200: VersionContentSerializer, **ERRORS},
        summary="Nội dung một phiên bản",
        operation_id="documents_versions_retrieve",
        tags=["documents"],
    )
    def get(self, request: Request, plan_id: int, number: int) -> Response:
        plan = selectors.plan_get_visible(user=request.user, plan_id=plan_id)
        version = selectors.plan_version_get(plan=plan, number=number)
        return Response(VersionContentSerializer(version).data)


class DocumentCompareView(APIView):
    @extend_schema(
        parameters=PAIR_PARAMETERS,
        responses={200: COMPARISON_RESPONSE, **ERRORS},
        summary="So sánh hai phiên bản",
        operation_id="documents_compare",
        tags=["documents"],
    )
    def get(self, request: Request, plan_id: int) -> Response:
        plan = selectors.plan_get_visible(user=request.user, plan_id=plan_id)
        old_number, new_number = _pair(request, plan)
        comparison = selectors.version_compare(
            plan=plan, old_number=old_number, new_number=new_number
        )
        body: dict[str, Any] = {"document": plan.pk, "from": old_number, "to": new_number}
        return Response({**body, **comparison.to_dict()})


class DocumentCompareDocxView(APIView):
    @extend_schema(
        parameters=PAIR_PARAMETERS,
        responses={(200, DOCX_TYPE): OpenApiTypes.BINARY, **ERRORS},
        summary="Tải bản so sánh hai phiên bản (.docx)",
        operation_id="documents_compare_docx",
        tags=["documents"],
    )
    def get(self, request: Request, plan_id: int) -> HttpResponse:
        plan = selectors.plan_get_visible(user=request.user, plan_id=plan_id)
        old_number, new_number = _pair(request, plan)
        comparison = selectors.version_compare(
            plan=plan, old_number=old_number, new_number=new_number
        )
        data = comparison_to_docx(
            comparison,
            title=plan.title,
            old_label=f"phiên bản {old_number}",
            new_label=f"phiên bản {new_number}",
        )
        response = HttpResponse(data, content_type=DOCX_TYPE)
        response["Content-Disposition"] = (
            f'attachment; filename="so-sanh-ke-hoach-{plan.pk}-v{old_number}-v{new_number}.docx"'
        )
        return response
