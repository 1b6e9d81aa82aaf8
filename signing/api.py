"""API of signing devices, signature images and trust roots. Thin: parse, call one service, answer.

The browser's signing page and any client that holds its own key use the same endpoints:

1. `POST signing/challenge/` → a nonce; the key signs it (ECDSA-SHA256, r‖s);
2. `POST signing/devices/` with the SPKI, the nonce and the proof → the device and its certificate;
   or, for a USB token (through the signing agent), `POST signing/devices/token/` with the
   token's certificate (from an external CA), its chain, the nonce and the token's signature over
   SHA-256(nonce) → the device, "active" or "pending" a staff member's confirmation
   (`POST signing/devices/{id}/confirm/`);
3. `POST documents/{id}/sign/prepare/` (web.api_signing) → what to sign (for a token: a
   SHA-256 digest);
4. `POST tasks/{id}/complete/` with action "sign" and {"session_id", "signature"}.
"""

from __future__ import annotations

import base64
from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.api import ErrorSerializer
from agencies.errors import InvalidInput, NotFound
from agencies.parsers import StrictJSONParser

from . import services
from .models import SigningDevice, TrustRoot
from .services import crl_pem, trust_pem

ERRORS = {
    code: OpenApiResponse(ErrorSerializer, description=description)
    for code, description in (
        (400, "Dữ liệu không hợp lệ"),
        (403, "Không có quyền"),
        (404, "Không tìm thấy"),
        (409, "Sai trạng thái"),
    )
}


def _body(request: Request) -> dict[str, Any]:
    if not isinstance(request.data, dict):
        raise InvalidInput("Nội dung yêu cầu phải là một đối tượng JSON.")
    return request.data


class ChallengeSerializer(serializers.Serializer):
    nonce = serializers.CharField(help_text="32 byte ngẫu nhiên (base64); dùng một lần, 5 phút")
    expires_at = serializers.DateTimeField()


class DeviceSerializer(serializers.ModelSerializer):
    class Meta:
        model = SigningDevice
        fields = [
            "id",
            "kind",
            "status",
            "label",
            "certificate_pem",
            "subject_name",
            "issuer_name",
            "fingerprint_sha256",
            "serial",
            "not_after",
            "revoked_at",
        ]


class TokenDeviceEnrolSerializer(serializers.Serializer):
    label = serializers.CharField(required=False, allow_blank=True)
    certificate = serializers.CharField(
        help_text="Chứng thư X.509 trên USB token (DER base64 hoặc PEM)"
    )
    chain = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Chứng thư của các CA cấp trên có trong token (DER base64 hoặc PEM)",
    )
    nonce = serializers.CharField(help_text="Mã thử thách nhận từ signing/challenge/ (base64)")
    proof = serializers.CharField(
        help_text="Chữ ký của khóa trên token lên SHA-256(mã thử thách) (base64): RSA PKCS#1 v1.5 "
        "hoặc ECDSA"
    )


class DeviceEnrolSerializer(serializers.Serializer):
    label = serializers.CharField()
    spki = serializers.CharField(help_text="SubjectPublicKeyInfo DER (base64) của khóa EC P-256")
    nonce = serializers.CharField(help_text="Mã thử thách nhận từ signing/challenge/ (base64)")
    proof = serializers.CharField(
        help_text="Chữ ký ECDSA-SHA256 trên các byte của mã thử thách: 64 byte r‖s (base64)"
    )


class TrustRootSerializer(serializers.ModelSerializer):
    class Meta:
        model = TrustRoot
        fields = ["id", "subject", "fingerprint_sha256"]


class ChallengeView(APIView):
    parser_classes = [StrictJSONParser]

    @extend_schema(
        request=None,
        responses={201: ChallengeSerializer, **ERRORS},
        summary="Lấy mã thử thách để đăng ký thiết bị ký",
    )
    def post(self, request: Request) -> Response:
        challenge = services.enrolment_challenge_create(user=request.user)
        return Response(
            {
                "nonce": base64.b64encode(bytes(challenge.nonce)).decode("ascii"),
                "expires_at": challenge.expires_at.isoformat(),
            },
            status=status.HTTP_201_CREATED,
        )


class DeviceListView(APIView):
    parser_classes = [StrictJSONParser]

    @extend_schema(responses=DeviceSerializer(many=True), summary="Thiết bị ký của tôi")
    def get(self, request: Request) -> Response:
        devices = services.device_list_of(user=request.user)
        return Response(DeviceSerializer(devices, many=True).data)

    @extend_schema(
        request=DeviceEnrolSerializer,
        responses={201: DeviceSerializer, **ERRORS},
        summary="Đăng ký thiết bị ký (khóa trong trình duyệt) và nhận chứng thư",
    )
    def post(self, request: Request) -> Response:
        services.ensure_may_enrol(request.user)  # before judging the input
        body = _body(request)
        device = services.device_enrol(
            user=request.user,
            label=body.get("label") if isinstance(body.get("label"), str) else "",
            spki=services.base64_field(body.get("spki"), name="spki"),
            nonce=services.base64_field(body.get("nonce"), name="nonce"),
            proof=services.base64_field(body.get("proof"), name="proof"),
        )
        return Response(DeviceSerializer(device).data, status=status.HTTP_201_CREATED)


def _certificate_field(value: object, *, name: str) -> bytes:
    """A certificate sent as PEM text or as base64 DER."""
    if isinstance(value, str) and value.lstrip().startswith("-----BEGIN"):
        return value.encode("ascii", errors="replace")
    return services.base64_field(value, name=name)


class TokenDeviceEnrolView(APIView):
    parser_classes = [StrictJSONParser]

    @extend_schema(
        request=TokenDeviceEnrolSerializer,
        responses={201: DeviceSerializer, **ERRORS},
        summary="Đăng ký chứng thư trên USB token (qua chương trình ký số) làm thiết bị ký",
    )
    def post(self, request: Request) -> Response:
        services.ensure_may_enrol(request.user)  # before judging the input
        body = _body(request)
        chain = body.get("chain") or []
        if not isinstance(chain, list):
            raise InvalidInput("“chain” phải là một danh sách chứng thư.", code="bad_chain")
        device = services.token_device_enrol(
            user=request.user,
            label=body.get("label") if isinstance(body.get("label"), str) else "",
            certificate=_certificate_field(body.get("certificate"), name="certificate"),
            chain=[_certificate_field(c, name="chain") for c in chain],
            nonce=services.base64_field(body.get("nonce"), name="nonce"),
            proof=services.base64_field(body.get("proof"), name="proof"),
        )
        return Response(DeviceSerializer(device).data, status=status.HTTP_201_CREATED)


class DeviceConfirmView(APIView):
    @extend_schema(
        request=None,
        responses={200: DeviceSerializer, **ERRORS},
        summary="Xác nhận chứng thư trên USB token có tên khác tên người dùng (quản trị viên)",
    )
    def post(self, request: Request, device_id: int) -> Response:
        device = services.device_confirm(device_id=device_id, actor=request.user)
        return Response(DeviceSerializer(device).data)


class DeviceRevokeView(APIView):
    @extend_schema(
        request=None,
        responses={200: DeviceSerializer, **ERRORS},
        summary="Thu hồi chứng thư của một thiết bị ký (chủ thiết bị hoặc quản trị viên)",
    )
    def post(self, request: Request, device_id: int) -> Response:
        device = services.device_revoke(device_id=device_id, actor=request.user)
        return Response(DeviceSerializer(device).data)


class SignatureImageView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        responses={(200, "image/png"): OpenApiTypes.BINARY, **ERRORS},
        summary="Ảnh chữ ký của tôi (PNG)",
    )
    def get(self, request: Request) -> HttpResponse:
        image = services.signature_image_get(user=request.user)
        if image is None:
            raise NotFound("Bạn chưa tải lên ảnh chữ ký.", code="no_signature_image")
        response = HttpResponse(bytes(image.png), content_type="image/png")
        response["Cache-Control"] = "private, no-cache"
        return response

    @extend_schema(
        request={
            "multipart/form-data": inline_serializer(
                "SignatureImageUpload", {"file": serializers.FileField()}
            )
        },
        responses={
            200: inline_serializer("SignatureImageSaved", {"ok": serializers.BooleanField()}),
            **ERRORS,
        },
        summary="Tải lên ảnh chữ ký (PNG nền trong suốt, tối đa 1 MB)",
    )
    def put(self, request: Request) -> Response:
        upload = request.FILES.get("file")
        if upload is None:
            raise InvalidInput("Vui lòng chọn tệp ảnh chữ ký (trường “file”).", code="missing_file")
        if upload.size > services.SIGNATURE_IMAGE_MAX_BYTES:  # before reading it
            raise InvalidInput("Ảnh chữ ký không được lớn hơn 1 MB.", code="image_too_large")
        services.signature_image_upload(user=request.user, png=upload.read())
        return Response({"ok": True})


class TrustRootListView(APIView):
    parser_classes = [StrictJSONParser]

    @extend_schema(
        responses=TrustRootSerializer(many=True), summary="Chứng thư gốc bên ngoài được tin cậy"
    )
    def get(self, request: Request) -> Response:
        return Response(TrustRootSerializer(services.trust_root_list(), many=True).data)

    @extend_schema(
        request=inline_serializer("TrustRootImport", {"pem": serializers.CharField()}),
        responses={201: TrustRootSerializer, **ERRORS},
        summary="Nhập chứng thư gốc của một CA khác (quản trị viên)",
    )
    def post(self, request: Request) -> Response:
        pem = _body(request).get("pem")
        root = services.trust_root_import(
            pem=pem if isinstance(pem, str) else "", actor=request.user
        )
        return Response(TrustRootSerializer(root).data, status=status.HTTP_201_CREATED)


# Trust anchors: what anyone needs to verify our signatures.


class TrustView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema(
        responses={(200, "application/x-pem-file"): OpenApiTypes.STR},
        summary="Chứng thư gốc (CA) của hệ thống, để kiểm tra chữ ký",
    )
    def get(self, request: Request) -> HttpResponse:
        return HttpResponse(trust_pem(), content_type="application/x-pem-file")


class TrustCrlView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema(
        responses={(200, "application/x-pem-file"): OpenApiTypes.STR},
        summary="Danh sách chứng thư bị thu hồi (CRL) của CA hệ thống",
    )
    def get(self, request: Request) -> HttpResponse:
        return HttpResponse(crl_pem(), content_type="application/x-pem-file")
