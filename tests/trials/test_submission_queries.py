"""A submission costs a handful of queries, whatever the rules: the gateway keeps each team's rules between
submissions (compliance.services.rulebook_for_team)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compliance.models import ApprovalRule, InstrumentRule, ModelRule, ParamBoundRule, QuotaRule

pytestmark = pytest.mark.django_db


def test_a_submission_costs_a_handful_of_queries(
    alice, team_a, api_as, trial_payload, django_capture_on_commit_callbacks
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
    assert client.post("/api/trials/", trial_payload, format="json").status_code == 201  # reads the rules once
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/trials/", trial_payload, format="json")
    assert response.status_code == 201 and response.json()["status"] == "queued"
    sql = [q["sql"] for q in queries.captured_queries]
    statements = [s for s in sql if not s.startswith(("BEGIN", "SAVEPOINT", "RELEASE", "COMMIT"))]
    # The user (JWT), the team, the membership, the catalog entry, the dataset, bars in range, a block, the quota's
    # locks (user, team) and count, the trial, the decision, enqueued_at: no rule and no rule history is read.
    assert len(statements) <= 13, "\n".join(statements)
