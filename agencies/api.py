"""API: credentials (tokens, logout, socket tickets), who am I, and the directory of units."""

from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .errors import InvalidInput, TooManyRequests
from .models import ApiToken, Unit, User
from .security import cool_off_seconds, lockout_message
from .selectors import unit_list_active, user_list_people
from .services import (
    api_token_create,
    api_token_list,
    api_token_revoke,
    socket_ticket_issue,
)


class ErrorSerializer(serializers.Serializer):
    """Every refusal of the API: a stable code and a Vietnamese message."""

    error = serializers.CharField()
    detail = serializers.CharField()


AUTH_ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Dữ liệu không hợp lệ"),
    401: OpenApiResponse(ErrorSerializer, description="Chưa đăng nhập hoặc khóa không hợp lệ"),
    404: OpenApiResponse(ErrorSerializer, description="Không tìm thấy"),
    429: OpenApiResponse(ErrorSerializer, description="Tạm thời bị khóa đăng nhập"),
}


class UnitSerializer(serializers.ModelSerializer):
    class Meta:
        model = Unit
        fields = [
            "id",
            "code",
            "name",
            "short_name",
            "abbreviation",
            "kind",
            "exchange_code",
            "is_internal",
        ]


class MeSerializer(serializers.ModelSerializer):
    unit = UnitSerializer(read_only=True)
    role_display = serializers.CharField(source="get_role_display", read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "full_name", "role", "role_display", "position", "unit"]


class MeView(APIView):
    @extend_schema(responses=MeSerializer, summary="Người dùng hiện tại")
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)


class UnitListView(APIView):
    @extend_schema(responses=UnitSerializer(many=True), summary="Danh mục đơn vị")
    def get(self, request: Request) -> Response:
        return Response(UnitSerializer(unit_list_active(), many=True).data)


# ---------------------------------------------------------------------------------------------
# Credentials: tokens, logout, socket tickets


def client_address(request: Request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=1024, trim_whitespace=False)
    label = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="Tên gợi nhớ, ví dụ tên máy."
    )


class TokenSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    token = serializers.CharField(help_text="Chỉ hiện một lần; gửi trong `Authorization: Token …`.")
    expires_at = serializers.DateTimeField()


class TokenInfoSerializer(serializers.ModelSerializer):
    current = serializers.SerializerMethodField()

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "prefix",
            "label",
            "created_at",
            "expires_at",
            "last_used_at",
            "revoked_at",
            "current",
        ]

    def get_current(self, token: ApiToken) -> bool:
        return token == self.context.get("current")


class SocketTicketSerializer(serializers.Serializer):
    ticket = serializers.CharField(help_text="Mở /ws/notifications/?ticket=… một lần.")
    expires_at = serializers.DateTimeField()


class TokenObtainView(APIView):
    """Exchange a username and password for an API token (throttled: see agencies/security.py)."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: TokenSerializer, **AUTH_ERRORS},
        auth=[],
        summary="Đăng nhập API: nhận khóa truy cập (có thời hạn)",
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        body = TokenRequestSerializer(data=request.data)
        if not body.is_valid():
            raise InvalidInput(_("Vui lòng nhập tên đăng nhập và mật khẩu."))
        http_request = request._request  # axes marks a locked-out attempt on Django's request
        user = authenticate(
            request=http_request,
            username=body.validated_data["username"],
            password=body.validated_data["password"],
        )
        if getattr(http_request, "axes_locked_out", False):
            raise TooManyRequests(
                lockout_message(), retry_after=cool_off_seconds(), code="locked_out"
            )
        if user is None:
            raise InvalidInput(
                _("Tên đăng nhập hoặc mật khẩu không đúng."), code="invalid_credentials"
            )
        user_logged_in.send(sender=type(user), request=http_request, user=user)
        token, key = api_token_create(
            user=user,
            label=body.validated_data.get("label", ""),
            ip_address=client_address(request),
        )
        return Response({"id": token.pk, "token": key, "expires_at": token.expires_at})


class LogoutView(APIView):
    """Revoke the token this request was made with."""

    @extend_schema(
        request=None,
        responses={204: None, **AUTH_ERRORS},
        summary="Đăng xuất API: thu hồi khóa đang dùng",
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        if not isinstance(request.auth, ApiToken):
            raise InvalidInput(_("Yêu cầu này không dùng khóa truy cập API."), code="not_a_token")
        api_token_revoke(
            user=request.user, token_id=request.auth.pk, ip_address=client_address(request)
        )
        return Response(status=204)


class TokenListView(APIView):
    @extend_schema(
        responses={200: TokenInfoSerializer(many=True), **AUTH_ERRORS},
        summary="Các khóa truy cập của tôi",
        tags=["auth"],
    )
    def get(self, request: Request) -> Response:
        current = request.auth if isinstance(request.auth, ApiToken) else None
        tokens = api_token_list(user=request.user)
        return Response(TokenInfoSerializer(tokens, many=True, context={"current": current}).data)


class TokenRevokeView(APIView):
    @extend_schema(
        request=None,
        responses={200: TokenInfoSerializer, **AUTH_ERRORS},
        summary="Thu hồi một khóa truy cập của tôi",
        tags=["auth"],
    )
    def post(self, request: Request, token_id: int) -> Response:
        token = api_token_revoke(
            user=request.user, token_id=token_id, ip_address=client_address(request)
        )
        current = request.auth if isinstance(request.auth, ApiToken) else None
        return Response(TokenInfoSerializer(token, context={"current": current}).data)


class SocketTicketView(APIView):
    """A single-use ticket for /ws/notifications/?ticket=… (no long-lived secret in a URL)."""

    @extend_schema(
        request=None,
        responses={200: SocketTicketSerializer, **AUTH_ERRORS},
        summary="Vé mở kết nối WebSocket thông báo (dùng một lần)",
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        ticket, key = socket_ticket_issue(user=request.user)
        return Response({"ticket": key, "expires_at": ticket.expires_at})


class PersonSerializer(serializers.ModelSerializer):
    unit = UnitSerializer(read_only=True)
    role_display = serializers.CharField(source="get_role_display", read_only=True)

    class Meta:
        model = User
        fields = ["id", "full_name", "position", "role", "role_display", "unit"]


class PeopleQuerySerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=User.Role.choices, required=False, allow_blank=True)
    can_sign = serializers.BooleanField(
        required=False, help_text="Chỉ những người có thẩm quyền ký (Chủ tịch, Phó Chủ tịch)."
    )
    unit = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    q = serializers.CharField(required=False, max_length=100, help_text="Một phần họ tên.")
    limit = serializers.IntegerField(required=False, min_value=1, max_value=500, default=200)


class PeopleView(APIView):
    """Who is who: to choose a signer (`?can_sign=true`) or see who belongs to a unit."""

    @extend_schema(
        parameters=[PeopleQuerySerializer],
        responses={200: PersonSerializer(many=True), **AUTH_ERRORS},
        summary="Tra cứu cán bộ: người có thẩm quyền ký, người thuộc một đơn vị",
    )
    def get(self, request: Request) -> Response:
        query = PeopleQuerySerializer(data=request.query_params)
        if not query.is_valid():
            raise InvalidInput(_("Tham số tra cứu không hợp lệ."))
        params = query.validated_data
        role = User.Role.SIGNER if params.get("can_sign") else params.get("role", "")
        people = user_list_people(
            role=role,
            unit_id=params.get("unit"),
            query=params.get("q", "").strip(),
            limit=params["limit"],
        )
        return Response(PersonSerializer(people, many=True).data)
