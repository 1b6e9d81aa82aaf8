"""API of the outgoing registers (sổ văn bản đi): the registers, the entries of one, and the
number a signed document's issuance would take next.

Read only: numbers are taken by issuance (documents.services.plan_issue). Readers are the văn
thư who keeps the register, the Văn phòng and the leaders (selectors.REGISTER_READERS); the
number to come, the văn thư.
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.errors import NotFound, PermissionDenied
from agencies.pagination import KeysetPagination

from . import selectors
from .api import ERRORS
from .models import OutgoingRegister, Plan


def _ensure_reader(request: Request) -> None:
    if not selectors.register_readable_by(request.user):
        raise PermissionDenied(
            "Chỉ văn thư, Văn phòng và lãnh đạo được xem sổ văn bản đi.", code="not_a_reader"
        )


class RegisterSerializer(serializers.ModelSerializer):
    issuer_name = serializers.CharField(source="issuer.name")
    entries = serializers.SerializerMethodField(help_text="The register's entries (a list).")

    class Meta:
        model = OutgoingRegister
        fields = ["id", "issuer", "issuer_name", "year", "last_number", "entries"]

    def get_entries(self, register: OutgoingRegister) -> str:
        return reverse("api-register-entries", args=[register.pk])


class RegisterEntrySerializer(serializers.ModelSerializer):
    """One line of the register: number, date, kind and subject (trích yếu), who signed,
    the drafting unit, how many recipients."""

    number_text = serializers.SerializerMethodField()
    signer_name = serializers.SerializerMethodField()
    drafting_unit_name = serializers.CharField(source="drafting_unit.name")
    recipients = serializers.IntegerField(source="recipients_count")
    document = serializers.SerializerMethodField()

    class Meta:
        model = Plan
        fields = [
            "number",
            "number_text",
            "issued_on",
            "doc_type",
            "title",
            "signer_name",
            "drafting_unit_name",
            "recipients",
            "document",
        ]

    def get_number_text(self, plan: Plan) -> str:
        return selectors.plan_number_text(plan).removeprefix("Số: ")

    def get_signer_name(self, plan: Plan) -> str:
        return plan.signer.display_name if plan.signer else ""

    def get_document(self, plan: Plan) -> str:
        return reverse("api-document", args=[plan.pk])


class RegisterListView(APIView):
    pagination_class = KeysetPagination

    @extend_schema(
        responses={200: RegisterSerializer(many=True), **ERRORS},
        summary="Sổ văn bản đi (theo cơ quan ban hành và năm)",
    )
    def get(self, request: Request) -> Response:
        _ensure_reader(request)
        paginator = KeysetPagination()
        registers = paginator.paginate_queryset(selectors.register_list(), request)
        return paginator.get_paginated_response(RegisterSerializer(registers, many=True).data)


class RegisterEntryListView(APIView):
    pagination_class = KeysetPagination

    @extend_schema(
        responses={200: RegisterEntrySerializer(many=True), **ERRORS},
        summary="Các văn bản đã vào sổ văn bản đi (số lớn nhất trước; before= theo số)",
    )
    def get(self, request: Request, register_id: int) -> Response:
        _ensure_reader(request)
        register = OutgoingRegister.objects.filter(pk=register_id).first()
        if register is None:
            raise NotFound("Không tìm thấy sổ văn bản đi này.")
        paginator = KeysetPagination()
        entries = paginator.page(
            request,
            lambda before, limit: selectors.register_entry_page(
                issuer_id=register.issuer_id, year=register.year, before=before, limit=limit
            ),
            key=lambda plan: plan.number,
        )
        return paginator.get_paginated_response(RegisterEntrySerializer(entries, many=True).data)


class IssuePreviewSerializer(serializers.Serializer):
    """What issuing the document now would give; the number is not taken."""

    number = serializers.IntegerField(help_text="Số sẽ cấp (chưa lấy khỏi sổ).")
    number_text = serializers.CharField(help_text="“Số: 02/KH-UBND”.")
    issued_on = serializers.DateField(help_text="Ngày ban hành sẽ ghi.")
    date_text = serializers.CharField(help_text="“Đồng Nai, ngày 06 tháng 12 năm 2026”.")
    is_held = serializers.BooleanField(
        help_text="Số đã được giữ cho văn bản này ở lần phát hành trước (không đổi nữa)."
    )


class DocumentIssuePreviewView(APIView):
    @extend_schema(
        responses={200: IssuePreviewSerializer, **ERRORS},
        summary="Số và ngày sẽ cấp khi phát hành văn bản đã ký (không lấy số; cho văn thư)",
    )
    def get(self, request: Request, plan_id: int) -> Response:
        plan = selectors.plan_get_to_issue(user=request.user, plan_id=plan_id)
        response = Response(IssuePreviewSerializer(selectors.plan_issue_preview(plan=plan)).data)
        response["Cache-Control"] = "no-store"  # it changes as soon as another clerk issues
        return response
