"""WebSocket routes."""

from django.urls import path

from coach.consumers import CoachConsumer
from registry.consumers import VersionConsumer
from trials.consumers import TrialConsumer

from . import converters  # noqa: F401 - registers <id:...>

websocket_urlpatterns = [
    path("ws/trials/<id:trial_id>/", TrialConsumer.as_asgi()),
    path("ws/coach/<id:conversation_id>/", CoachConsumer.as_asgi()),
    path("ws/registry/versions/<id:version_id>/", VersionConsumer.as_asgi()),
]
