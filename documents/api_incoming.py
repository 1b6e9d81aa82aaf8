"""API of incoming documents (văn bản đến): register from .docx or PDF (a scan is read by OCR),
list, read, download the file as it arrived, start a plan.

Thin: parse, call one service, answer. Mounted under /api/v1/incoming/ by config/api_urls.py.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.pagination import KeysetPagination
from agencies.parsers import StrictJSONParser

from . import selectors, services
from .api import ERRORS, PlanDetailSerializer, read_docx_upload
from .models import IncomingDocument


class IncomingSerializer(serializers.ModelSerializer):
    registered_by_name = serializers.CharField(source="registered_by.display_name")
    registering_unit_name = serializers.CharField(source="registering_unit.name")
    assigned_unit_name = serializers.SerializerMethodField()
    needs_review = serializers.BooleanField(read_only=True)
    plans = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    addressees = serializers.ListField(child=serializers.CharField(), help_text="Kính gửi.")
    body = serializers.ListField(child=serializers.CharField(), help_text="Các đoạn nội dung.")
    recipients = serializers.ListField(child=serializers.CharField(), help_text="Nơi nhận.")
    signature = serializers.ListField(child=serializers.CharField(), help_text="Khối chữ ký.")
    unplaced = serializers.ListField(child=serializers.CharField())
    warnings = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = IncomingDocument
        fields = [
            "id",
            "sender",
            "parent_sender",
            "number",
            "doc_type",
            "date",
            "place",
            "subject",
            "addressees",
            "body",
            "recipients",
            "archive",
            "signature",
            "signer_name",
            "unplaced",
            "warnings",
            "needs_review",
            "file_name",
            "file_sha256",
            "content_type",
            "arrival_number",
            "arrival_year",
            "reading",
            "signatures",
            "registered_by",
            "registered_by_name",
            "registering_unit",
            "registering_unit_name",
            "registered_at",
            "assigned_unit",
            "assigned_unit_name",
            "deadline",
            "plans",
        ]

    def get_assigned_unit_name(self, incoming: IncomingDocument) -> str:
        return incoming.assigned_unit.name if incoming.assigned_unit else ""


class IncomingListView(APIView):
    pagination_class = KeysetPagination
    parser_classes = [StrictJSONParser]

    @extend_schema(
        responses=IncomingSerializer(many=True),
        summary="Văn bản đến của đơn vị tôi (vào sổ hoặc được giao xử lý)",
    )
    def get(self, request: Request) -> Response:
        paginator = KeysetPagination()
        incoming = paginator.page(
            request,
            lambda before, limit: selectors.incoming_page_visible(
                user=request.user, before=before, limit=limit
            ),
        )
        return paginator.get_paginated_response(IncomingSerializer(incoming, many=True).data)


class IncomingImportView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={
            "multipart/form-data": inline_serializer(
                "IncomingImportRequest",
                {
                    "file": serializers.FileField(),
                    "assigned_unit": serializers.IntegerField(required=False),
                    "deadline": serializers.DateField(required=False),
                },
            )
        },
        responses={
            201: inline_serializer(
                "IncomingImportResult",
                {
                    "document": IncomingSerializer(),
                    "unplaced": serializers.ListField(child=serializers.CharField()),
                    "warnings": serializers.ListField(child=serializers.CharField()),
                    "needs_review": serializers.BooleanField(),
                },
            ),
            **ERRORS,
        },
        summary="Vào sổ văn bản đến từ tệp .docx hoặc PDF (bản quét được nhận dạng chữ)",
        description=(
            "Văn bản nhận số đến tiếp theo trong sổ văn bản đến của đơn vị (theo năm). Tệp được "
            "giữ nguyên như khi nhận; chữ ký số của PDF được kiểm tra khi vào sổ (`signatures`) "
            "và có thể kiểm tra lại từ tệp gốc (GET …/file/)."
        ),
    )
    def post(self, request: Request) -> Response:
        data = read_docx_upload(request)
        assigned = request.data.get("assigned_unit") or None
        incoming = services.incoming_import_file(
            actor=request.user,
            data=data,
            file_name=request.FILES["file"].name or "",
            assigned_unit_id=assigned,
            deadline=request.data.get("deadline") or None,
        )
        return Response(
            {
                "document": IncomingSerializer(incoming).data,
                "unplaced": incoming.unplaced,
                "warnings": incoming.warnings,
                "needs_review": incoming.needs_review,
            },
            status=status.HTTP_201_CREATED,
        )


class IncomingDetailView(APIView):
    @extend_schema(responses={200: IncomingSerializer, **ERRORS}, summary="Một văn bản đến")
    def get(self, request: Request, incoming_id: int) -> Response:
        incoming = selectors.incoming_get_visible(user=request.user, incoming_id=incoming_id)
        return Response(IncomingSerializer(incoming).data)


class IncomingFileView(APIView):
    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, **ERRORS},
        summary="Tệp gốc của văn bản đến, đúng như khi nhận (để kiểm tra chữ ký số)",
    )
    def get(self, request: Request, incoming_id: int) -> HttpResponse:
        incoming = selectors.incoming_get_visible(user=request.user, incoming_id=incoming_id)
        name, content_type, data = services.incoming_original(incoming=incoming)
        response = HttpResponse(data, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class IncomingStartPlanView(APIView):
    @extend_schema(
        request=None,
        responses={201: PlanDetailSerializer, **ERRORS},
        summary="Tạo dự thảo kế hoạch từ văn bản đến",
    )
    def post(self, request: Request, incoming_id: int) -> Response:
        incoming = selectors.incoming_get_visible(user=request.user, incoming_id=incoming_id)
        plan = services.plan_start_from_incoming(actor=request.user, incoming=incoming)
        data: dict[str, Any] = PlanDetailSerializer(plan).data
        return Response(data, status=status.HTTP_201_CREATED)
