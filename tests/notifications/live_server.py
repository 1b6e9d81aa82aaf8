"""Serve config.asgi under uvicorn for the end-to-end test, on the test database.

Run as `python -m tests.notifications.live_server PORT DB_NAME URLCONF`. A fresh process rather
than a fork: forking pytest after async tests have run threads copies locks that stay held.
"""

import os
import sys


def main(port: int, db_name: str, urlconf: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django
    from django.conf import settings

    settings.DATABASES["default"]["NAME"] = db_name  # the test database of the calling process
    settings.ROOT_URLCONF = urlconf
    django.setup()

    import uvicorn
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    from config.asgi import application

    uvicorn.run(
        ASGIStaticFilesHandler(application),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
    )


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], sys.argv[3])
