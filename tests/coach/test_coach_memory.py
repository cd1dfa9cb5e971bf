"""Memory: messages indexed by topic and searched with the database's full-text search; the search_memory tool
finds what the team learned in an earlier conversation, and nothing of another team's."""

import json

import pytest

from coach.models import Topic
from coach.services import conversation_start
from tests.fakes.fake_anthropic import text, tool_use

pytestmark = pytest.mark.django_db


def test_memory_finds_an_earlier_conversations_fact(alice, charlie, team_a, team_b, fake_claude, say, bundled):
    earlier = conversation_start(team=team_a, user=alice, goal="Momentum", title="March review")
    fake_claude.reply(
        text("Momentum on SPX failed net of costs in March: turnover ate the edge."),
        tool_use({"model": "momentum_rule", "symbol": "SPX"}, name="search_trials", block_id="tu_lookup"),
    )
    fake_claude.reply(text("Noted for later."))
    say(alice, earlier, "Why did momentum fail?")
    theirs = conversation_start(team=team_b, user=charlie, goal="Momentum too", title="Team B")
    fake_claude.reply(text("Team B found momentum wonderful net of costs."))
    say(charlie, theirs, "Momentum?")

    reply_topics = set(Topic.objects.filter(team=team_a).values_list("kind", "value"))
    assert {("model", "momentum_rule"), ("symbol", "SPX")} <= reply_topics

    now = conversation_start(team=team_a, user=alice, goal="Something new", title="April")
    by_topic = tool_use({"query": "", "model": "momentum_rule"}, name="search_memory", block_id="tu_topic")
    fake_claude.reply(tool_use({"query": "momentum costs"}, name="search_memory", block_id="tu_mem"), by_topic)
    fake_claude.reply(text("We learned in March that momentum failed net of costs."))

    say(alice, now, "Have we tried momentum before?")

    answers = {b["tool_use_id"]: json.loads(b["content"]) for b in fake_claude.bodies[-1]["messages"][-1]["content"]}
    found = answers["tu_mem"]["found"]
    assert {row["title"] for row in found} == {"March review"}
    assert found[0]["role"] == "assistant" and "failed net of costs in March" in found[0]["text"]  # best match
    assert "wonderful" not in json.dumps(answers)  # team B's conversation is not the team's memory
    assert [row["title"] for row in answers["tu_topic"]["found"]] == ["March review"]
