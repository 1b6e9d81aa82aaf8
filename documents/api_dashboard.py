"""API of the dashboard (tổng quan): the figures of the Văn phòng's or a unit head's dashboard,
and the plans behind each figure. Thin: parse, call documents.dashboard_selectors, answer.
Mounted at /api/v1/dashboard/.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.errors import PermissionDenied
from agencies.models import User
from agencies.pagination import KeysetPagination

from . import dashboard_selectors as dashboard
from .api import ERRORS, PlanListSerializer
from .models import Plan


class StageCountSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Plan.Status.choices)
    label = serializers.CharField()
    count = serializers.IntegerField()
    plans_url = serializers.CharField(help_text="Các văn bản đó: /api/v1/dashboard/plans/?…")


class StageDurationSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Plan.Status.choices)
    label = serializers.CharField()
    stays = serializers.IntegerField(help_text="Số lượt văn bản đã qua bước này.")
    average_days = serializers.FloatField(allow_null=True, help_text="Trung bình, ngày.")
    longest_days = serializers.FloatField(allow_null=True, help_text="Lâu nhất, ngày.")


class OverdueSerializer(serializers.Serializer):
    unit_id = serializers.IntegerField()
    unit_name = serializers.CharField()
    waiting = serializers.IntegerField(help_text="Chưa trả lời, đã quá hạn.")
    silent = serializers.IntegerField(help_text="Quá hạn không có ý kiến (xem như thống nhất).")
    late = serializers.IntegerField(help_text="Trả lời sau hạn.")
    total = serializers.IntegerField()
    plans_url = serializers.CharField()


class MonthSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    count = serializers.IntegerField()
    plans_url = serializers.CharField()


class DashboardSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(
        choices=["province", "unit"],
        help_text="province: Văn phòng, cả tỉnh (trừ dự thảo chưa trình); unit: đơn vị của "
        "lãnh đạo.",
    )
    unit_id = serializers.IntegerField(allow_null=True)
    unit_name = serializers.CharField()
    total = serializers.IntegerField()
    in_progress = serializers.IntegerField()
    issued_this_month = serializers.IntegerField()
    this_month = serializers.CharField(help_text="YYYY-MM")
    by_stage = StageCountSerializer(many=True)
    stage_durations = StageDurationSerializer(many=True)
    consultations_overdue = OverdueSerializer(many=True)
    issued_by_month = MonthSerializer(many=True)


class DashboardPlanSerializer(PlanListSerializer):
    may_open = serializers.BooleanField(
        help_text="Người dùng được mở văn bản này (GET /api/v1/documents/{id}/)."
    )

    class Meta(PlanListSerializer.Meta):
        fields = [*PlanListSerializer.Meta.fields, "may_open"]


def _scope(user: User) -> dashboard.Scope:
    scope = dashboard.dashboard_scope(user)
    if scope is None:
        raise PermissionDenied(
            "Chỉ Văn phòng UBND tỉnh và lãnh đạo đơn vị xem được trang tổng quan.",
            code="not_allowed",
        )
    return scope


def with_links(summary: dict[str, Any], base: str) -> dict[str, Any]:
    """The summary, each figure with the address of the plans it counts (`base` + filters)."""

    def link(**query: Any) -> str:
        return f"{base}?{urlencode(query)}"

    summary = dict(summary)
    summary["by_stage"] = [
        {**r, "plans_url": link(status=r["status"])} for r in summary["by_stage"]
    ]
    summary["consultations_overdue"] = [
        {**r, "plans_url": link(overdue_unit=r["unit_id"])}
        for r in summary["consultations_overdue"]
    ]
    summary["issued_by_month"] = [
        {**r, "plans_url": link(issued_month=r["month"])} for r in summary["issued_by_month"]
    ]
    return summary


class DashboardView(APIView):
    @extend_schema(
        responses={200: DashboardSerializer, **ERRORS},
        summary="Tổng quan: văn bản theo bước, thời gian mỗi bước, lấy ý kiến quá hạn, ban hành",
    )
    def get(self, request: Request) -> Response:
        scope = _scope(request.user)
        summary = with_links(dashboard.dashboard_summary(scope), reverse("api-dashboard-plans"))
        return Response(DashboardSerializer(summary).data)


class DashboardPlanListView(APIView):
    pagination_class = KeysetPagination

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "status", OpenApiTypes.STR, enum=Plan.Status.values, description="Trạng thái."
            ),
            OpenApiParameter(
                "overdue_unit",
                OpenApiTypes.INT,
                description="Có lượt lấy ý kiến quá hạn của đơn vị này (id).",
            ),
            OpenApiParameter(
                "issued_month", OpenApiTypes.STR, description="Ban hành trong tháng YYYY-MM."
            ),
            OpenApiParameter("before", OpenApiTypes.INT, description="Con trỏ trang (id)."),
            OpenApiParameter("limit", OpenApiTypes.INT, description="Số văn bản mỗi trang."),
        ],
        responses={200: DashboardPlanSerializer(many=True), **ERRORS},
        summary="Các văn bản sau một số liệu của trang tổng quan (mới nhất trước, từng trang)",
    )
    def get(self, request: Request) -> Response:
        scope = _scope(request.user)
        filters = dashboard.plan_filters_parse(request.query_params)
        paginator = KeysetPagination()
        plans = paginator.page(
            request,
            lambda before, limit: dashboard.dashboard_plan_page(
                user=request.user, scope=scope, filters=filters, before=before, limit=limit
            ),
        )
        return paginator.get_paginated_response(DashboardPlanSerializer(plans, many=True).data)
