"""Serve config.asgi (HTTP and WebSocket) under uvicorn for the browser walks, on the test database.

Run as `python -m tests.e2e.live_server PORT DB_NAME MEDIA_ROOT SIGNING_DIR [URLCONF]`. A fresh process
rather than a fork of pytest: a fork copies asgiref's single-thread executor with its worker
thread gone (after async tests ran in the session), and every WebSocket then hangs in connect.
"""

import os
import sys


def main(port: int, db_name: str, media_root: str, signing_dir: str, urlconf: str = "") -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django
    from django.conf import settings

    # The calling test process's database and files.
    settings.DATABASES["default"]["NAME"] = db_name
    settings.MEDIA_ROOT = media_root
    settings.SIGNING_DIR = signing_dir
    if urlconf:
        settings.ROOT_URLCONF = urlconf
    django.setup()

    import uvicorn

    from config.asgi import application

    uvicorn.run(
        application,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
    )


if __name__ == "__main__":
    main(int(sys.argv[1]), *sys.argv[2:6])
