"""Maps the domain error family to a clear page message: never a traceback, never a raw 500."""

from collections.abc import Callable

import django_fsm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from viewflow.fsm import TransitionNotAllowed as FlowTransitionNotAllowed

from agencies.errors import DomainError, TooManyRequests

STATE_MESSAGE = (
    "Thao tác không phù hợp với trạng thái hiện tại của văn bản. Vui lòng tải lại trang."
)


class DomainErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if request.path.startswith("/api/"):
            return None  # DRF's exception handler answers in JSON
        if isinstance(exception, DomainError):
            message, status = exception.message, exception.status
        elif isinstance(exception, django_fsm.TransitionNotAllowed | FlowTransitionNotAllowed):
            message, status = STATE_MESSAGE, 409
        else:
            return None
        response = render(
            request, "error.html", {"message": message, "status": status}, status=status
        )
        if isinstance(exception, TooManyRequests):
            response["Retry-After"] = str(exception.retry_after)
        return response


class ContentSecurityPolicyMiddleware:
    """A Content-Security-Policy on every response: scripts and styles only from our own files
    (no inline script, no eval), nothing framed or framing us, forms posting only to us. Sockets
    to this host; CSP_CONNECT_SRC adds origins the pages may call (e.g. the signing agent)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = content_security_policy(request)
        return response


def content_security_policy(request: HttpRequest) -> str:
    from django.conf import settings

    host = request.get_host()
    connect = ["'self'", f"ws://{host}", f"wss://{host}", *settings.CSP_CONNECT_SRC]
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data: blob:",
            "font-src 'self'",
            f"connect-src {' '.join(connect)}",
            "frame-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )
