"""A conversation belongs to its team: members read it, viewers only read, other teams see nothing (404)."""

import pytest

from coach.models import Conversation, Proposal
from tests.fakes.fake_anthropic import text, tool_use

pytestmark = pytest.mark.django_db


@pytest.fixture
def proposal(alice, conversation, fake_claude, proposal_input, say):
    fake_claude.reply(text("Here."), tool_use(proposal_input))
    fake_claude.reply(text("Yours to launch."))
    say(alice, conversation)
    return Proposal.objects.get()


def test_start_and_list_conversations(api_as, alice, bob, bundled):
    created = api_as(alice).post("/api/coach/conversations/", {"goal": "Beat buy and hold on IXIC"}, format="json")

    assert created.status_code == 201
    body = created.json()
    assert body["team"] == "team-a" and body["user"] == "alice" and body["title"] == "Beat buy and hold on IXIC"
    listed = api_as(bob).get("/api/coach/conversations/")
    assert [c["id"] for c in listed.json()] == [body["id"]]  # a team member sees it


def test_the_team_field_is_checked_against_memberships(api_as, alice, charlie):
    response = api_as(alice).post("/api/coach/conversations/", {"goal": "x", "team": "team-b"}, format="json")

    assert response.status_code == 400 and "team-b" in response.json()["team"]
    assert not Conversation.objects.exists()


def test_members_read_the_whole_conversation(api_as, bob, conversation, proposal):
    response = api_as(bob).get(f"/api/coach/conversations/{conversation.pk}/")

    assert response.status_code == 200
    messages = response.json()["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant"]
    assert messages[1]["proposals"][0]["id"] == proposal.pk


def test_charlie_gets_404_on_everything_of_team_a(api_as, charlie, conversation, proposal, fake_claude):
    client = api_as(charlie)
    base = f"/api/coach/conversations/{conversation.pk}/"
    requests_before = len(fake_claude.requests)

    assert client.get("/api/coach/conversations/").json() == []
    assert client.get(base).status_code == 404
    assert client.post(f"{base}messages/", {"text": "hi"}, format="json").status_code == 404
    assert client.post(f"/api/coach/proposals/{proposal.pk}/launch/").status_code == 404
    assert client.post(f"/api/coach/proposals/{proposal.pk}/dismiss/").status_code == 404
    assert len(fake_claude.requests) == requests_before  # charlie's message never reached Claude
    proposal.refresh_from_db()
    assert proposal.status == "proposed"


def test_viewers_read_but_cannot_start_or_talk(api_as, victor, conversation, fake_claude):
    client = api_as(victor)

    assert client.get(f"/api/coach/conversations/{conversation.pk}/").status_code == 200
    started = client.post("/api/coach/conversations/", {"goal": "x"}, format="json")
    said = client.post(f"/api/coach/conversations/{conversation.pk}/messages/", {"text": "hi"}, format="json")

    assert started.status_code == 403 and said.status_code == 403
    assert "viewers can only read" in said.json()["detail"]
    assert fake_claude.requests == []
