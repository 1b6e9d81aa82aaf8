"""Settings for the test suite: the same parts as production, faster hashing, in-memory mail."""

import os
import tempfile

from .base import *  # noqa: F403
from .base import DATABASES

SECRET_KEY = os.environ.get(
    "TEST_SECRET_KEY", "test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
)
# Conversions are shared by every test, and between runs of the suite on this machine (the key
# includes the LibreOffice binary). tests/documents/test_conversion.py turns it off.
PDF_CACHE_DIR = os.environ.get(
    "TEST_PDF_CACHE_DIR", os.path.join(tempfile.gettempdir(), "kehoach-test-pdf-cache")
)
# No server answers in most tests; tests/documents/test_public_address.py serves one and checks.
PUBLIC_BASE_URL_CHECK = False
# Exchange packages are sent by the tests (exchange.services.outbox_send_due), not by threads.
EXCHANGE_SEND_ON_COMMIT = os.environ.get("EXCHANGE_SEND_ON_COMMIT", "0") == "1"
EMAIL_SEND_IN_BACKGROUND = os.environ.get("EMAIL_SEND_IN_BACKGROUND", "0") == "1"
GC_FREEZE = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = tempfile.mkdtemp(prefix="kehoach-media-")
SIGNING_DIR = tempfile.mkdtemp(prefix="kehoach-signing-")
if "sqlite" in DATABASES["default"]["ENGINE"]:
    # A file database, so that race tests in threads share one database.
    DATABASES["default"]["NAME"] = os.path.join(
        tempfile.mkdtemp(prefix="kehoach-db-"), "db.sqlite3"
    )
    DATABASES["default"]["TEST"] = {"NAME": DATABASES["default"]["NAME"]}

# pytest-xdist: each worker has its own test database (pytest-django suffixes the name), and its
# own Redis database: the same user ids exist in every worker's database, and each test empties
# the cache (FLUSHDB) — it must not empty another worker's rate counts or channel queues.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if XDIST_WORKER and os.environ.get("REDIS_URL"):
    from urllib.parse import urlsplit, urlunsplit

    from .base import CACHES, CHANNEL_LAYERS

    _url = urlsplit(os.environ["REDIS_URL"])
    _db = int(_url.path.strip("/") or 0) + 1 + int(XDIST_WORKER.removeprefix("gw"))
    REDIS_URL = urlunsplit(_url._replace(path=f"/{_db % 16}"))
    CACHES["default"]["LOCATION"] = REDIS_URL
    for _host in CHANNEL_LAYERS["default"]["CONFIG"]["hosts"]:
        _host["address"] = REDIS_URL
