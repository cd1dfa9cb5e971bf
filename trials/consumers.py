"""WebSocket /ws/trials/<id>/: checks access, joins the trial's group, forwards its events."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.contrib.auth import get_user_model

from observability.metrics import websocket_closed, websocket_opened

from .events import group_name, trial_event
from .selectors import trial_get, trial_list


@database_sync_to_async
def _current_state(user, trial_id: int) -> dict | None:
    trial = trial_get(user=user, trial_id=trial_id)
    return None if trial is None else trial_event(trial, kind="trial.state")


@database_sync_to_async
def _still_allowed(user, trial_id: int) -> bool:
    """Checked before every event: a member removed from the team, or deactivated, stops receiving them."""
    active = get_user_model().objects.filter(pk=user.pk, is_active=True).exists()
    return active and trial_list(user=user).filter(pk=trial_id).exists()


class TrialConsumer(AsyncJsonWebsocketConsumer):
    counted = False  # in mltrainer_websocket_connections: only sockets that were accepted

    async def connect(self):
        self.trial_id = trial_id = int(self.scope["url_route"]["kwargs"]["trial_id"])
        self.group = group_name(trial_id)
        # Join before reading the state, so no event between the read and the join is lost.
        await self.channel_layer.group_add(self.group, self.channel_name)
        state = await _current_state(self.scope.get("user"), trial_id)
        if state is None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await self.close(code=4404)  # before accept: the handshake is refused
            return
        await self.accept()
        self.counted = True
        websocket_opened()
        await self.send_json(state)

    async def disconnect(self, code):
        if self.counted:
            self.counted = False
            websocket_closed()
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def trial_event(self, event):
        if not await _still_allowed(self.scope["user"], self.trial_id):
            await self.close(code=4403)
            return
        await self.send_json(event["payload"])
