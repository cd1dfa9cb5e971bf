"""Retention: conversations untouched for COACH_RETENTION_DAYS go with their memory, except those whose proposals
launched a trial; the audit trail and the token accounting stay; the deletions are counted in /metrics."""

from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client import REGISTRY

from coach.models import Conversation, Message, Topic, Usage
from coach.services import conversation_start
from coach.tasks import prune_conversations
from compliance.models import Decision
from tests.fakes.fake_anthropic import text, tool_use

pytestmark = pytest.mark.django_db


def deleted(kind: str) -> float:
    return REGISTRY.get_sample_value("mltrainer_coach_retention_deleted_total", {"kind": kind}) or 0.0


def test_retention_deletes_only_what_it_should(
    alice, api_as, team_a, fake_claude, proposal_input, say, settings, bundled
):
    settings.COACH_RETENTION_DAYS = 30
    stale = conversation_start(team=team_a, user=alice, goal="old chat", title="stale")
    fake_claude.reply(tool_use({"model": "ridge", "symbol": "SPX"}, name="search_trials"))
    fake_claude.reply(text("Old talk."))
    say(alice, stale)
    launched = conversation_start(team=team_a, user=alice, goal="old but launched", title="launched")
    fake_claude.reply(tool_use(proposal_input))
    fake_claude.reply(text("Launch it."))
    [card] = say(alice, launched).json()["reply"]["proposals"]
    assert api_as(alice).post(f"/api/coach/proposals/{card['id']}/launch/").status_code == 201
    recent = conversation_start(team=team_a, user=alice, goal="new chat", title="recent")
    long_ago = timezone.now() - timedelta(days=31)
    Conversation.objects.filter(pk__in=[stale.pk, launched.pk]).update(updated_at=long_ago)
    decisions, usage = Decision.objects.count(), Usage.objects.count()
    before = deleted("conversation"), deleted("message")
    assert Topic.objects.filter(message__conversation=stale).exists()

    prune_conversations.apply(throw=True)

    assert set(Conversation.objects.values_list("title", flat=True)) == {"launched", "recent"}
    assert not Message.objects.filter(conversation_id=stale.pk).exists()
    assert not Topic.objects.filter(message__conversation_id=stale.pk).exists()
    assert Decision.objects.count() == decisions  # the audit trail stays
    assert Usage.objects.count() == usage and Usage.objects.filter(conversation__isnull=True).count() == 2
    assert deleted("conversation") - before[0] == 1 and deleted("message") - before[1] == 2
    assert recent.pk in Conversation.objects.values_list("pk", flat=True)


def test_retention_off_keeps_everything(alice, team_a, settings):
    settings.COACH_RETENTION_DAYS = 0
    old = conversation_start(team=team_a, user=alice, goal="x", title="old")
    Conversation.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=3650))

    prune_conversations.apply(throw=True)

    assert Conversation.objects.filter(pk=old.pk).exists()
