"""A live server and Debian's Chromium for browser tests (tests/e2e and the bell's test)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serve(urlconf: str = "", env: dict[str, str] | None = None) -> Iterator[str]:
    """uvicorn serving config.asgi in a fresh process (tests/e2e/live_server.py) that shares
    the test database; `urlconf` replaces the site's URLs, `env` adds to its environment. Yields
    the base URL."""
    from django.conf import settings
    from django.db import connection

    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.e2e.live_server",
            str(port),
            str(connection.settings_dict["NAME"]),
            str(settings.MEDIA_ROOT),
            str(settings.SIGNING_DIR),
            urlconf,
        ],
        cwd=settings.BASE_DIR,
        env={**os.environ, **(env or {})},
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("uvicorn did not start (tests/e2e/live_server.py)")
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
