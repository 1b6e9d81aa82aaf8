"""What a request that fails before or outside a service gets: never a traceback, never HTML for
the API.

Django's handlers (config/urls.py: handler400/403/404/500) answer the API (paths under /api/) in
JSON `{"error": code, "detail": message}` and the pages with a Vietnamese page. A database that
cannot be reached, or a connection dropped in the middle of a request, is a 503 with
`Retry-After`: the request did not complete and can be retried (a task completion with the same
`Idempotency-Key` is never done twice, see web.api_tasks).
"""

from __future__ import annotations

import logging
import sys

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

#: Seconds a client should wait before retrying after a 503.
RETRY_AFTER_SECONDS = 5


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def is_unavailable(exc: BaseException | None) -> bool:
    """A database that is down, restarting, or dropped this request's connection (also a lock
    wait that timed out): the request may succeed if retried."""
    return isinstance(exc, OperationalError | InterfaceError)


def unavailable_message() -> str:
    return _(
        "Hệ thống tạm thời không truy cập được cơ sở dữ liệu; thao tác chưa được thực hiện "
        "hoặc chưa chắc đã hoàn tất. Vui lòng thử lại sau ít giây."
    )


def too_large_message() -> str:
    return _("Dữ liệu gửi lên quá lớn.")


def error_payload(status: int, exc: BaseException | None = None) -> tuple[str, str]:
    """(code, Vietnamese message) for an error status without a domain error behind it."""
    if status == 503:
        return "unavailable", unavailable_message()
    if status == 413:
        return "too_large", too_large_message()
    if status == 400:
        return "bad_request", _("Yêu cầu không hợp lệ.")
    if status == 403:
        return "forbidden", _("Bạn không có quyền thực hiện thao tác này.")
    if status == 404:
        return "not_found", _("Không tìm thấy.")
    return "server_error", _("Đã có lỗi trong hệ thống; lỗi đã được ghi lại. Vui lòng thử lại sau.")


def error_response(request: HttpRequest, status: int) -> HttpResponse:
    code, message = error_payload(status)
    if is_api(request):
        response: HttpResponse = JsonResponse({"error": code, "detail": message}, status=status)
    elif status >= 500:
        # A page that needs nothing from the database: it may be what failed.
        response = HttpResponse(
            render_to_string("error_plain.html", {"status": status, "message": message}),
            status=status,
        )
    else:
        response = render(
            request, "error.html", {"status": status, "message": message}, status=status
        )
    if status == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def bad_request(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):
        return error_response(request, 413)
    return error_response(request, 400)


def permission_denied(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    return error_response(request, 403)


def page_not_found(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    return error_response(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this inside its `except` block: the exception is the one being handled.
    exc = sys.exc_info()[1]
    if is_unavailable(exc):
        return error_response(request, 503)
    return error_response(request, 500)


def status_for(exc: BaseException) -> int | None:
    """The status of an exception that is not a domain error, or None to let it propagate."""
    if isinstance(exc, RequestDataTooBig):
        return 413
    if isinstance(exc, SuspiciousOperation):
        return 400
    if is_unavailable(exc):
        return 503
    return None
