"""API of the working-day calendar: read by anyone signed in, edited by staff.

Thin: parse, call one function of agencies.working_days, answer. Mounted under /api/v1/calendar/.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .api import ErrorSerializer
from .errors import InvalidInput
from .parsers import StrictJSONParser
from .working_days import (
    MAX_LIST_DAYS,
    DayInfo,
    calendar_day_delete,
    calendar_day_list,
    calendar_day_set,
    deadline_preview,
)

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Dữ liệu không hợp lệ"),
    403: OpenApiResponse(ErrorSerializer, description="Không có quyền"),
    404: OpenApiResponse(ErrorSerializer, description="Không tìm thấy"),
}
SOURCES = [
    DayInfo.Source.WEEKDAY,
    DayInfo.Source.WEEKEND,
    DayInfo.Source.HOLIDAY,
    DayInfo.Source.SWAPPED_WORKDAY,
    DayInfo.Source.OVERRIDE,
]


def parse_date(value: Any, *, label: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise InvalidInput(
            _("“%(label)s” phải là một ngày dạng YYYY-MM-DD.") % {"label": label},
            code="invalid_date",
        ) from exc


class DaySerializer(serializers.Serializer):
    date = serializers.DateField()
    is_working_day = serializers.BooleanField()
    source = serializers.ChoiceField(
        choices=SOURCES,
        help_text=(
            "weekday: ngày thường; weekend: nghỉ cuối tuần; holiday: ngày lễ, Tết theo Bộ luật "
            "Lao động; swapped_workday: ngày cuối tuần làm bù đã biết; override: điều chỉnh do "
            "quản trị viên nhập (nghỉ bù, làm bù theo quyết định của Chính phủ)."
        ),
    )
    reason = serializers.CharField(allow_blank=True)


class CalendarSerializer(serializers.Serializer):
    start = serializers.DateField(source="from_")
    end = serializers.DateField(source="to")
    working_days = serializers.IntegerField(help_text="Số ngày làm việc trong khoảng.")
    days = DaySerializer(many=True)


class CalendarDayRequestSerializer(serializers.Serializer):
    date = serializers.DateField()
    is_working_day = serializers.BooleanField(
        help_text="false: ngày nghỉ (nghỉ bù, nghỉ thêm); true: ngày làm việc (làm bù)."
    )
    reason = serializers.CharField(max_length=255, help_text="Ví dụ: Nghỉ bù theo Thông báo số …")


class CalendarDayResultSerializer(serializers.Serializer):
    date = serializers.DateField()
    is_working_day = serializers.BooleanField()
    reason = serializers.CharField()
    updated_at = serializers.DateTimeField()


class CalendarView(APIView):
    parser_classes = [StrictJSONParser]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "from", OpenApiTypes.DATE, description="Ngày đầu (mặc định: đầu tháng này)."
            ),
            OpenApiParameter(
                "to",
                OpenApiTypes.DATE,
                description=f"Ngày cuối, tính cả ngày này (mặc định: cuối tháng của ngày đầu; "
                f"tối đa {MAX_LIST_DAYS} ngày).",
            ),
        ],
        responses={200: CalendarSerializer, **ERRORS},
        summary="Lịch ngày làm việc: từng ngày, làm việc hay nghỉ, vì sao",
    )
    def get(self, request: Request) -> Response:
        today = timezone.localdate()
        raw_from = request.query_params.get("from")
        start = parse_date(raw_from, label="from") if raw_from else today.replace(day=1)
        raw_to = request.query_params.get("to")
        if raw_to:
            end = parse_date(raw_to, label="to")
        else:
            end = start.replace(day=calendar.monthrange(start.year, start.month)[1])
        days = calendar_day_list(start=start, end=end)
        data = {
            "from_": start,
            "to": end,
            "working_days": sum(1 for day in days if day.is_working_day),
            "days": days,
        }
        return Response(CalendarSerializer(data).data)

    @extend_schema(
        request=CalendarDayRequestSerializer,
        responses={200: CalendarDayResultSerializer, 201: CalendarDayResultSerializer, **ERRORS},
        summary="Ghi một ngày hoán đổi, nghỉ bù hoặc làm bù (quản trị viên)",
    )
    def post(self, request: Request) -> Response:
        body = request.data if isinstance(request.data, dict) else {}
        if "date" not in body:
            raise InvalidInput(_("Vui lòng nhập ngày (date)."), code="invalid_date")
        row, created = calendar_day_set(
            actor=request.user,
            day=parse_date(body.get("date"), label="date"),
            is_working_day=body.get("is_working_day"),
            reason=body.get("reason"),
        )
        return Response(
            CalendarDayResultSerializer(row).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class CalendarDayView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "day", OpenApiTypes.DATE, OpenApiParameter.PATH, description="YYYY-MM-DD"
            )
        ],
        responses={204: None, **ERRORS},
        summary="Bỏ điều chỉnh của một ngày (quản trị viên)",
    )
    def delete(self, request: Request, day: str) -> Response:
        calendar_day_delete(actor=request.user, day=parse_date(day, label="day"))
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeadlineSerializer(serializers.Serializer):
    date = serializers.DateField(help_text="Ngày làm việc cuối cùng của thời hạn.")
    deadline = serializers.DateTimeField(help_text="Hết ngày đó (23:59:59, giờ Việt Nam).")
    moved = serializers.BooleanField(help_text="Ngày hạn đã nhập rơi vào ngày nghỉ và được lùi.")
    label = serializers.CharField(help_text="Câu hiển thị cho người dùng, ví dụ “Hạn: 16/02/2027”.")


class CalendarDeadlineView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "working_days",
                OpenApiTypes.INT,
                description="Số ngày làm việc (1–250) kể từ `from`, không tính ngày `from`.",
            ),
            OpenApiParameter(
                "date",
                OpenApiTypes.DATE,
                description="Hoặc một ngày hạn: rơi vào ngày nghỉ thì lùi đến ngày làm việc kế tiếp.",
            ),
            OpenApiParameter(
                "from", OpenApiTypes.DATE, description="Ngày giao việc (mặc định: hôm nay)."
            ),
        ],
        responses={200: DeadlineSerializer, **ERRORS},
        summary="Tính hạn theo ngày làm việc (xem trước hạn góp ý)",
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        start = parse_date(params["from"], label="from") if params.get("from") else None
        day = parse_date(params["date"], label="date") if params.get("date") else None
        raw = params.get("working_days")
        working_days: int | None = None
        if raw not in (None, ""):
            try:
                working_days = int(str(raw))
            except ValueError as exc:
                raise InvalidInput(
                    _("“working_days” phải là số nguyên từ 1 đến 250."), code="invalid_period"
                ) from exc
        preview = deadline_preview(start=start, working_days=working_days, day=day)
        return Response(DeadlineSerializer(preview).data)
