"""Sign-in throttling (django-axes): the answer to a locked-out attempt, and its audit record.

After AXES_FAILURE_LIMIT failed sign-ins for one username, or from one address, within
AXES_COOLOFF_TIME, further attempts are refused until the cool-off has passed, even with the right
password: the page shows a Vietnamese message with status 429, the API a JSON 429 with
Retry-After. Each lockout is a SecurityEvent.
"""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from .models import SecurityEvent
from .services import security_event_record


def cool_off_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def lockout_message() -> str:
    return _(
        "Đăng nhập tạm thời bị khóa do nhập sai tên đăng nhập hoặc mật khẩu quá %(limit)d lần. "
        "Vui lòng thử lại sau %(minutes)d phút, hoặc liên hệ quản trị hệ thống."
    ) % {
        "limit": settings.AXES_FAILURE_LIMIT,
        "minutes": math.ceil(cool_off_seconds() / 60),
    }


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: JSON for the API, the sign-in page with the message otherwise."""
    message = lockout_message()
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"error": "locked_out", "detail": message, "retry_after": cool_off_seconds()},
            status=429,
        )
    else:
        response = render(
            request,
            "registration/login.html",
            {"form": AuthenticationForm(request), "locked_message": message},
            status=429,
        )
    response["Retry-After"] = str(cool_off_seconds())
    return response


def record_lockout(
    sender: Any, request: HttpRequest, username: str, ip_address: str, **kwargs: Any
) -> None:
    """Receiver of axes' `user_locked_out`: the one place axes tells us of a lockout."""
    security_event_record(
        kind=SecurityEvent.Kind.LOCKED_OUT,
        username=username or "",
        ip_address=ip_address,
        data={"path": request.path if request is not None else ""},
    )
