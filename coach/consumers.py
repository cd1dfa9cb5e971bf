"""WebSocket /ws/coach/<id>/: checks access to the conversation, joins its group, forwards the reply events.

Authenticated like the trial socket (accounts.ws_auth: the session cookie from our own origin, or a Bearer token);
a conversation of another team refuses the handshake (4404)."""

from accounts.consumers import GroupWatchConsumer, user_active

from .events import group_name
from .selectors import ask_pending_list, conversation_get


class CoachConsumer(GroupWatchConsumer):
    url_kwarg = "conversation_id"

    def group_of(self, object_id: int) -> str:
        return group_name(object_id)

    def current_state(self, user, object_id: int) -> dict | None:
        """The first event: the messages still waiting for a reply, so a page that (re)connects knows."""
        conversation = conversation_get(user=user, conversation_id=object_id)
        if conversation is None:
            return None
        pending = [{"ask": ask.pk, "status": ask.status} for ask in ask_pending_list(conversation=conversation)]
        return {"type": "state", "conversation": conversation.pk, "pending": pending}

    def still_allowed(self, user, object_id: int) -> bool:
        return user_active(user) and conversation_get(user=user, conversation_id=object_id) is not None

    async def coach_event(self, event):
        # Tokens come many a second: the access check runs on the events that end a reply and on tool steps.
        await self.forward(event, check=event["payload"]["type"] != "token")
