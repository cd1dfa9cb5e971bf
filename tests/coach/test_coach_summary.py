"""Long conversations stay within COACH_HISTORY_TOKEN_BUDGET: the coach summarises the older messages, the summary
is stored and shown as such, and the messages after it are still replayed verbatim."""

import pytest
from django.test import Client

from coach.models import Summary
from tests.fakes.fake_anthropic import text

pytestmark = pytest.mark.django_db


def test_past_the_budget_older_turns_are_summarised(alice, conversation, fake_claude, say, settings):
    settings.COACH_HISTORY_TOKEN_BUDGET = 300
    for n in range(3):
        fake_claude.reply(text(f"Answer {n}: " + "momentum on SPX failed net of costs. " * 8))
        say(alice, conversation, f"Question {n}: " + "what about momentum? " * 5)
    assert not Summary.objects.exists()  # the history was under the budget so far
    fake_claude.reply(text("Momentum failed net of costs three times; next: volatility targets."))  # the summary
    fake_claude.reply(text("Then let us look at volatility."))

    ask = say(alice, conversation, "Where are we?").json()

    assert ask["status"] == "answered" and ask["reply"]["text"] == "Then let us look at volatility."
    summarising, answering = fake_claude.bodies[-2], fake_claude.bodies[-1]
    assert "tools" not in summarising and "Question 0" in summarising["messages"][0]["content"][0]["text"]
    summary = Summary.objects.get()
    assert summary.text.endswith("Momentum failed net of costs three times; next: volatility targets.")
    assert summary.messages == 2  # the first exchange; the last four messages stay verbatim
    sent = answering["messages"]
    assert sent[0]["content"][0]["text"] == summary.text
    assert "Question 0" not in str(sent) and "Question 1" in str(sent) and "Answer 2" in str(sent)
    assert sent[-1]["content"][-1]["text"] == "Where are we?"
    # The next message replays the summary and what follows it, without summarising again.
    fake_claude.reply(text("Still here."))
    settings.COACH_HISTORY_TOKEN_BUDGET = 100_000
    say(alice, conversation, "And now?")
    assert fake_claude.bodies[-1]["messages"][0]["content"][0]["text"] == summary.text
    page = Client()
    page.force_login(alice)
    shown = page.get(f"/coach/{conversation.pk}/").content.decode()
    assert "Summary of the 2 messages above, written by the coach" in shown and "three times" in shown
