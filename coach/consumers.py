"""WebSocket /ws/coach/<id>/: checks access to the conversation, joins its group, forwards the reply events.

Authenticated like the trial socket (accounts.ws_auth: the session cookie from our own origin, or a Bearer token);
a conversation of another team refuses the handshake (4404)."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.contrib.auth import get_user_model

from observability.metrics import websocket_closed, websocket_opened

from .events import group_name
from .selectors import ask_pending_list, conversation_get


@database_sync_to_async
def _current_state(user, conversation_id: int) -> dict | None:
    """The first event: the messages still waiting for a reply, so a page that (re)connects knows."""
    if user is None:
        return None
    conversation = conversation_get(user=user, conversation_id=conversation_id)
    if conversation is None:
        return None
    pending = [{"ask": ask.pk, "status": ask.status} for ask in ask_pending_list(conversation=conversation)]
    return {"type": "state", "conversation": conversation.pk, "pending": pending}


@database_sync_to_async
def _still_allowed(user, conversation_id: int) -> bool:
    """Checked before every event: a member removed from the team, or deactivated, stops receiving them."""
    # Not type(user): a session-authenticated scope holds Channels' UserLazyObject, whose type has no manager.
    active = get_user_model().objects.filter(pk=user.pk, is_active=True).exists()
    return active and conversation_get(user=user, conversation_id=conversation_id) is not None


class CoachConsumer(AsyncJsonWebsocketConsumer):
    counted = False

    async def connect(self):
        self.conversation_id = conversation_id = int(self.scope["url_route"]["kwargs"]["conversation_id"])
        self.group = group_name(conversation_id)
        # Join before reading the state, so no event between the read and the join is lost.
        await self.channel_layer.group_add(self.group, self.channel_name)
        state = await _current_state(self.scope.get("user"), conversation_id)
        if state is None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await self.close(code=4404)
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

    async def coach_event(self, event):
        # Tokens come many a second: the access check runs on the events that end a reply and on tool steps.
        if event["payload"]["type"] != "token" and not await _still_allowed(self.scope["user"], self.conversation_id):
            await self.close(code=4403)
            return
        await self.send_json(event["payload"])
