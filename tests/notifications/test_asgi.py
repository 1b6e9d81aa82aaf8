import importlib

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.handlers.asgi import ASGIHandler

import config.asgi


def test_static_files_are_served_only_in_debug(settings):
    try:
        # given DEBUG (make run under uvicorn)
        settings.DEBUG = True
        # then HTTP goes through the static files handler
        assert isinstance(importlib.reload(config.asgi).http_application, ASGIStaticFilesHandler)

        # given production settings
        settings.DEBUG = False
        # then Django answers directly
        assert type(importlib.reload(config.asgi).http_application) is ASGIHandler
    finally:
        settings.DEBUG = False
        importlib.reload(config.asgi)
