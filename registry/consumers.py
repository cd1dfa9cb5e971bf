"""WebSocket /ws/registry/versions/<id>/: checks access, joins the version's group, forwards its refit progress."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from .selectors import version_get_by_id
from .services import version_event


@database_sync_to_async
def _state(user, version_id: int) -> dict | None:
    version = version_get_by_id(user=user, version_id=version_id)
    return None if version is None else version_event(version, kind="version.state")


class VersionConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.version_id = int(self.scope["url_route"]["kwargs"]["version_id"])
        self.group = f"version.{self.version_id}"
        await self.channel_layer.group_add(self.group, self.channel_name)  # before the read: no event lost
        state = await _state(self.scope.get("user"), self.version_id)
        if state is None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await self.close(code=4404)
            return
        await self.accept()
        await self.send_json(state)

    async def disconnect(self, code):
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def version_event(self, event):
        if await _state(self.scope["user"], self.version_id) is None:  # removed from the team meanwhile
            await self.close(code=4403)
            return
        await self.send_json(event["payload"])
