"""API of documents: create, list, read, edit, import, download. Thin: parse, call, answer."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.api import ErrorSerializer
from agencies.errors import InvalidInput, NotFound
from agencies.pagination import KeysetPagination
from agencies.parsers import StrictJSONParser

from . import selectors, services
from .consolidation_selectors import version_consolidation_docx, version_consolidation_pdf
from .content import ContentError
from .content_schema import PlanContentSchema, RecipientsSchema
from .importing import max_import_bytes, too_large_message
from .models import ConsultationRequest, Plan, PlanEvent, PlanVersion, Receipt

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Dữ liệu không hợp lệ"),
    403: OpenApiResponse(ErrorSerializer, description="Không có quyền"),
    404: OpenApiResponse(ErrorSerializer, description="Không tìm thấy"),
    409: OpenApiResponse(ErrorSerializer, description="Sai trạng thái"),
}


class EventSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display")

    class Meta:
        model = PlanEvent
        fields = [
            "sequence",
            "kind",
            "kind_display",
            "actor",
            "actor_name",
            "from_status",
            "to_status",
            "comment",
            "data",
            "created_at",
            "hash",
        ]


class VersionSerializer(serializers.ModelSerializer):
    has_consolidation = serializers.SerializerMethodField(
        help_text=(
            "Phiên bản được trình sau khi tổng hợp ý kiến, kèm bảng tổng hợp, tiếp thu, giải "
            "trình ý kiến: versions/{number}/consolidation/docx/ và /pdf/."
        )
    )

    class Meta:
        model = PlanVersion
        fields = [
            "number",
            "reason",
            "content_sha256",
            "created_by",
            "created_at",
            "has_consolidation",
        ]

    def get_has_consolidation(self, version: PlanVersion) -> bool:
        return version.consolidation is not None


class BudgetLineSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Thứ tự nhiệm vụ trong mọi nhiệm vụ (từ 0).")
    title = serializers.CharField()
    lead_units = serializers.CharField()
    amount_vnd = serializers.IntegerField(help_text="Dự toán (đồng).")
    source = serializers.CharField(help_text="Nguồn kinh phí (có thể rỗng).")
    verdict = serializers.CharField(
        help_text="Ý kiến thẩm định đã duyệt: agree, adjust, question; rỗng khi chưa thẩm định."
    )
    adjusted_vnd = serializers.IntegerField(allow_null=True)
    reviewed_vnd = serializers.IntegerField(
        allow_null=True, help_text="Số sau thẩm định (null khi chưa thẩm định)."
    )
    reason = serializers.CharField()


class BudgetSerializer(serializers.Serializer):
    lines = BudgetLineSerializer(many=True)
    total_vnd = serializers.IntegerField()
    reviewed_total_vnd = serializers.IntegerField(allow_null=True)
    is_reviewed = serializers.BooleanField()


class ConsultationSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name")

    class Meta:
        model = ConsultationRequest
        fields = [
            "id",
            "round",
            "unit",
            "unit_name",
            "deadline",
            "verdict",
            "comment",
            "answered_by",
            "answered_at",
            "by_silence",
            "resolution",
            "resolution_note",
        ]


class ReceiptSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name")

    class Meta:
        model = Receipt
        fields = ["unit", "unit_name", "delivered_at", "acknowledged_by", "acknowledged_at"]


class PlanListSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display")

    class Meta:
        model = Plan
        fields = [
            "id",
            "title",
            "doc_type",
            "year",
            "status",
            "status_display",
            "version_number",
            "number",
            "issued_on",
            "drafting_unit",
            "drafter",
            "signer",
            "updated_at",
        ]


@extend_schema_field(PlanContentSchema)
class ContentField(serializers.JSONField):
    """A plan's content: JSON described by documents/content_schema.py."""


class PlanDetailSerializer(PlanListSerializer):
    number_text = serializers.SerializerMethodField()
    content = ContentField(read_only=True)
    versions = VersionSerializer(many=True, read_only=True)
    history = serializers.SerializerMethodField()
    consultations = serializers.SerializerMethodField()
    receipts = serializers.SerializerMethodField()
    recipients = serializers.SerializerMethodField()
    budget = serializers.SerializerMethodField()

    class Meta(PlanListSerializer.Meta):
        fields = [
            *PlanListSerializer.Meta.fields,
            "number_text",
            "content",
            "recipients",
            "versions",
            "consultations",
            "receipts",
            "budget",
            "history",
            "signed_pdf_sha256",
            "issued_pdf_sha256",
        ]

    def get_number_text(self, plan: Plan) -> str:
        return selectors.plan_number_text(plan)

    @extend_schema_field(EventSerializer(many=True))
    def get_history(self, plan: Plan) -> list[dict[str, Any]]:
        return EventSerializer(selectors.plan_event_list(plan=plan), many=True).data

    @extend_schema_field(ConsultationSerializer(many=True))
    def get_consultations(self, plan: Plan) -> list[dict[str, Any]]:
        return ConsultationSerializer(selectors.consultation_list(plan=plan), many=True).data

    @extend_schema_field(ReceiptSerializer(many=True))
    def get_receipts(self, plan: Plan) -> list[dict[str, Any]]:
        return ReceiptSerializer(selectors.receipt_list(plan=plan), many=True).data

    @extend_schema_field(BudgetSerializer(allow_null=True))
    def get_budget(self, plan: Plan) -> dict[str, Any] | None:
        """The budget lines and totals, with Sở Tài chính's reviewed figures once approved."""
        try:
            summary = selectors.plan_budget_summary(plan=plan)
        except ContentError:
            return None
        return BudgetSerializer(summary).data

    @extend_schema_field(RecipientsSchema)
    def get_recipients(self, plan: Plan) -> dict[str, Any]:
        return (plan.content or {}).get("recipients", {})


class ContentInputSerializer(serializers.Serializer):
    content = ContentField(help_text="Nội dung có cấu trúc (documents/content.py).")


class DocumentListView(APIView):
    parser_classes = [StrictJSONParser]
    pagination_class = KeysetPagination

    @extend_schema(
        responses=PlanListSerializer(many=True),
        summary="Văn bản tôi được xem (mới nhất trước, từng trang)",
    )
    def get(self, request: Request) -> Response:
        paginator = KeysetPagination()
        plans = paginator.page(
            request,
            lambda before, limit: selectors.plan_page_visible(
                user=request.user, before=before, limit=limit
            ),
        )
        return paginator.get_paginated_response(PlanListSerializer(plans, many=True).data)

    @extend_schema(
        request=ContentInputSerializer,
        responses={201: PlanDetailSerializer, **ERRORS},
        summary="Tạo dự thảo kế hoạch",
    )
    def post(self, request: Request) -> Response:
        content = request.data.get("content") if isinstance(request.data, dict) else None
        if content is None:
            raise InvalidInput("Thiếu trường “content”.")
        plan = services.plan_create(actor=request.user, content=content)
        return Response(PlanDetailSerializer(plan).data, status=status.HTTP_201_CREATED)


class DocumentDetailView(APIView):
    parser_classes = [StrictJSONParser]

    @extend_schema(responses={200: PlanDetailSerializer, **ERRORS}, summary="Một văn bản")
    def get(self, request: Request, plan_id: int) -> Response:
        plan = selectors.plan_get_visible(user=request.user, plan_id=plan_id)
        return Response(PlanDetailSerializer(plan).data)

    @extend_schema(
        request=ContentInputSerializer,
        responses={200: PlanDetailSerializer, **ERRORS},
        summary="Sửa nội dung dự thảo",
    )
    def put(self, request: Request, plan_id: int) -> Response:
        plan = selectors.plan_get_visible(user=request.user, plan_id=plan_id)
        content = request.data.get("content") if isinstance(request.data, dict) else None
        if content is None:
            raise InvalidInput("Thiếu trường “content”.")
        plan = services.plan_update_content(plan=plan, actor=request.user, content=content)
        return Response(PlanDetailSerializer(plan).data)


class DocumentDocxView(APIView):
    @extend_schema(
        responses={
            (
                200,
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ): OpenApiTypes.BINARY,
            **ERRORS,
        },
        summary="Tải .docx",
    )
    def get(self, request: Request, plan_id: int) -> HttpResponse:
        plan = selectors.plan_get_visible(user=request.user, plan_id=plan_id)
        response = HttpResponse(
            selectors.render_docx(plan=plan),
            content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        )
        response["Content-Disposition"] = f'attachment; filename="ke-hoach-{plan.pk}.docx"'
        return response


class DocumentPdfView(APIView):
    @extend_schema(
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, **ERRORS},
        summary="Tải PDF (bản đã phát hành, đã ký, hoặc dự thảo)",
    )
    def get(self, request: Request, plan_id: int) -> HttpResponse:
        plan = selectors.plan_get_visible(user=request.user, plan_id=plan_id)
        pdf, kind = selectors.plan_pdf(plan=plan)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="ke-hoach-{plan.pk}-{kind}.pdf"'
        return response


def _consolidated_version(request: Request, plan_id: int, number: int) -> PlanVersion:
    """The version `number` of a plan the user may see, if it carries a consolidation."""
    plan = selectors.plan_get_visible(user=request.user, plan_id=plan_id)
    version = selectors.plan_version_get(plan=plan, number=number)
    if version.consolidation is None:
        raise NotFound("Phiên bản này không kèm bảng tổng hợp ý kiến.")
    return version


class VersionConsolidationDocxView(APIView):
    @extend_schema(
        responses={
            (
                200,
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ): OpenApiTypes.BINARY,
            **ERRORS,
        },
        summary="Bảng tổng hợp, tiếp thu, giải trình ý kiến của một phiên bản (.docx)",
    )
    def get(self, request: Request, plan_id: int, number: int) -> HttpResponse:
        version = _consolidated_version(request, plan_id, number)
        response = HttpResponse(
            version_consolidation_docx(version=version),
            content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="tong-hop-y-kien-{plan_id}-v{number}.docx"'
        )
        return response


class VersionConsolidationPdfView(APIView):
    @extend_schema(
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, **ERRORS},
        summary="Bảng tổng hợp, tiếp thu, giải trình ý kiến của một phiên bản (PDF)",
    )
    def get(self, request: Request, plan_id: int, number: int) -> HttpResponse:
        version = _consolidated_version(request, plan_id, number)
        response = HttpResponse(
            version_consolidation_pdf(version=version), content_type="application/pdf"
        )
        response["Content-Disposition"] = (
            f'inline; filename="tong-hop-y-kien-{plan_id}-v{number}.pdf"'
        )
        return response


def read_docx_upload(request: Request) -> bytes:
    """The .docx or PDF of the multipart field `file`, refused before reading when over the
    limit."""
    upload = request.FILES.get("file")
    if upload is None:
        raise InvalidInput("Vui lòng chọn tệp .docx hoặc .pdf (trường “file”).")
    if upload.size > max_import_bytes():  # settings.IMPORT_MAX_BYTES
        raise InvalidInput(too_large_message())
    return upload.read()


class DocumentImportView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={
            "multipart/form-data": inline_serializer(
                "ImportRequest", {"file": serializers.FileField()}
            )
        },
        responses={
            201: inline_serializer(
                "ImportResult",
                {
                    "document": PlanDetailSerializer(),
                    "unplaced": serializers.ListField(
                        child=serializers.CharField(),
                        help_text="Các đoạn chưa xếp được vào mục nào (không mất đoạn nào).",
                    ),
                    "warnings": serializers.ListField(child=serializers.CharField()),
                    "needs_review": serializers.BooleanField(),
                    "issues": serializers.ListField(),
                    "pdf": serializers.DictField(allow_null=True),
                },
            ),
            **ERRORS,
        },
        summary="Nhập dự thảo từ tệp .docx hoặc PDF (bản quét được nhận dạng chữ, OCR)",
        description=(
            "Tệp Word (.docx) hoặc PDF. PDF có lớp chữ được đọc trực tiếp; PDF quét (chỉ có "
            "hình ảnh) được nhận dạng chữ bằng Tesseract (tiếng Việt), trong giới hạn số trang "
            "(IMPORT_PDF_MAX_PAGES) và thời gian (IMPORT_OCR_TIME_LIMIT); vượt giới hạn trả "
            "400 và không tạo gì. `pdf` cho biết số trang, các trang đã nhận dạng và thời gian."
        ),
    )
    def post(self, request: Request) -> Response:
        plan, result = services.plan_import_docx(actor=request.user, data=read_docx_upload(request))
        return Response(
            {
                "document": PlanDetailSerializer(plan).data,
                "unplaced": result.unplaced,
                "warnings": result.warnings,
                "needs_review": result.needs_review,
                "issues": result.issues,
                "pdf": result.source.get("pdf"),
            },
            status=status.HTTP_201_CREATED,
        )


class ReceiptAcknowledgeView(APIView):
    @extend_schema(
        request=None,
        responses={200: ReceiptSerializer, **ERRORS},
        summary="Xác nhận đã nhận văn bản",
    )
    def post(self, request: Request, plan_id: int) -> Response:
        plan = selectors.plan_get_visible(user=request.user, plan_id=plan_id)
        receipt = services.receipt_acknowledge(plan=plan, actor=request.user)
        return Response(ReceiptSerializer(receipt).data)
