"""CSV export of the audit trail, streamed row by row."""

from django.db.models import QuerySet

from security.csv_export import csv_response

from .models import Decision

DECISION_HEADER = ["id", "created_at", "stage", "outcome", "trial", "user", "team", "reasons", "rules"]


def _reasons(decision: Decision) -> str:
    return " | ".join(f"[{r.get('rule')}] {r.get('message')}" for r in decision.reasons)


def _rules(decision: Decision) -> str:
    # kind#id@history_id: enough to find the exact rule version in the admin's history.
    return " ".join(f"{r.get('kind')}#{r.get('id')}@{r.get('history_id')}" for r in decision.rules)


def decision_row(decision: Decision) -> list:
    return [
        decision.pk,
        decision.created_at.isoformat(),
        decision.stage,
        decision.outcome,
        decision.trial_id,
        decision.username,
        decision.team_slug,
        _reasons(decision),
        _rules(decision),
    ]


def decision_csv_response(decisions: QuerySet[Decision], *, header: list[str]):
    rows = (decision_row(d) for d in decisions.iterator(chunk_size=500))
    return csv_response("compliance-decisions.csv", header, rows)
