"""API of absences and stand-ins: list those I may see, record one, end one.

Thin: parse, call one service (workflows.services.absence_create hands the open tasks over;
agencies.services.absence_end), answer. Mounted under /api/v1/absences/.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies import services as agencies
from agencies.errors import InvalidInput
from agencies.models import Absence
from agencies.pagination import KeysetPagination
from agencies.parsers import StrictJSONParser
from agencies.selectors import absence_list_managed
from documents.api import ERRORS
from workflows import services

MAX_ID = 2**63 - 1


class AbsencePersonSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    full_name = serializers.CharField(source="display_name")
    position = serializers.CharField()


class AbsenceSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    person = AbsencePersonSerializer()
    stand_in = AbsencePersonSerializer()
    start_date = serializers.DateField()
    end_date = serializers.DateField(help_text="Ngày cuối cùng vắng mặt (tính cả ngày này).")
    reason = serializers.CharField()
    created_by = serializers.IntegerField(source="created_by_id")
    created_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(
        allow_null=True, help_text="Kết thúc sớm (hoặc hủy) lúc; null nếu chưa."
    )
    is_current = serializers.SerializerMethodField(
        help_text="Đang vắng mặt hôm nay: nhiệm vụ chuyển cho người thay mặt."
    )

    def get_is_current(self, absence: Absence) -> bool:
        return absence.is_current(timezone.localdate())


class AbsenceCreateSerializer(serializers.Serializer):
    person_id = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        help_text="Người vắng mặt; mặc định là tôi. Lãnh đạo đơn vị ghi cho người của đơn vị.",
    )
    stand_in_id = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        help_text="Người thay mặt: cùng đơn vị (Chủ tịch: một Phó Chủ tịch), không vắng mặt.",
    )
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    reason = serializers.CharField(max_length=255, help_text="Lý do: nghỉ phép, đi công tác…")


class AbsenceListView(APIView):
    parser_classes = [StrictJSONParser]
    pagination_class = KeysetPagination

    @extend_schema(
        responses={200: AbsenceSerializer(many=True), **ERRORS},
        summary="Lịch vắng mặt tôi xem được (của tôi, tôi thay mặt, của đơn vị tôi phụ trách)",
        tags=["absences"],
    )
    def get(self, request: Request) -> Response:
        paginator = KeysetPagination()
        page = paginator.paginate_queryset(absence_list_managed(user=request.user), request)
        return paginator.get_paginated_response(AbsenceSerializer(page, many=True).data)

    @extend_schema(
        request=AbsenceCreateSerializer,
        responses={201: AbsenceSerializer, **ERRORS},
        summary="Ghi nhận vắng mặt và người thay mặt trong một khoảng ngày",
        description=(
            "Trong thời gian vắng mặt, nhiệm vụ của người vắng mặt chuyển cho người thay mặt "
            "(kể cả nhiệm vụ đang mở khi bắt đầu vắng mặt); lịch sử ghi “X thay mặt Y”. Việc ký "
            "của Chủ tịch chuyển cho Phó Chủ tịch với khối chữ ký “KT. CHỦ TỊCH”. Từ chối: trùng "
            "lịch (409), người thay mặt không hợp lệ (400), không có quyền (403)."
        ),
        tags=["absences"],
    )
    def post(self, request: Request) -> Response:
        body = AbsenceCreateSerializer(data=request.data if isinstance(request.data, dict) else {})
        if not body.is_valid():
            raise InvalidInput(
                "Dữ liệu vắng mặt không hợp lệ: cần stand_in_id, start_date, end_date (YYYY-MM-DD)"
                " và reason."
            )
        data: dict[str, Any] = body.validated_data
        absence = services.absence_create(
            actor=request.user,
            person_id=data.get("person_id", request.user.pk),
            stand_in_id=data["stand_in_id"],
            start_date=data["start_date"],
            end_date=data["end_date"],
            reason=data["reason"],
        )
        return Response(AbsenceSerializer(absence).data, status=201)


class AbsenceEndView(APIView):
    @extend_schema(
        request=None,
        responses={200: AbsenceSerializer, **ERRORS},
        summary="Kết thúc vắng mặt (trở lại sớm, hoặc hủy lịch chưa bắt đầu)",
        tags=["absences"],
    )
    def post(self, request: Request, absence_id: int) -> Response:
        absence = agencies.absence_end(actor=request.user, absence_id=absence_id)
        return Response(AbsenceSerializer(absence).data)
