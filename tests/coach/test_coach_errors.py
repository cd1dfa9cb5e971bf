"""When the coach cannot answer: a clear message, nothing half-written, and never the key."""

import logging

import pytest

from coach.models import Message, Proposal
from tests.fakes.fake_anthropic import VALID_KEY, text, tool_use

pytestmark = pytest.mark.django_db


def test_no_key_answers_503_with_the_setting_to_set(alice, conversation, say, settings):
    settings.ANTHROPIC_API_KEY = ""

    response = say(alice, conversation)

    assert response.status_code == 503
    assert response.json() == {"detail": "The AI coach is not configured: set ANTHROPIC_API_KEY"}
    assert not Message.objects.exists()


def test_a_wrong_key_is_named_and_nothing_is_stored(alice, conversation, fake_claude, say, settings, caplog):
    wrong = "sk-ant-api03-wrong-key-that-must-never-leak-000000000000"
    settings.ANTHROPIC_API_KEY = wrong
    caplog.set_level(logging.DEBUG)

    response = say(alice, conversation)

    assert response.status_code == 502
    assert response.json() == {"detail": "Anthropic rejected the API key (401): check ANTHROPIC_API_KEY"}
    assert len(fake_claude.requests) == 1  # a 401 is not retried
    assert not Message.objects.exists()
    assert wrong not in response.content.decode()
    assert wrong not in caplog.text and wrong[-12:] not in caplog.text
    assert "Anthropic rejected the API key (401)" in caplog.text


def test_overloaded_is_retried_then_named(alice, conversation, fake_claude, say):
    fake_claude.fail_next(3, status=529)

    response = say(alice, conversation)

    assert response.status_code == 503
    assert response.json() == {"detail": "Anthropic is overloaded (529), try again"}
    assert len(fake_claude.requests) == 3  # the first try and the SDK's two retries
    assert not Message.objects.exists()


def test_an_overload_that_passes_is_invisible(alice, conversation, fake_claude, say):
    fake_claude.fail_next(1, status=529)
    fake_claude.reply(text("Back."))

    response = say(alice, conversation)

    assert response.status_code == 201 and response.json()["text"] == "Back."


def test_a_failed_follow_up_stores_nothing(alice, conversation, fake_claude, proposal_input, say):
    fake_claude.reply(text("One idea."), tool_use(proposal_input))
    fake_claude.reply_error(500, times=3)  # the follow-up answering the tool call fails, retries included

    response = say(alice, conversation)

    assert response.status_code == 503
    assert response.json()["detail"] == "Anthropic had an internal error (500), try again"
    assert len(fake_claude.requests) == 4
    assert not Message.objects.exists() and not Proposal.objects.exists()


def test_timeouts_are_named(alice, conversation, fake_claude, say, settings):
    settings.COACH_TIMEOUT_SECONDS = 0.3
    fake_claude.delay_next(3, 2.0)

    response = say(alice, conversation)

    assert response.status_code == 503
    assert response.json()["detail"] == "Anthropic did not answer within 0.3 s, try again"
    assert not Message.objects.exists()


def test_the_key_never_appears_in_responses_or_logs(
    alice, api_as, conversation, fake_claude, proposal_input, say, caplog
):
    caplog.set_level(logging.DEBUG)
    fake_claude.reply(text("Try it."), tool_use(proposal_input))
    fake_claude.reply(text("Done."))

    replies = [say(alice, conversation)]
    proposal_id = replies[0].json()["proposals"][0]["id"]
    replies += [
        api_as(alice).get(f"/api/coach/conversations/{conversation.pk}/"),
        api_as(alice).get("/api/coach/conversations/"),
        api_as(alice).post(f"/api/coach/proposals/{proposal_id}/launch/"),
    ]

    assert [r.status_code for r in replies] == [201, 200, 200, 201]
    for response in replies:
        assert VALID_KEY not in response.content.decode()
    assert VALID_KEY not in caplog.text and VALID_KEY[-16:] not in caplog.text
    assert VALID_KEY not in str(list(Message.objects.values_list("turns", flat=True)))
