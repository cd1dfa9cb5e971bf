"""When the coach cannot answer: a clear message, nothing half-written in the conversation, the user's message kept
for a one-click retry, and never the key."""

import logging

import pytest

from coach.models import Ask, Message, Proposal
from tests.fakes.fake_anthropic import VALID_KEY, text, tool_use

pytestmark = pytest.mark.django_db


def test_no_key_answers_503_with_the_setting_to_set(alice, conversation, say, settings):
    settings.ANTHROPIC_API_KEY = ""

    response = say(alice, conversation)

    assert response.status_code == 503
    assert response.json() == {"detail": "The AI coach is not configured: set ANTHROPIC_API_KEY"}
    assert not Message.objects.exists() and not Ask.objects.exists()


def test_a_wrong_key_is_named_and_nothing_is_stored(alice, conversation, fake_claude, say, settings, caplog):
    wrong = "sk-ant-api03-wrong-key-that-must-never-leak-000000000000"
    settings.ANTHROPIC_API_KEY = wrong
    caplog.set_level(logging.DEBUG)

    response = say(alice, conversation)

    assert response.json()["status"] == "failed"
    assert response.json()["error"] == "Anthropic rejected the API key (401): check ANTHROPIC_API_KEY"
    assert len(fake_claude.requests) == 1  # a 401 is not retried
    assert not Message.objects.exists()
    assert wrong not in response.content.decode()
    assert wrong not in caplog.text and wrong[-12:] not in caplog.text
    assert "Anthropic rejected the API key (401)" in caplog.text


def test_overloaded_is_retried_then_named(alice, conversation, fake_claude, say):
    fake_claude.fail_next(3, status=529)

    response = say(alice, conversation)

    assert response.json()["status"] == "failed"
    assert response.json()["error"] == "Anthropic is overloaded (529), try again"
    assert len(fake_claude.requests) == 3  # the first try and the SDK's two retries
    assert not Message.objects.exists()


def test_an_overload_that_passes_is_invisible(alice, conversation, fake_claude, say):
    fake_claude.fail_next(1, status=529)
    fake_claude.reply(text("Back."))

    response = say(alice, conversation)

    assert response.json()["status"] == "answered" and response.json()["reply"]["text"] == "Back."


def test_a_failed_follow_up_stores_nothing(alice, conversation, fake_claude, proposal_input, say):
    fake_claude.reply(text("One idea."), tool_use(proposal_input))
    fake_claude.reply_error(500, times=3)  # the follow-up answering the tool call fails, retries included

    response = say(alice, conversation)

    assert response.json()["status"] == "failed"
    assert response.json()["error"] == "Anthropic had an internal error (500), try again"
    assert len(fake_claude.requests) == 4
    assert not Message.objects.exists() and not Proposal.objects.exists()


def test_timeouts_are_named(alice, conversation, fake_claude, say, settings):
    settings.COACH_TIMEOUT_SECONDS = 0.3
    fake_claude.delay_next(3, 2.0)

    response = say(alice, conversation)

    assert response.json()["status"] == "failed"
    assert response.json()["error"] == "Anthropic did not answer within 0.3 s, try again"
    assert not Message.objects.exists()


def test_the_key_never_appears_in_responses_or_logs(
    alice, api_as, conversation, fake_claude, proposal_input, say, caplog
):
    caplog.set_level(logging.DEBUG)
    fake_claude.reply(text("Try it."), tool_use(proposal_input))
    fake_claude.reply(text("Done."))

    replies = [say(alice, conversation)]
    proposal_id = replies[0].json()["reply"]["proposals"][0]["id"]
    replies += [
        api_as(alice).get(f"/api/coach/conversations/{conversation.pk}/"),
        api_as(alice).get("/api/coach/conversations/"),
        api_as(alice).post(f"/api/coach/proposals/{proposal_id}/launch/"),
    ]

    assert [r.status_code for r in replies] == [200, 200, 200, 201]
    for response in replies:
        assert VALID_KEY not in response.content.decode()
    assert VALID_KEY not in caplog.text and VALID_KEY[-16:] not in caplog.text
    assert VALID_KEY not in str(list(Message.objects.values_list("turns", flat=True)))


def test_a_stream_broken_off_stores_nothing_and_keeps_the_message(alice, conversation, fake_claude, say):
    fake_claude.reply(text("The first half of a thought"), fail_midway="overloaded_error")

    response = say(alice, conversation, "Is momentum worth a look?")

    assert response.json()["status"] == "failed"
    assert response.json()["error"] == "Anthropic is overloaded (529, during the reply), try again"
    assert not Message.objects.exists()
    assert Ask.objects.get().text == "Is momentum worth a look?"  # the user's message is kept


def test_a_failed_message_is_retried_with_one_click(alice, api_as, conversation, fake_claude, say):
    from coach.tasks import answer_ask

    fake_claude.fail_next(3, status=529)
    failed = say(alice, conversation, "What about volatility targets?").json()
    fake_claude.reply(text("Volatility is easier to forecast than direction."))

    retried = api_as(alice).post(f"/api/coach/asks/{failed['id']}/retry/")
    assert retried.status_code == 202 and retried.json()["status"] == "queued"
    answer_ask.apply(args=[failed["id"]], throw=True)

    ask = api_as(alice).get(f"/api/coach/asks/{failed['id']}/").json()
    assert ask["status"] == "answered" and ask["attempts"] == 2
    assert ask["reply"]["text"] == "Volatility is easier to forecast than direction."
    assert list(Message.objects.values_list("role", "text")) == [
        ("user", "What about volatility targets?"),
        ("assistant", "Volatility is easier to forecast than direction."),
    ]
    # Only a failed message is retried or discarded.
    assert api_as(alice).post(f"/api/coach/asks/{failed['id']}/retry/").status_code == 409
    assert api_as(alice).post(f"/api/coach/asks/{failed['id']}/discard/").status_code == 409


def test_a_failed_message_can_be_discarded(alice, api_as, conversation, fake_claude, say):
    fake_claude.fail_next(3, status=529)
    failed = say(alice, conversation).json()

    discarded = api_as(alice).post(f"/api/coach/asks/{failed['id']}/discard/")

    assert discarded.status_code == 200 and discarded.json()["status"] == "discarded"
    assert api_as(alice).get(f"/api/coach/conversations/{conversation.pk}/").json()["asks"] == []


def test_one_message_at_a_time_per_conversation(alice, api_as, conversation, fake_claude):
    url = f"/api/coach/conversations/{conversation.pk}/messages/"
    first = api_as(alice).post(url, {"text": "first"}, format="json")
    second = api_as(alice).post(url, {"text": "second"}, format="json")

    assert first.status_code == 202
    assert second.status_code == 409 and "still answering" in second.json()["detail"]
    assert list(Ask.objects.values_list("text", flat=True)) == ["first"]


def test_a_message_answered_twice_is_answered_once(alice, conversation, fake_claude, say):
    from coach.tasks import answer_ask

    fake_claude.reply(text("Once."))
    ask = say(alice, conversation).json()

    answer_ask.apply(args=[ask["id"]], throw=True)  # the task delivered again

    assert len(fake_claude.requests) == 1 and Message.objects.count() == 2


def test_a_member_removed_before_the_answer_gets_nothing(alice, api_as, conversation, fake_claude, team_a):
    from accounts.models import Membership
    from coach.tasks import answer_ask

    posted = api_as(alice).post(f"/api/coach/conversations/{conversation.pk}/messages/", {"text": "hi"}, format="json")
    Membership.objects.filter(user=alice, team=team_a).delete()

    answer_ask.apply(args=[posted.json()["id"]], throw=True)

    ask = Ask.objects.get()
    assert ask.status == "failed" and "you cannot talk to the coach in Team A" in ask.error
    assert fake_claude.requests == [] and not Message.objects.exists()
