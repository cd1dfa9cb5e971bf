"""Live coach events: the JSON a conversation's WebSocket clients receive, sent to the group `coach.<id>`.

While a reply streams: {"type": "token", "text"} for each piece of text and {"type": "tool", "name", "input",
"summary"} for each tool the coach used. After the reply is stored: {"type": "proposal", "proposal"} per proposal,
then {"type": "done", "message"}; or, when it failed, {"type": "error", "message"} (nothing was stored). Every
event carries "ask", the id of the message being answered."""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


def group_name(conversation_id: int) -> str:
    return f"coach.{conversation_id}"


def send(*, conversation_id: int, payload: dict) -> None:
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(group_name(conversation_id), {"type": "coach.event", "payload": payload})


def proposal_payload(proposal) -> dict:
    """What a proposal card needs (the API's ProposalSerializer has the same fields)."""
    return {
        "id": proposal.pk,
        "conversation": proposal.conversation_id,
        "message": proposal.message_id,
        "status": proposal.status,
        "payload": proposal.payload,
        "rationale": proposal.rationale,
        "errors": proposal.errors,
        "compliance": proposal.compliance,
        "trial": proposal.trial_id,
        "kind": proposal.kind,
        "duplicate_of": proposal.duplicate_of_id,
    }
