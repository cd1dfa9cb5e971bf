"""The shape every watching socket shares: join one object's group, send its state, forward its events while the
user may still see it (trials.consumers, coach.consumers)."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.contrib.auth import get_user_model

from observability.metrics import websocket_closed, websocket_opened


def user_active(user) -> bool:
    """Not type(user): a session-authenticated scope holds Channels' UserLazyObject, whose type has no manager."""
    return get_user_model().objects.filter(pk=user.pk, is_active=True).exists()


class GroupWatchConsumer(AsyncJsonWebsocketConsumer):
    """Subclasses name the URL's id (`url_kwarg`), the group of an id (`group_of`), the first event or None for no
    access (`current_state`, sync, run in a thread) and whether the user may still see it (`still_allowed`)."""

    url_kwarg = ""
    counted = False  # in mltrainer_websocket_connections: only sockets that were accepted

    def group_of(self, object_id: int) -> str:
        raise NotImplementedError

    def current_state(self, user, object_id: int) -> dict | None:
        raise NotImplementedError

    def still_allowed(self, user, object_id: int) -> bool:
        raise NotImplementedError

    async def connect(self):
        self.object_id = int(self.scope["url_route"]["kwargs"][self.url_kwarg])
        self.group = self.group_of(self.object_id)
        # Join before reading the state, so no event between the read and the join is lost.
        await self.channel_layer.group_add(self.group, self.channel_name)
        user = self.scope.get("user")
        state = None if user is None else await database_sync_to_async(self.current_state)(user, self.object_id)
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

    async def forward(self, event, *, check: bool = True) -> None:
        """Send an event's payload; first, unless told not to, check that the user may still see the object (a
        member removed from the team, or deactivated, stops receiving events: 4403)."""
        allowed = not check or await database_sync_to_async(self.still_allowed)(self.scope["user"], self.object_id)
        if not allowed:
            await self.close(code=4403)
            return
        await self.send_json(event["payload"])
