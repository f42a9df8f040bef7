"""ASGI entry point: Django over HTTP, the staff live-events socket over WebSocket."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "medspa.settings")

import django

django.setup(set_prefix=False)

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path  # noqa: E402

from medspa.accounts.asgi import ActorWebSocketMiddleware  # noqa: E402
from medspa.core.asgi_threads import PooledThreadASGIHandler  # noqa: E402
from medspa.core.consumers import LiveConsumer  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": PooledThreadASGIHandler(),
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(ActorWebSocketMiddleware(URLRouter([path("ws/live/", LiveConsumer.as_asgi())])))
        ),
    }
)
