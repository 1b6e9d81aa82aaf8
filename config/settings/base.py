"""Settings shared by every environment; each part is chosen from the environment (.env.example)."""

import datetime as dt
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# GENERAL
# Each entry settings module sets SECRET_KEY (local.py, production.py: config/settings/secret.py).
SECRET_KEY = os.environ.get("SECRET_KEY", "")
SECRET_KEY_FALLBACKS = [k for k in os.environ.get("SECRET_KEY_FALLBACKS", "").split(",") if k]
DEBUG = os.environ.get("DEBUG", "0") == "1"
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_TZ = True
USE_I18N = True
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]

# APPS
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "drf_spectacular",
    "django_filters",
    "axes",
    "viewflow",
    "viewflow.workflow",
    "agencies",
    "notifications",
    "signing",
    "documents",
    "exchange",
    "workflows",
    "web",
    "config",
]
AUTH_USER_MODEL = "agencies.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses every sign-in of a locked-out username or address (agencies/security.py).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "agencies.backends.RolePermissionBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files, with or without DEBUG (uvicorn serves none); only files it knows, so a path
    # such as /static/..%2f..%2fmanage.py is an ordinary 404.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.DomainErrorMiddleware",
    "config.middleware.ContentSecurityPolicyMiddleware",
    # Last: turns a locked-out sign-in into the lockout answer (agencies/security.py).
    "axes.middleware.AxesMiddleware",
]
ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# DATABASES: embedded SQLite unless DATABASE_URL is set (PostgreSQL).
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
    DATABASES["default"].setdefault("OPTIONS", {})
    # A backstop: no statement waits for a lock for ever.
    DATABASES["default"]["OPTIONS"].setdefault("options", "-c lock_timeout=30000")
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and os.environ.get(
        "DB_PREPARED", "1"
    ) not in ("0", ""):
        # Parameters bound on the server, and a statement run twice on a connection prepared
        # there (psycopg's automatic prepared statements): PostgreSQL parses and plans each of a
        # task completion's statements once per connection instead of on every request.
        # DB_PREPARED=0 behind a pooler in transaction mode (PgBouncer without
        # max_prepared_statements), where a session's prepared statements are not its own.
        DATABASES["default"]["OPTIONS"]["server_side_binding"] = True
        DATABASES["default"]["OPTIONS"]["prepare_threshold"] = 2
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and os.environ.get(
        "DB_POOL", "1"
    ) not in ("0", ""):
        # Connections kept open and shared by the process's request threads (psycopg's pool).
        # Not CONN_MAX_AGE: under ASGI every request runs in a thread of its own, so a
        # per-thread persistent connection would never be reused. A connection that broke
        # while idle is checked and replaced before it is handed out.
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": int(os.environ.get("DB_POOL_MIN_SIZE", "2")),
            "max_size": int(os.environ.get("DB_POOL_MAX_SIZE", "16")),
            "timeout": float(os.environ.get("DB_POOL_TIMEOUT", "30")),
            "max_idle": 300,
        }
else:
    DATABASES = {
        "default": {
            # Django's sqlite3 backend, with writers served first come, first served.
            "ENGINE": "config.sqlite",
            "NAME": os.environ.get("SQLITE_PATH", str(VAR_DIR / "db.sqlite3")),
            # IMMEDIATE: every transaction takes the write lock at BEGIN, so concurrent flow
            # completions serialise instead of failing with "database is locked"; within the
            # process they queue fairly (config/sqlite/base.py).
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                # Idle connections kept open for the next request (config/sqlite/base.py).
                "pool": int(os.environ.get("SQLITE_POOL", "8")),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Requests of a served process that run their view at once (config.asgi.RequestGate), in the
# order they came; one still running after REQUEST_SLOT_HOLD_MS gives its slot up unless it
# computed most of that time (checked again every REQUEST_SLOT_HOLD_MS), and at the latest after
# REQUEST_SLOT_MOST_MS. 0 slots: no gate.
REQUEST_SLOTS = int(os.environ.get("REQUEST_SLOTS", "2"))
REQUEST_SLOT_HOLD_MS = int(os.environ.get("REQUEST_SLOT_HOLD_MS", "100"))
REQUEST_SLOT_MOST_MS = int(os.environ.get("REQUEST_SLOT_MOST_MS", "1000"))

# Served processes freeze what they hold after start-up out of the garbage collector's sight
# (config/asgi.py); GC_FREEZE=0 turns that off, to compare.
GC_FREEZE = os.environ.get("GC_FREEZE", "1") == "1"
# ... and collect their young objects every GC_THRESHOLD allocations (Python's gc.set_threshold:
# "gen0,gen1,gen2"; empty: Python's 700,10,10). With 700, the objects of a thousand open sockets
# (~430,000) were promoted and swept by a full collection every few seconds under traffic, each
# pausing the worker ~250 ms; with 10,000 the requests' objects die young and none ran.
GC_THRESHOLD: tuple[int, ...] = ()
_gc_threshold = os.environ.get("GC_THRESHOLD", "10000,10,10").strip()
if _gc_threshold:
    try:
        GC_THRESHOLD = tuple(int(n) for n in _gc_threshold.split(","))
    except ValueError:
        GC_THRESHOLD = ()
    if len(GC_THRESHOLD) != 3 or min(GC_THRESHOLD) < 1:
        raise ImproperlyConfigured(
            "GC_THRESHOLD must be three positive whole numbers, e.g. 10000,10,10 (or empty)."
        )

# CHANNELS: in-memory layer (one process) unless REDIS_URL is set.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "notifications.layers.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        # channels-redis waits for messages with a blocking BZPOPMIN of 5 s; since
                        # redis-py 8 a read times out after 5 s by default, which killed every
                        # idle consumer (channels_redis#422). No read time-out: the blocking
                        # command bounds the wait itself. Keep-alives and a health check find
                        # dead connections instead.
                        "socket_timeout": None,
                        "socket_connect_timeout": 5,
                        "socket_keepalive": True,
                        "health_check_interval": 30,
                        "retry_on_timeout": True,
                        # Each socket that connects or leaves uses a connection for a moment:
                        # 1,000 sockets opening at once ran out of the default 100 per worker.
                        "max_connections": int(os.environ.get("REDIS_MAX_CONNECTIONS", "2000")),
                    }
                ],
                # All the sockets of one worker process share one Redis queue, and channels-redis
                # drops what arrives while it holds `capacity` messages (100 by default): an
                # issuance to 300 users lost about 190 of their notices. Messages still expire
                # after a minute, so the queue stays bounded by one burst.
                "capacity": int(os.environ.get("REDIS_CHANNEL_CAPACITY", "100000")),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "notifications.layers.InMemoryChannelLayer"}}

# Origins the pages may also connect to (Content-Security-Policy connect-src), space-separated.
CSP_CONNECT_SRC = [o for o in os.environ.get("CSP_CONNECT_SRC", "").split() if o]

# CACHE: shared by every worker on Redis (rate limits), else in this process's memory.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "kehoach",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# STATIC AND MEDIA
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"  # collectstatic's target (optional: WhiteNoise uses finders)
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"
WHITENOISE_USE_FINDERS = True  # serve from the apps' static folders; collectstatic is optional
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# EMAIL
# With EMAIL_HOST set, mail goes to that SMTP server; without, it is printed on the console.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = EMAIL_HOST or "localhost"
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "0") == "1"
EMAIL_USE_SSL = os.environ.get("EMAIL_USE_SSL", "0") == "1"
EMAIL_TIMEOUT = float(os.environ.get("EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Kế hoạch UBND tỉnh <noreply@localhost>")
# The outbox (notifications.EmailMessage): a failed e-mail is tried again after 1, 2, 4 … times
# EMAIL_RETRY_BASE_SECONDS (at most an hour), EMAIL_MAX_ATTEMPTS times in all.
# Notices' e-mails are sent by a background thread of the process after commit ("1"), or in the
# committing thread itself ("0", the tests' default, so that they can read the SMTP server at once).
EMAIL_SEND_IN_BACKGROUND = os.environ.get("EMAIL_SEND_IN_BACKGROUND", "1") == "1"
EMAIL_MAX_ATTEMPTS = int(os.environ.get("EMAIL_MAX_ATTEMPTS", "10"))
EMAIL_RETRY_BASE_SECONDS = float(os.environ.get("EMAIL_RETRY_BASE_SECONDS", "60"))
# Who asked for a daily digest gets it from this hour (local time) on, once a day.
DIGEST_HOUR = int(os.environ.get("DIGEST_HOUR", "7"))

# API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "agencies.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "agencies.parsers.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api_errors.exception_handler",
    "DEFAULT_PAGINATION_CLASS": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kế hoạch UBND tỉnh API",
    "DESCRIPTION": "Draft, consult, review, sign and issue provincial plans (Nghị định 30/2020/NĐ-CP).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.schema.add_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "PlanStatusEnum": "documents.models.Plan.Status",
        "VerificationStatusEnum": ["valid", "invalid", "unsigned", "error"],
    },
}

# CREDENTIALS
# API tokens (POST /api/v1/auth/token/) expire after this many hours; they can be revoked sooner.
API_TOKEN_TTL_HOURS = int(os.environ.get("API_TOKEN_TTL_HOURS", str(7 * 24)))
# A WebSocket ticket (POST /api/v1/auth/socket-ticket/) opens one socket within this many seconds.
SOCKET_TICKET_TTL_SECONDS = int(os.environ.get("SOCKET_TICKET_TTL_SECONDS", "60"))
# Sign-in throttling (django-axes): after AXES_FAILURE_LIMIT failures for one username, or from one
# address, within the cool-off, sign-in is refused until the cool-off has passed (a 429).
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USE_ATTEMPT_EXPIRATION = True  # a rolling window, not "until a quiet spell"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "agencies.security.lockout_response"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_VERBOSE = False
# The address is REMOTE_ADDR: behind a proxy, let uvicorn set it from the proxy's headers
# (--proxy-headers --forwarded-allow-ips=<the proxy's address>).

# DOCUMENTS
# The issuing body of the demo province; every plan of the UBND carries it in its header.
PROVINCE_NAME = os.environ.get("PROVINCE_NAME", "Đồng Nai")
# Document exchange (edXML, QCVN 102:2016/BTTTT; exchange/): this installation's identifier
# toward its peers (sent with every package, checked by the peer with the shared secret), the
# time-out of one HTTP delivery, whether a package is sent right after its transaction commits
# (in a background thread; the timer dispatcher retries in any case), the largest package
# accepted, and how long a peer's request may be old (its signed timestamp).
EXCHANGE_SYSTEM_ID = os.environ.get("EXCHANGE_SYSTEM_ID", "")
EXCHANGE_HTTP_TIMEOUT = float(os.environ.get("EXCHANGE_HTTP_TIMEOUT", "30"))
EXCHANGE_SEND_ON_COMMIT = os.environ.get("EXCHANGE_SEND_ON_COMMIT", "1") == "1"
EXCHANGE_MAX_BYTES = int(os.environ.get("EXCHANGE_MAX_BYTES", str(20 * 1024 * 1024)))
EXCHANGE_CLOCK_SKEW_SECONDS = int(os.environ.get("EXCHANGE_CLOCK_SKEW_SECONDS", "300"))
SOFFICE_BINARY = os.environ.get("SOFFICE_BINARY", "soffice")
UNOSERVER_HOST = os.environ.get("UNOSERVER_HOST", "")
UNOSERVER_PORT = int(os.environ.get("UNOSERVER_PORT", "2003"))
PDF_CONVERSION_TIMEOUT = int(os.environ.get("PDF_CONVERSION_TIMEOUT", "120"))
# Conversions kept by content hash: an unchanged document is converted once ("" turns it off).
PDF_CACHE_DIR = os.environ.get("PDF_CACHE_DIR", str(VAR_DIR / "pdf-cache"))
PDF_CACHE_MAX_FILES = int(os.environ.get("PDF_CACHE_MAX_FILES", "500"))
# Largest Word file or PDF accepted for import (browser and API), in bytes; the importer also
# refuses archives that expand beyond 50 MB or more than 100 times (documents/intake/safety.py).
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(10 * 1024 * 1024)))
# PDFs (documents/intake/pdf.py): most pages in one import; seconds OCR of a scan may take in
# all (Tesseract, Vietnamese); pages recognised at once (default: one per CPU, up to 4).
IMPORT_PDF_MAX_PAGES = int(os.environ.get("IMPORT_PDF_MAX_PAGES", "30"))
IMPORT_OCR_TIME_LIMIT = int(os.environ.get("IMPORT_OCR_TIME_LIMIT", "300"))
IMPORT_OCR_WORKERS = int(os.environ.get("IMPORT_OCR_WORKERS", str(min(4, os.cpu_count() or 1))))

# SIGNING
SIGNING_DIR = Path(os.environ.get("SIGNING_DIR", VAR_DIR / "signing"))
# An external RFC 3161 time-stamping service (e.g. the national CA's); unset: the system's own.
SIGNING_TSA_URL = os.environ.get("SIGNING_TSA_URL", "")
# Seconds to wait for a CA's CRL, OCSP responder or time-stamping service.
SIGNING_FETCH_TIMEOUT = float(os.environ.get("SIGNING_FETCH_TIMEOUT", "5"))
# Where the signing pages look for the signing agent (agent/, `kehoach-agent`) on the signer's
# computer; it listens on 127.0.0.1 only. The pages' Content-Security-Policy allows it.
SIGNING_AGENT_URL = os.environ.get("SIGNING_AGENT_URL", "http://127.0.0.1:19531").rstrip("/")
if SIGNING_AGENT_URL and SIGNING_AGENT_URL not in CSP_CONNECT_SRC:
    CSP_CONNECT_SRC = [*CSP_CONNECT_SRC, SIGNING_AGENT_URL]

# TIMERS
TIMER_INTERVAL_SECONDS = float(os.environ.get("TIMER_INTERVAL_SECONDS", "30"))
# Reminders of a consultation's deadline to the consulted unit, in working days before it
# ("1,0": the working day before and on the day; "" for none).
CONSULTATION_REMINDERS = [
    int(n) for n in os.environ.get("CONSULTATION_REMINDERS", "1,0").split(",") if n.strip()
]
# A task open longer than its step allows (documents/steps.py, escalate_after_working_days) is
# escalated to the head of the unit holding it; "budget_review=10,sign=2" changes some steps,
# "vetting=0" turns one off.
TASK_ESCALATION = {
    step.strip(): int(days)
    for step, _sep, days in (
        item.partition("=") for item in os.environ.get("TASK_ESCALATION", "").split(",")
    )
    if step.strip() and days.strip()
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "fontTools": {"level": "WARNING"},
        "pyhanko": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

# SEAL KEY: where the agency's seal (khóa con dấu) private key lives. "file": created on first use
# and stored encrypted in the database; "pkcs11": in a PKCS#11 token / HSM, created there by
# `manage.py seal_key_init` (non-extractable). SoftHSM2 (Debian softhsm2) stands in for a token.
SEAL_KEY_BACKEND = os.environ.get("SEAL_KEY_BACKEND", "file")
SEAL_PKCS11_MODULE = os.environ.get("SEAL_PKCS11_MODULE", "/usr/lib/softhsm/libsofthsm2.so")
SEAL_PKCS11_TOKEN_LABEL = os.environ.get("SEAL_PKCS11_TOKEN_LABEL", "seal")
SEAL_PKCS11_PIN = os.environ.get("SEAL_PKCS11_PIN", "")
SEAL_PKCS11_KEY_TYPE = os.environ.get("SEAL_PKCS11_KEY_TYPE", "ec")  # "ec" (P-256) | "rsa" (3072)
# Label of the seal key pair and certificate in the token; unset: "seal-<unit code>". For a token
# whose certificate an external CA issued (`manage.py seal_token_register`), the label it has.
SEAL_PKCS11_KEY_LABEL = os.environ.get("SEAL_PKCS11_KEY_LABEL", "")

# VERIFICATION: the public page /kiem-tra/ and POST /api/v1/verify/.
# Anonymous and CPU-heavy: at most this many per client address and minute (shared cache)…
VERIFY_RATE_PER_MINUTE = int(os.environ.get("VERIFY_RATE_PER_MINUTE", "20"))
# … and this many at once per process; a request waits this long for a place, then gets a 429.
VERIFY_MAX_CONCURRENT = int(os.environ.get("VERIFY_MAX_CONCURRENT", "2"))
VERIFY_QUEUE_SECONDS = float(os.environ.get("VERIFY_QUEUE_SECONDS", "3"))
# The absolute address printed (link and QR code) in every issued PDF; must be reachable by readers.
# Derived, when unset, from the address this server is served on (scripts/serve.sh exports HOST
# and PORT). An issued PDF never changes: issuance is refused while this address does not reach
# this server (documents.verification.public_address_check; PUBLIC_BASE_URL_CHECK=0 skips it).
SERVED_URL = f"http://{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
PUBLIC_BASE_URL = (os.environ.get("PUBLIC_BASE_URL") or SERVED_URL).rstrip("/")
PUBLIC_BASE_URL_CHECK = os.environ.get("PUBLIC_BASE_URL_CHECK", "1") == "1"
# Written into every certificate the system's CA issues: where its CRL is published.
SIGNING_CRL_URL = os.environ.get("SIGNING_CRL_URL") or f"{PUBLIC_BASE_URL}/api/v1/trust/crl/"
# Largest PDF accepted for verification, in bytes.
VERIFY_MAX_BYTES = int(os.environ.get("VERIFY_MAX_BYTES", str(20 * 1024 * 1024)))
