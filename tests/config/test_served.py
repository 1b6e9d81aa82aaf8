"""The app as uvicorn serves it (tests/e2e/server.py): static files without DEBUG, no traversal."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from tests.e2e.server import serve

pytestmark = pytest.mark.django_db(transaction=True)


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_served_static_files_and_traversal():
    with serve() as url:
        status, body = _get(f"{url}/static/css/app.css")
        assert status == 200 and body
        for path in (
            "/static/..%2f..%2fmanage.py",
            "/static/..%2F..%2Fconfig%2Fsettings%2Fbase.py",
        ):
            status, body = _get(url + path)
            assert status == 404
            assert b"DJANGO_SETTINGS_MODULE" not in body and b"Traceback" not in body
        status, body = _get(f"{url}/api/v1/no-such-thing/")
        assert status == 404 and body.startswith(b"{")
