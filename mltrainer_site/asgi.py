"""ASGI entry point: HTTP through Django, WebSockets through Channels with session or JWT auth."""

import os

import django

from observability.multiproc import clean_multiprocess_dir

from .handler import SyncChainASGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mltrainer_site.settings")
if not os.environ.get("MLTRAINER_METRICS_DIR_CLEANED"):  # mltrainer_site.serve cleans it once for all its workers
    clean_multiprocess_dir()  # before any metric exists in this process: the web server owns its directory
django.setup(set_prefix=False)  # what django.core.asgi.get_asgi_application does, with our handler
django_asgi_app = SyncChainASGIHandler()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402 - after Django is set up

from accounts.ws_auth import WebSocketAuthStack  # noqa: E402

from .routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": WebSocketAuthStack(URLRouter(websocket_urlpatterns)),
    }
)
