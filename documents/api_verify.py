"""POST /api/v1/verify/: anyone checks the digital signatures of a PDF. Thin: parse, call, answer."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.errors import InvalidInput

from .api import ErrorSerializer
from .verification import (
    document_verify,
    verification_guard,
    verify_max_bytes,
    verify_too_large_message,
)


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
        responses={
            200: OpenApiResponse(
                description=(
                    "sha256, size, status (valid | invalid | unsigned | error), message, "
                    "signatures[] and timestamps[] (signer, certificate, CA and whether it is "
                    "ours / imported / unknown, times, intact, trusted, revoked, bottom_line, "
                    "modification_text, revision_sha256), matches[] (plan, number, version, "
                    "status, verification_url)"
                )
            ),
            400: OpenApiResponse(ErrorSerializer, description="Thiếu tệp hoặc tệp quá lớn"),
        },
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
