"""Coach messages are paid Anthropic calls: limited per user and per team (429 with Retry-After, nothing sent)."""

import pytest
from django.test import Client

from coach.models import Ask
from coach.services import conversation_start
from coach.tasks import answer_ask
from mltrainer_site.env import Rate
from tests.fakes.fake_anthropic import text

pytestmark = pytest.mark.django_db


def test_a_user_past_the_limit_gets_429_and_claude_is_not_called(alice, conversation, fake_claude, say, settings):
    settings.RATE_COACH_PER_USER = Rate(3, 60)
    for _ in range(3):
        fake_claude.reply(text("Noted."))
    assert [say(alice, conversation).json()["status"] for _ in range(3)] == ["answered"] * 3
    response = say(alice, conversation)
    assert response.status_code == 429
    assert response.json()["detail"].startswith("your limit of 3 coach messages per minute is reached; try again in")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert len(fake_claude.requests) == 3  # the refused message cost nothing


def test_the_team_limit_counts_every_member(alice, bob, team_a, conversation, fake_claude, say, settings):
    settings.RATE_COACH_PER_USER = Rate(10, 60)
    settings.RATE_COACH_PER_TEAM = Rate(2, 3600)
    fake_claude.reply(text("One."))
    fake_claude.reply(text("Two."))
    bobs = conversation_start(team=team_a, user=bob, goal="Volatility forecasts for SPX", title="")
    assert say(alice, conversation).json()["status"] == "answered"
    assert say(bob, bobs).json()["status"] == "answered"
    response = say(bob, bobs)
    assert response.status_code == 429
    assert response.json()["detail"].startswith("team Team A's limit of 2 coach messages per hour is reached")


def test_the_coach_page_answers_429_too(alice, conversation, fake_claude, settings):
    settings.RATE_COACH_PER_USER = Rate(1, 60)
    fake_claude.reply(text("Noted."))
    browser = Client()
    browser.force_login(alice)
    url = f"/coach/{conversation.pk}/"
    assert browser.post(url, {"text": "first"}).status_code == 302
    answer_ask.apply(args=[Ask.objects.get().pk], throw=True)
    response = browser.post(url, {"text": "second"})
    assert response.status_code == 429 and "limit of 1 coach messages per minute" in response.content.decode()
