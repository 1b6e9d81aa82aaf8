"""Settings for production: several workers on PostgreSQL and Redis behind a proxy (README,
"Production"). Everything comes from the environment; DEBUG is always off.

Required: SECRET_KEY (or a VAR_DIR shared by every worker, where one is generated),
DATABASE_URL, REDIS_URL, PUBLIC_BASE_URL, ALLOWED_HOSTS.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import VAR_DIR
from .secret import ensure_secret_key, secret_key_from_file

DEBUG = False
SECRET_KEY = ensure_secret_key(
    os.environ.get("SECRET_KEY") or secret_key_from_file(VAR_DIR), debug=False
)
for _name in ("DATABASE_URL", "REDIS_URL", "PUBLIC_BASE_URL"):
    if not os.environ.get(_name):
        raise ImproperlyConfigured(f"{_name} must be set in production (see .env.example).")
# Behind a TLS-terminating proxy: trust its header, keep cookies on HTTPS.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "1") == "1"
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
