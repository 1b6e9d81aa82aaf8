"""One exception handler for the API: domain errors become JSON with 400, 403, 404 or 409."""

import logging
from typing import Any

import django_fsm
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from viewflow.fsm import TransitionNotAllowed as FlowTransitionNotAllowed

from agencies.errors import DomainError, TooManyRequests

from .errors import RETRY_AFTER_SECONDS, error_payload, status_for
from .middleware import STATE_MESSAGE

logger = logging.getLogger(__name__)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    status_code = status_for(exc)
    if status_code is not None:
        if status_code >= 500:
            logger.warning("API request failed with %s: %r", status_code, exc)
        code, message = error_payload(status_code)
        response = Response({"error": code, "detail": message}, status=status_code)
        if status_code == 503:
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    if isinstance(exc, DomainError):
        response = Response(
            {**exc.extra, "error": exc.code, "detail": exc.message}, status=exc.status
        )
        if isinstance(exc, TooManyRequests):
            response["Retry-After"] = str(exc.retry_after)
        return response
    if isinstance(exc, django_fsm.TransitionNotAllowed | FlowTransitionNotAllowed):
        return Response(
            {"error": "wrong_state", "detail": STATE_MESSAGE}, status=status.HTTP_409_CONFLICT
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Không tìm thấy.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied("Bạn không có quyền thực hiện thao tác này.")
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        response.data = {
            "error": getattr(exc, "default_code", "error"),
            "detail": response.data["detail"],
        }
    elif response is not None:
        response.data = {
            "error": "invalid",
            "detail": "Dữ liệu không hợp lệ.",
            "fields": response.data,
        }
    return response
