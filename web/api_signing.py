"""API of the signer's first step: prepare the signature of a document with an enrolled device.

It lives here, not in `documents`, because it also checks the workflow's open "sign" task. The
second step is completing that task: `POST tasks/{id}/complete/` with action "sign" and data
{"session_id", "signature"} (`web.api_tasks.TaskCompleteView`).
"""

from __future__ import annotations

import base64

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.errors import InvalidInput
from agencies.parsers import StrictJSONParser
from agencies.validation import parse_id
from documents import selectors as document_selectors
from documents.api import ERRORS
from workflows import services


class SignPrepareSerializer(serializers.Serializer):
    session_id = serializers.UUIDField()
    to_be_signed = serializers.CharField(
        help_text="DER của các thuộc tính được ký (base64): ký nguyên dữ liệu này bằng ECDSA-SHA256"
    )
    algorithm = serializers.CharField(help_text="ECDSA-P256-SHA256")
    version = serializers.IntegerField()
    content_sha256 = serializers.CharField()
    expires_at = serializers.DateTimeField()


class DocumentSignPrepareView(APIView):
    parser_classes = [StrictJSONParser]

    @extend_schema(
        request=inline_serializer("SignPrepareRequest", {"device_id": serializers.IntegerField()}),
        responses={200: SignPrepareSerializer, **ERRORS},
        summary="Chuẩn bị ký số phiên bản đang chờ ký bằng một thiết bị ký đã đăng ký",
    )
    def post(self, request: Request, plan_id: int) -> Response:
        plan = document_selectors.plan_get_visible(user=request.user, plan_id=plan_id)
        device_id = request.data.get("device_id") if isinstance(request.data, dict) else None
        if device_id is None:
            raise InvalidInput("Thiếu “device_id” (số).", code="missing_device")
        device_id = parse_id(device_id, label="device_id")
        pending = services.plan_sign_prepare(plan=plan, actor=request.user, device_id=device_id)
        session = pending.session
        return Response(
            {
                "session_id": str(session.id),
                "to_be_signed": base64.b64encode(pending.to_be_signed).decode("ascii"),
                "algorithm": pending.algorithm,
                "version": session.version_number,
                "content_sha256": session.content_sha256,
                "expires_at": session.expires_at.isoformat(),
            }
        )
