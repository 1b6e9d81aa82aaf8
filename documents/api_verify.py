"""POST /api/v1/verify/: anyone checks the digital signatures of a PDF. Thin: parse, call, answer."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.errors import InvalidInput

from .verification import (
    document_verify,
    verification_guard,
    verify_max_bytes,
    verify_too_large_message,
)


class CertificateSerializer(serializers.Serializer):
    subject = serializers.CharField(help_text="Chủ thể (RFC 4514).")
    common_name = serializers.CharField(allow_blank=True)
    organisation = serializers.CharField(allow_blank=True)
    issuer = serializers.CharField()
    issuer_common_name = serializers.CharField(allow_blank=True)
    serial = serializers.CharField(help_text="Số hiệu (hệ 16).")
    not_before = serializers.DateTimeField()
    not_after = serializers.DateTimeField()
    fingerprint_sha256 = serializers.CharField()


class SignatureVerdictSerializer(serializers.Serializer):
    field_name = serializers.CharField(allow_blank=True)
    kind = serializers.ChoiceField(choices=["signature", "timestamp"])
    signer_name = serializers.CharField(allow_blank=True)
    certificate = CertificateSerializer(allow_null=True)
    ca_name = serializers.CharField(allow_blank=True)
    ca_status = serializers.ChoiceField(
        choices=["ours", "imported", "unknown"],
        help_text="CA của hệ thống, CA được tin cậy đã nhập, hay CA không được tin cậy.",
    )
    ca_status_text = serializers.CharField(allow_blank=True)
    signing_time = serializers.DateTimeField(allow_null=True)
    timestamp_time = serializers.DateTimeField(allow_null=True)
    intact = serializers.BooleanField(help_text="Nội dung được ký còn nguyên vẹn.")
    valid = serializers.BooleanField()
    trusted = serializers.BooleanField()
    revoked = serializers.BooleanField()
    revoked_at = serializers.DateTimeField(allow_null=True)
    bottom_line = serializers.BooleanField(help_text="Chữ ký hợp lệ và được tin cậy.")
    modification_level = serializers.CharField(allow_blank=True)
    modification_text = serializers.CharField(
        allow_blank=True, help_text="Những gì thay đổi sau chữ ký này."
    )
    coverage = serializers.CharField(allow_blank=True)
    byte_range = serializers.ListField(child=serializers.IntegerField())
    revision_end = serializers.IntegerField()
    revision_sha256 = serializers.CharField(allow_blank=True)
    covers_whole_file = serializers.BooleanField()
    verdict = serializers.CharField(allow_blank=True)
    problems = serializers.ListField(child=serializers.CharField())
    error = serializers.CharField(allow_null=True)


class MatchSerializer(serializers.Serializer):
    """A plan of this system that the file, or a signed revision of it, is."""

    plan_id = serializers.IntegerField(help_text="Mã văn bản (GET /api/v1/documents/{id}/).")
    title = serializers.CharField()
    number = serializers.IntegerField(allow_null=True)
    number_text = serializers.CharField(allow_blank=True)
    version = serializers.IntegerField(allow_null=True)
    status = serializers.CharField()
    status_display = serializers.CharField()
    kind = serializers.ChoiceField(
        choices=["issued", "signed", "draft"],
        help_text="Bản đã phát hành, bản đã ký, hay bản dự thảo của một phiên bản.",
    )
    scope = serializers.ChoiceField(
        choices=["file", "revision"],
        help_text="Trùng cả tệp, hay chỉ một phiên bản đã ký bên trong tệp.",
    )
    field_name = serializers.CharField(allow_blank=True)
    description = serializers.CharField()
    verification_url = serializers.CharField(allow_blank=True)


class VerificationSerializer(serializers.Serializer):
    """The verdicts on one file and the plans of this system it matches."""

    sha256 = serializers.CharField()
    size = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["valid", "invalid", "unsigned", "error"])
    message = serializers.CharField(help_text="Kết luận một dòng (tiếng Việt).")
    signatures = SignatureVerdictSerializer(many=True)
    timestamps = SignatureVerdictSerializer(many=True)
    error = serializers.CharField(allow_null=True)
    checked_at = serializers.DateTimeField()
    matches = MatchSerializer(many=True)


class VerifyView(APIView):
    """No login, no CSRF (nothing is changed): the file goes in, the verdicts come out."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={
            "multipart/form-data": inline_serializer(
                "VerifyRequest", {"file": serializers.FileField()}
            )
        },
        responses={200: VerificationSerializer},
        summary="Kiểm tra chữ ký số của một tệp PDF (công khai)",
    )
    def post(self, request: Request) -> Response:
        upload = request.FILES.get("file")
        if upload is None:
            raise InvalidInput("Vui lòng gửi tệp PDF (trường “file”).", code="file_missing")
        if upload.size > verify_max_bytes():  # before reading it
            raise InvalidInput(verify_too_large_message(), code="file_too_large")
        with verification_guard(client=request.META.get("REMOTE_ADDR") or "?"):
            return Response(document_verify(pdf=upload.read()).as_dict())
