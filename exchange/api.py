"""API of the document exchange (edXML):

- `POST /api/v1/exchange/inbox/`: where peers deliver packages (documents and status messages),
  authenticated by the peer's shared secret (HMAC headers), not by a user's token;
- `POST /api/v1/exchange/incoming/{id}/status/`: a recipient's user reports what happens to a
  document received through the exchange (04 phân công, 05 đang xử lý, 06 hoàn thành).

Thin: parse, call one service, answer. Mounted by config/api_urls.py.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.api import ErrorSerializer
from agencies.errors import InvalidInput
from agencies.parsers import StrictJSONParser
from documents.selectors import plan_get_visible

from . import services
from .models import OutgoingPackage, StatusMessage
from .selectors import package_list_of_plan
from .transports import HEADER_PEER, HEADER_SIGNATURE, HEADER_TIMESTAMP


class EdxmlParser(BaseParser):
    """The request body as bytes, at most EXCHANGE_MAX_BYTES (read one byte more to tell)."""

    media_type = "application/xml"

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> bytes:
        if stream is None:
            return b""
        limit = settings.EXCHANGE_MAX_BYTES
        data = stream.read(limit + 1)
        if len(data) > limit:
            raise ParseError("Gói tin vượt quá dung lượng cho phép.")
        return bytes(data)


class InboxAnswerSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=["accepted", "duplicate"])
    message_id = serializers.CharField()
    arrival_number = serializers.IntegerField(allow_null=True)
    arrival_year = serializers.IntegerField(allow_null=True)
    unit = serializers.CharField(help_text="Mã định danh của đơn vị nhận.")


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


class InboxView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    parser_classes = [EdxmlParser]

    @extend_schema(
        request={"application/xml": OpenApiTypes.STR},
        parameters=[
            OpenApiParameter(
                HEADER_PEER,
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="Mã hệ thống gửi (EXCHANGE_SYSTEM_ID của bên gửi).",
            ),
            OpenApiParameter(
                HEADER_TIMESTAMP,
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="Thời điểm gửi, giây Unix; lệch quá EXCHANGE_CLOCK_SKEW_SECONDS "
                "thì bị từ chối.",
            ),
            OpenApiParameter(
                HEADER_SIGNATURE,
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="HMAC-SHA256 (hex) bằng khóa bí mật dùng chung của: mã hệ thống, "
                "xuống dòng, thời điểm, xuống dòng, SHA-256 (hex) của thân yêu cầu.",
            ),
        ],
        responses={
            200: InboxAnswerSerializer,
            400: _error("Gói tin hỏng hoặc không hợp lệ: từ chối, không vào sổ"),
            403: _error("Không xác thực được hệ thống gửi"),
            409: _error("Gói tin đã được tiếp nhận trước đó (trùng): không vào sổ lần nữa"),
            415: _error("Thân yêu cầu không phải application/xml"),
        },
        auth=[],
        summary="Nhận gói tin edXML (văn bản hoặc trạng thái) từ hệ thống liên thông",
        description=(
            "Gói tin văn bản (QCVN 102:2016/BTTTT) được kiểm tra cấu trúc, mã băm tệp đính kèm và "
            "chữ ký số của tệp PDF, rồi vào sổ văn bản đến của đơn vị nhận với số đến; bên gửi "
            "nhận lại các trạng thái 01 (đã đến) và 03 (đã tiếp nhận). Gói tin trạng thái về một "
            "văn bản đã gửi đi được ghi vào bảng nơi nhận của văn bản."
        ),
    )
    def post(self, request: Request) -> Response:
        body = request.data if isinstance(request.data, bytes) else b""
        peer = services.peer_authenticate(
            peer_code=request.headers.get(HEADER_PEER, ""),
            timestamp=request.headers.get(HEADER_TIMESTAMP, ""),
            signature=request.headers.get(HEADER_SIGNATURE, ""),
            body=body,
        )
        answer = services.inbox_receive(peer=peer, body=body)
        return Response(InboxAnswerSerializer(answer).data)


class StatusRequestSerializer(serializers.Serializer):
    code = serializers.ChoiceField(
        choices=list(services.STATUS_CHOICES_FOR_USERS.items()),
        help_text="04 phân công, 05 đang xử lý, 06 hoàn thành.",
    )
    description = serializers.CharField(required=False, allow_blank=True, max_length=1000)


class StatusSentSerializer(serializers.ModelSerializer):
    class Meta:
        model = OutgoingPackage
        fields = ["id", "message_id", "status_code", "state", "created_at"]


class IncomingStatusView(APIView):
    parser_classes = [StrictJSONParser]

    @extend_schema(
        request=StatusRequestSerializer,
        responses={
            201: StatusSentSerializer,
            400: _error("Dữ liệu không hợp lệ"),
            403: _error("Không phải đơn vị đã vào sổ văn bản"),
            404: _error("Không có văn bản đến này, hoặc không nhận qua trục liên thông"),
        },
        summary="Báo trạng thái xử lý văn bản nhận qua trục liên thông cho bên gửi",
    )
    def post(self, request: Request, incoming_id: int) -> Response:
        form = StatusRequestSerializer(data=request.data)
        if not form.is_valid():
            raise InvalidInput("Mã trạng thái phải là 04, 05 hoặc 06.")
        package = services.incoming_status_send(
            actor=request.user,
            incoming=services.incoming_get(incoming_id=incoming_id),
            code=form.validated_data["code"],
            description=form.validated_data.get("description", ""),
        )
        return Response(StatusSentSerializer(package).data, status=status.HTTP_201_CREATED)


class StatusMessageSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True)

    class Meta:
        model = StatusMessage
        fields = ["code", "label", "description", "staff", "department", "timestamp"]


class PackageSerializer(serializers.ModelSerializer):
    unit = serializers.IntegerField(source="unit_id", allow_null=True)
    unit_name = serializers.SerializerMethodField()
    exchange_code = serializers.SerializerMethodField()
    statuses = StatusMessageSerializer(many=True, read_only=True)

    class Meta:
        model = OutgoingPackage
        fields = [
            "id",
            "message_id",
            "unit",
            "unit_name",
            "exchange_code",
            "state",
            "attempts",
            "next_try",
            "last_error",
            "created_at",
            "delivered_at",
            "statuses",
        ]

    def get_unit_name(self, package: OutgoingPackage) -> str:
        return package.unit.name if package.unit else ""

    def get_exchange_code(self, package: OutgoingPackage) -> str:
        return package.unit.exchange_code if package.unit else ""


class DocumentExchangeView(APIView):
    @extend_schema(
        responses={
            200: PackageSerializer(many=True),
            403: _error("Không có quyền"),
            404: _error("Không tìm thấy"),
        },
        summary="Các gói tin edXML đã gửi của một văn bản, và trạng thái bên nhận báo về",
    )
    def get(self, request: Request, plan_id: int) -> Response:
        plan = plan_get_visible(user=request.user, plan_id=plan_id)
        return Response(PackageSerializer(package_list_of_plan(plan=plan), many=True).data)
