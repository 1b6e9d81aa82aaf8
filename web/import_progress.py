"""Progress of a long file import (a scanned PDF read by OCR, page after page) for the page that
waits on it: the form sends a random token with the file; while the import runs, the service's
progress callback writes the pages read under that token in the cache, and the page polls
`import_progress` once a second to move its progress bar.

The cache must be shared by the processes serving the app (the default in-memory cache is, for
the single uvicorn process of scripts/serve.sh; set a shared cache such as Redis when running
several processes).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

TOKEN = re.compile(r"[A-Za-z0-9-]{16,64}")
#: How long a progress entry is kept (longer than any import may take).
TIMEOUT_SECONDS = 900


def _key(user_id: int, token: str) -> str:
    return f"import-progress:{user_id}:{token}"


def progress_reporter(request: HttpRequest) -> Callable[[int, int], None] | None:
    """The callback writing the progress of this request's import, when its form sent a token
    (`progress_token`); None otherwise."""
    token = request.POST.get("progress_token", "")
    if not TOKEN.fullmatch(token):
        return None
    key = _key(request.user.pk, token)

    def report(done: int, total: int) -> None:
        cache.set(key, {"done": done, "total": total}, TIMEOUT_SECONDS)

    return report


@login_required
@require_GET
def import_progress(request: HttpRequest, token: str) -> JsonResponse:
    """{"done": pages read, "total": pages} of the user's import under `token` (0/0 before the
    file is opened)."""
    if not TOKEN.fullmatch(token):
        raise Http404
    data = cache.get(_key(request.user.pk, token)) or {"done": 0, "total": 0}
    return JsonResponse(data)
