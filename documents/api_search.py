"""API of search: plans, issued documents and incoming documents the user may see.

Thin: parse, call documents.search.search, answer. Mounted at /api/v1/search/.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.errors import InvalidInput

from .api import ERRORS
from .models import Plan, SearchEntry
from .search import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    MAX_QUERY_LENGTH,
    SearchCursor,
    SearchFilters,
    search,
)


class SearchHitSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=SearchEntry.Kind.choices)
    plan_id = serializers.IntegerField(
        allow_null=True, help_text="Kế hoạch: /api/v1/documents/{id}/"
    )
    incoming_id = serializers.IntegerField(
        allow_null=True, help_text="Văn bản đến: /api/v1/incoming/{id}/"
    )
    doc_type = serializers.CharField(help_text="KH, QĐ, … ; rỗng với công văn.")
    title = serializers.CharField()
    title_html = serializers.CharField(
        help_text="Trích yếu đã thoát HTML, từ khớp trong <mark>…</mark>."
    )
    number = serializers.CharField(help_text="Số, ký hiệu, ví dụ 262/KH-UBND; rỗng nếu chưa có.")
    units = serializers.CharField(help_text="Các đơn vị, cách nhau bởi “; ”.")
    signer = serializers.CharField()
    date = serializers.DateField(
        allow_null=True, help_text="Ngày ban hành, ngày văn bản hoặc ngày tạo."
    )
    status = serializers.CharField(help_text="Trạng thái của kế hoạch; rỗng với văn bản đến.")
    snippet_html = serializers.CharField(
        help_text="Đoạn nội dung quanh từ khớp, đã thoát HTML, từ khớp trong <mark>…</mark>."
    )
    rank = serializers.FloatField(help_text="Mức liên quan (lớn hơn: liên quan hơn).")


class SearchPageSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    pages = serializers.IntegerField()
    next_cursor = serializers.CharField(
        help_text="Trang sau: gửi lại với ?after=<next_cursor>; rỗng ở trang cuối."
    )
    results = SearchHitSerializer(many=True)


def _date(value: str | None, label: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise InvalidInput(
            _("“%(label)s” phải là một ngày dạng YYYY-MM-DD.") % {"label": label},
            code="invalid_date",
        ) from exc


def _int(value: str | None, label: str, default: int) -> int:
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise InvalidInput(
            _("“%(label)s” phải là số nguyên.") % {"label": label}, code="invalid"
        ) from exc


def _text(value: str | None, label: str) -> str:
    value = value or ""
    if len(value) > MAX_QUERY_LENGTH or "\x00" in value:
        raise InvalidInput(
            _("“%(label)s” quá dài hoặc chứa ký tự không hợp lệ.") % {"label": label},
            code="invalid",
        )
    return value


class SearchView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "q",
                OpenApiTypes.STR,
                description="Từ khóa, có dấu hoặc không dấu (“ke hoach thong tin doi ngoai”).",
            ),
            OpenApiParameter(
                "kind",
                OpenApiTypes.STR,
                many=True,
                enum=SearchEntry.Kind.values,
                description="plan (dự thảo), issued (đã phát hành), incoming (văn bản đến); lặp lại để chọn nhiều.",
            ),
            OpenApiParameter("number", OpenApiTypes.STR, description="Số, ký hiệu, ví dụ 262/KH."),
            OpenApiParameter("unit", OpenApiTypes.STR, description="Tên đơn vị (một phần)."),
            OpenApiParameter("signer", OpenApiTypes.STR, description="Tên người ký (một phần)."),
            OpenApiParameter("date_from", OpenApiTypes.DATE, description="Từ ngày (tính cả)."),
            OpenApiParameter("date_to", OpenApiTypes.DATE, description="Đến ngày (tính cả)."),
            OpenApiParameter(
                "status",
                OpenApiTypes.STR,
                many=True,
                enum=Plan.Status.values,
                description="Kế hoạch ở trạng thái này (loại trừ văn bản đến); lặp lại để chọn nhiều.",
            ),
            OpenApiParameter(
                "doc_type",
                OpenApiTypes.STR,
                many=True,
                description="Loại văn bản: KH, QĐ, CV…; lặp lại để chọn nhiều.",
            ),
            OpenApiParameter(
                "after",
                OpenApiTypes.STR,
                description="Con trỏ trang (next_cursor của trang trước): phân trang theo khóa.",
            ),
            OpenApiParameter("page", OpenApiTypes.INT, description="Trang, từ 1."),
            OpenApiParameter(
                "page_size",
                OpenApiTypes.INT,
                description=f"Số kết quả mỗi trang, 1–{MAX_PAGE_SIZE} (mặc định {DEFAULT_PAGE_SIZE}).",
            ),
        ],
        responses={200: SearchPageSerializer, **ERRORS},
        summary="Tìm kiếm kế hoạch, văn bản đã phát hành và văn bản đến",
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        filters = SearchFilters(
            number=_text(params.get("number"), "number"),
            unit=_text(params.get("unit"), "unit"),
            signer=_text(params.get("signer"), "signer"),
            date_from=_date(params.get("date_from"), "date_from"),
            date_to=_date(params.get("date_to"), "date_to"),
            kinds=tuple(k for k in params.getlist("kind") if k),
            statuses=tuple(s for s in params.getlist("status") if s),
            doc_types=tuple(_text(t, "doc_type") for t in params.getlist("doc_type") if t),
        )
        page = search(
            user=request.user,
            query=_text(params.get("q"), "q"),
            filters=filters,
            page=_int(params.get("page"), "page", 1),
            page_size=_int(params.get("page_size"), "page_size", DEFAULT_PAGE_SIZE),
            after=SearchCursor.parse(_text(params.get("after"), "after")),
        )
        data = {
            "total": page.total,
            "page": page.page,
            "page_size": page.page_size,
            "pages": page.pages,
            "next_cursor": page.next_cursor,
            "results": page.results,
        }
        return Response(SearchPageSerializer(data).data)
