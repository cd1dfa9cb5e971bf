"""A submission costs a handful of queries, whatever the rules: each process keeps the team's rules, the catalog's
switches, the dataset and its bar counts, and the user's block between submissions (mltrainer_site.process_cache),
and the trial is stored already marked as sent, so nothing is written after the commit."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compliance.models import ApprovalRule, InstrumentRule, ModelRule, ParamBoundRule, QuotaRule

pytestmark = pytest.mark.django_db


def _statements(client, payload, capture) -> tuple[dict, list[str]]:
    with CaptureQueriesContext(connection) as queries, capture(execute=True):
        response = client.post("/api/trials/", payload, format="json")
    assert response.status_code == 201, response.content
    sql = [q["sql"] for q in queries.captured_queries]
    return response.json(), [s for s in sql if not s.startswith(("BEGIN", "SAVEPOINT", "RELEASE", "COMMIT"))]


def test_a_submission_is_three_statements(
    bundled, alice, team_a, api_as, trial_payload, django_capture_on_commit_callbacks
):
    client = api_as(alice)
    first, _ = _statements(client, trial_payload, django_capture_on_commit_callbacks)  # reads what it keeps
    trial, statements = _statements(client, trial_payload, django_capture_on_commit_callbacks)
    assert trial["status"] == "queued" and trial["id"] == first["id"] + 1
    # The user (JWT) with their memberships and teams, the trial (marked as sent), the decision: nothing else.
    tables = [s.split('"', 2)[1] if s.startswith(("SELECT", "INSERT")) else s[:30] for s in statements]
    assert tables == ["accounts_user", "trials_trial", "compliance_decision"], statements


def test_rules_add_only_the_quota_locks_and_count(
    bundled, alice, team_a, api_as, trial_payload, django_capture_on_commit_callbacks
):
    for model, fields in (
        (ModelRule, {"mode": "ban", "families": "forest"}),
        (InstrumentRule, {"mode": "allow", "patterns": "SPX, IXIC"}),
        (ParamBoundRule, {"param": "n_estimators", "max_value": 500}),
        (QuotaRule, {"max_active_per_user": 100}),
        (ApprovalRule, {"when_folds_at_least": 19}),
    ):
        model.objects.create(team=team_a, reason="house rule", **fields)
    client = api_as(alice)
    _statements(client, trial_payload, django_capture_on_commit_callbacks)  # reads the rules once
    trial, statements = _statements(client, trial_payload, django_capture_on_commit_callbacks)
    assert trial["status"] == "queued"
    # The three above, plus the quota's locks (user, team) and its count: no rule and no rule history is read.
    assert len(statements) == 6, "\n".join(statements)
    assert not [s for s in statements if "rule" in s.split("FROM", 1)[-1][:60]], statements
