"""Replies stream outside the request: POST answers 202, a Celery task asks Claude with the SDK's streaming, and
the reply reaches /ws/coach/<id>/ as token, tool, proposal and done (or error) events through the Redis channel
layer, read here through the real ASGI application and round-tripped through JSON as the browser gets them."""

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from celery.contrib.testing.worker import start_worker
from channels.testing import WebsocketCommunicator
from django.test import Client
from rest_framework_simplejwt.tokens import RefreshToken

from coach.models import Ask, Message, Proposal
from mltrainer_site.asgi import application
from mltrainer_site.celery import app as celery_app
from tests.fakes.fake_anthropic import text, tool_use

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def chat(alice, team_a):
    """A conversation of team A (no data needed: these replies only talk, or propose what cannot be valid)."""
    from coach.services import conversation_start

    return conversation_start(team=team_a, user=alice, goal="Understand why momentum fails net of costs", title="")


def _bearer(user):
    return [(b"authorization", f"Bearer {RefreshToken.for_user(user).access_token}".encode())]


async def _follow(conversation_id: int, headers, *, act=None, until=("done", "error"), timeout=30) -> list[dict]:
    """Connect, do `act` (sync, in a thread) once connected, and collect the events until one of `until`."""
    communicator = WebsocketCommunicator(application, f"/ws/coach/{conversation_id}/", headers=headers)
    connected, _ = await communicator.connect(timeout=10)
    assert connected
    events = [await communicator.receive_json_from(timeout=10)]
    try:
        if act is not None:
            await sync_to_async(act, thread_sensitive=False)()
        while events[-1]["type"] not in until:
            events.append(await communicator.receive_json_from(timeout=timeout))
    finally:
        await communicator.disconnect()
    return events


async def _connect(conversation_id: int, headers):
    communicator = WebsocketCommunicator(application, f"/ws/coach/{conversation_id}/", headers=headers)
    connected, code = await communicator.connect(timeout=5)
    state = await communicator.receive_json_from(timeout=5) if connected else None
    await communicator.disconnect()
    return connected, code, state


def _ask_and_answer(user, conversation, message: str):
    """What the page does (POST, 202) and then what the worker does (the task), run in this process."""
    from coach.tasks import answer_ask
    from tests.conftest import api_client_for

    def act():
        posted = api_client_for(user).post(
            f"/api/coach/conversations/{conversation.pk}/messages/", {"text": message}, format="json"
        )
        assert posted.status_code == 202, posted.content
        assert posted.json()["status"] == "queued" and posted.json()["socket"] == f"/ws/coach/{conversation.pk}/"
        answer_ask.apply(args=[posted.json()["id"]], throw=True)

    return act


def test_the_reply_streams_tokens_tools_proposals_then_done(alice, bob, chat, fake_claude):
    fake_claude.reply(
        text("Momentum on SPX has failed net of costs before. "),
        tool_use({"name": "momentum probe", "model": "quantum_oracle", "data": {"symbol": "SPX"}}, block_id="tu_1"),
    )
    fake_claude.reply(text("That model does not exist; I will not propose it again."))

    events = async_to_sync(_follow)(chat.pk, _bearer(bob), act=_ask_and_answer(alice, chat, "Try momentum?"))

    assert events[0] == {"type": "state", "conversation": chat.pk, "pending": []}
    kinds = [event["type"] for event in events[1:]]
    assert kinds[-2:] == ["proposal", "done"] and "tool" in kinds and kinds[0] == "token"
    ask = Ask.objects.get()
    assert all(event["ask"] == ask.pk for event in events[1:])
    tokens = [event["text"] for event in events if event["type"] == "token"]
    assert len(tokens) > 5  # it came in pieces, as it was generated
    reply = Message.objects.get(role="assistant")
    assert "".join(tokens) == reply.text.replace("\n\n", "")
    [tool] = [event for event in events if event["type"] == "tool"]
    assert tool["name"] == "propose_trial" and tool["input"]["model"] == "quantum_oracle"  # put together from deltas
    assert tool["summary"] == "proposed momentum probe: invalid"
    # The tool step comes between the first answer's text and the follow-up's.
    assert kinds.index("tool") < len(kinds) - 3 and kinds[kinds.index("tool") + 1] == "token"
    proposal = Proposal.objects.get()
    assert events[-2]["proposal"]["id"] == proposal.pk and events[-2]["proposal"]["status"] == "invalid"
    assert events[-1]["message"]["id"] == reply.pk and events[-1]["message"]["usage"]["requests"] == 2
    assert ask.status == "answered" and ask.reply == reply
    # The request was a streamed one, with the tools.
    assert all(body["stream"] is True for body in fake_claude.bodies)


def test_a_failed_reply_says_error_and_leaves_the_conversation_as_it_was(alice, chat, fake_claude):
    fake_claude.reply(text("Half an answer that must not be kept"), fail_midway="overloaded_error")

    events = async_to_sync(_follow)(chat.pk, _bearer(alice), act=_ask_and_answer(alice, chat, "Hello?"))

    assert events[-1]["type"] == "error"
    assert events[-1]["message"] == "Anthropic is overloaded (529, during the reply), try again"
    assert "token" in [event["type"] for event in events]  # it had started
    assert not Message.objects.exists() and not Proposal.objects.exists()
    ask = Ask.objects.get()
    assert ask.status == "failed" and ask.text == "Hello?"


def test_the_socket_is_for_the_team_only(chat, bob, victor, charlie):
    assert async_to_sync(_connect)(chat.pk, _bearer(charlie))[0] is False
    assert async_to_sync(_connect)(chat.pk, [])[0] is False
    assert async_to_sync(_connect)(chat.pk, [(b"authorization", b"Bearer not-a-token")])[0] is False
    assert async_to_sync(_connect)(chat.pk + 10_000, _bearer(bob))[0] is False
    connected, _, state = async_to_sync(_connect)(chat.pk, _bearer(victor))  # viewers read along
    assert connected and state["conversation"] == chat.pk


def test_the_socket_takes_the_session_cookie_from_our_origin_only(chat, bob):
    client = Client()
    client.force_login(bob)
    cookie = (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())
    assert async_to_sync(_connect)(chat.pk, [cookie, (b"origin", b"http://127.0.0.1:8000")])[0] is True
    assert async_to_sync(_connect)(chat.pk, [cookie, (b"origin", b"https://evil.example")])[0] is False


def test_a_pending_message_is_in_the_first_event(alice, chat, api_as, fake_claude):
    posted = api_as(alice).post(f"/api/coach/conversations/{chat.pk}/messages/", {"text": "hi"}, format="json")

    connected, _, state = async_to_sync(_connect)(chat.pk, _bearer(alice))

    assert connected and state["pending"] == [{"ask": posted.json()["id"], "status": "queued"}]


@pytest.mark.integration
def test_a_real_worker_answers_and_the_reply_streams(alice, chat, fake_claude):
    from tests.conftest import api_client_for

    fake_claude.reply(text("A real worker streams this reply to you."))

    def post():
        posted = api_client_for(alice).post(
            f"/api/coach/conversations/{chat.pk}/messages/", {"text": "Are you there?"}, format="json"
        )
        assert posted.status_code == 202

    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30, loglevel="WARNING"):
        events = async_to_sync(_follow)(chat.pk, _bearer(alice), act=post, timeout=60)

    assert events[-1]["type"] == "done"
    assert "".join(e["text"] for e in events if e["type"] == "token") == "A real worker streams this reply to you."
    assert Ask.objects.get().status == "answered"
    assert list(Message.objects.values_list("role", "text")) == [
        ("user", "Are you there?"),
        ("assistant", "A real worker streams this reply to you."),
    ]
