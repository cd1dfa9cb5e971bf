"""The gateway keeps each team's rules between submissions and reads them again as soon as any rule changes, in
this process or another one (the shared generation in the cache)."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compliance.models import ModelRule
from compliance.services import ComplianceRejected
from mltrainer_site.process_cache import GENERATION_KEY

pytestmark = pytest.mark.django_db


def _rule_queries(call) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        call()
    return [q["sql"] for q in queries.captured_queries if "rule" in q["sql"].split("FROM", 1)[-1][:60]]


def test_unchanged_rules_are_not_read_again_yet_still_apply(alice, team_a, submit, rule):
    rule(ModelRule, team=team_a, mode="ban", families="forest", reason="forests are too slow")
    assert _rule_queries(lambda: submit(alice, team_a))  # the first submission reads the rules
    assert _rule_queries(lambda: submit(alice, team_a)) == []  # the next ones do not
    with pytest.raises(ComplianceRejected) as refused:
        submit(alice, team_a, model="random_forest_classifier", params={})
    assert "forests are too slow" in refused.value.summary()


def test_a_change_made_by_another_process_is_read_at_the_next_submission(alice, team_a, submit, rule):
    banned = rule(ModelRule, team=team_a, mode="ban", families="forest", reason="no forests")
    submit(alice, team_a)
    # Another process (the admin on another web worker) lifts the ban: this process hears of it only through the
    # shared generation. QuerySet.update() sends no signal, so this process's own invalidation does not run.
    ModelRule.objects.filter(pk=banned.pk).update(enabled=False)
    with pytest.raises(ComplianceRejected):  # still the rules this process keeps: the cache is real
        submit(alice, team_a, model="random_forest_classifier", params={})
    cache.set(GENERATION_KEY, "another process saved a rule")
    assert submit(alice, team_a, model="random_forest_classifier", params={}).status == "queued"


def test_saving_a_rule_changes_the_shared_generation_after_commit(team_a, rule, django_capture_on_commit_callbacks):
    before = cache.get(GENERATION_KEY)
    with django_capture_on_commit_callbacks(execute=False) as pending:
        banned = rule(ModelRule, team=team_a, mode="ban", families="forest")
    assert cache.get(GENERATION_KEY) == before  # not before the change is committed
    for callback in pending:
        callback()
    after_save = cache.get(GENERATION_KEY)
    assert after_save not in (None, before)
    with django_capture_on_commit_callbacks(execute=True):
        banned.delete()
    assert cache.get(GENERATION_KEY) not in (None, after_save)
