"""ASGI entry point: Django for HTTP, Channels for WebSockets (notifications).

Run with `uvicorn config.asgi:application`. Django is set up (get_asgi_application) before anything
that imports models, such as the WebSocket routes.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from notifications.auth import TokenAuthMiddlewareStack  # noqa: E402
from notifications.routing import websocket_urlpatterns  # noqa: E402

# Static files: WhiteNoise, in Django's middleware (config/settings/base.py).
http_application = django_asgi_app

application = ProtocolTypeRouter(
    {
        "http": http_application,
        # Origin check against ALLOWED_HOSTS (no cross-site sockets riding on the session cookie),
        # then the session user, then a single-use ticket (?ticket=) or an API token (Authorization).
        "websocket": AllowedHostsOriginValidator(
            TokenAuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
