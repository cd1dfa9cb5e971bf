"""WebSocket routes."""

from django.urls import path

from coach.consumers import CoachConsumer
from trials.consumers import TrialConsumer

from . import converters  # noqa: F401 - registers <id:...>

websocket_urlpatterns = [
    path("ws/trials/<id:trial_id>/", TrialConsumer.as_asgi()),
    path("ws/coach/<id:conversation_id>/", CoachConsumer.as_asgi()),
]
