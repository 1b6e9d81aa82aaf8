"""The floor: a bare Django + Channels app doing the app's essential database work, nothing else.

Served exactly like the app (uvicorn, same worker count) on the same kind of database: SQLite
with the app's embedded options (WAL, IMMEDIATE transactions, 30 s busy timeout) and the in-memory
channel layer, or PostgreSQL (pooled connections, psycopg_pool) and channels-redis. Its database
is its own throw-away one (DATABASE_URL / SQLITE_PATH given by bench.run).
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = os.environ.get("SECRET_KEY", "bench-floor-only")
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = False
INSTALLED_APPS = ["channels", "bench.floor"]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "bench.floor.urls"
ASGI_APPLICATION = "bench.floor.asgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": []},
    }
]

DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
    # A pool per worker process (Django 5.1+ with psycopg_pool): no connection per request.
    DATABASES["default"]["OPTIONS"] = {"pool": {"min_size": 2, "max_size": 60, "timeout": 30}}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "floor.sqlite3")),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # redis-py 8 reads with a 5 s socket timeout by default, the same as channels_redis'
            # BZPOPMIN wait: an idle consumer's read then times out and the socket dies. A longer
            # read timeout keeps the floor a floor; so does a pool larger than the default 100
            # connections when hundreds of sockets join their groups at once.
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30, "max_connections": 1000}],
                "prefix": "benchfloor",
                # As the app: a worker's sockets share one queue, which drops beyond capacity.
                "capacity": 100000,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# The seal material and signed PDF of the issuance floor (bench.pdfloor), exported by bench.prepare.
FLOOR_MATERIAL = os.environ.get("FLOOR_MATERIAL", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
