"""Budgets: every request's tokens are recorded against the user and the team and counted in /metrics by team and
model; past the team's monthly budget the coach answers 429 with the budget, the use and the reset; an admin caps
the tool rounds of one message."""

from datetime import UTC, datetime

import pytest
from prometheus_client import REGISTRY

from coach.models import Ask, TeamCoachSettings, Usage
from coach.selectors import month_bounds
from tests.fakes.fake_anthropic import text, tool_use

pytestmark = pytest.mark.django_db


def tokens_counted(**labels) -> float:
    return REGISTRY.get_sample_value("mltrainer_coach_tokens_total", labels) or 0.0


def test_every_request_is_recorded_with_its_cache_figures(alice, conversation, fake_claude, proposal_input, say):
    fake_claude.cache_read_tokens = 7
    before = tokens_counted(team="team-a", model="claude-sonnet-5-5", kind="cache_read")
    fake_claude.reply(tool_use(proposal_input))
    fake_claude.reply(text("Done."))

    reply = say(alice, conversation).json()["reply"]

    rows = list(Usage.objects.order_by("id"))
    assert len(rows) == 2 and all(row.team.slug == "team-a" and row.user == alice for row in rows)
    assert all(row.input_tokens > 0 and row.output_tokens > 0 and row.cache_read_tokens == 7 for row in rows)
    assert sum(row.input_tokens for row in rows) == reply["usage"]["input_tokens"]
    assert reply["usage"]["cache_read_input_tokens"] == 14
    assert tokens_counted(team="team-a", model="claude-sonnet-5-5", kind="cache_read") - before == 14


def test_past_the_budget_the_coach_answers_429_and_asks_nothing(alice, api_as, conversation, fake_claude, say, team_a):
    TeamCoachSettings.objects.create(team=team_a, monthly_token_budget=50)
    fake_claude.reply(text("A long answer " * 20))
    assert say(alice, conversation).json()["status"] == "answered"
    used = sum(row.total for row in Usage.objects.all())
    assert used > 50

    refused = say(alice, conversation, "Another?")

    assert refused.status_code == 429
    body = refused.json()
    assert body["budget"] == 50 and body["used"] == used
    assert body["resets_at"] == month_bounds()[1].isoformat()
    assert "budget of 50 tokens this month is used up" in body["detail"]
    assert len(fake_claude.requests) == 1 and Ask.objects.count() == 1
    usage = api_as(alice).get(f"/api/coach/conversations/{conversation.pk}/").json()["usage"]
    assert usage["used"] == used and usage["budget"] == 50


def test_the_month_resets_the_budget():
    start, resets = month_bounds(datetime(2026, 12, 31, 23, 0, tzinfo=UTC))
    assert (start, resets) == (datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))


def test_last_months_tokens_do_not_count(alice, conversation, fake_claude, say, team_a):
    TeamCoachSettings.objects.create(team=team_a, monthly_token_budget=50)
    fake_claude.reply(text("A long answer " * 20))
    say(alice, conversation)
    Usage.objects.update(created_at=month_bounds()[0].replace(year=2020))

    assert say(alice, conversation).json()["status"] == "answered"


def test_an_admin_caps_the_tool_rounds_of_one_message(alice, conversation, fake_claude, proposal_input, say, team_a):
    TeamCoachSettings.objects.create(team=team_a, max_tool_rounds=2)
    for n in range(3):
        fake_claude.reply(tool_use({**proposal_input, "name": f"probe {n}"}))

    say(alice, conversation)

    assert len(fake_claude.requests) == 2


def test_the_page_shows_the_usage(alice, conversation, fake_claude, say, team_a, client):
    TeamCoachSettings.objects.create(team=team_a, monthly_token_budget=1_000_000)
    fake_claude.reply(text("Hi."))
    say(alice, conversation)
    client.force_login(alice)

    page = client.get(f"/coach/{conversation.pk}/").content.decode()

    used = sum(row.total for row in Usage.objects.all())
    assert f"Coach tokens this month: {used} of 1000000 (resets {month_bounds()[1]:%Y-%m-%d})" in page
