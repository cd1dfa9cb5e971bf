"""A trials export reads its rows by keyset pages (trials.selectors.trial_export_rows): every trial once, in the
list's order, across pages whose edges fall inside runs of trials created at the same moment. Each row's line is
kept for the next export (trials.exports.trial_line), and made again when anything of the row changes."""

import csv
import io

import pytest
from django.utils import timezone

from tests.factories import StoredTrialFactory, StudyFactory
from trials import selectors
from trials.exports import trial_line
from trials.models import Trial

pytestmark = pytest.mark.django_db


@pytest.fixture
def tied(alice, team_a, charlie, team_b):
    """23 trials of team A, created at four moments only (runs of ties), of two statuses; one of team B."""
    moments = [timezone.now() - timezone.timedelta(minutes=k) for k in range(4)]
    made = StoredTrialFactory.create_batch(23, team=team_a, created_by=alice)
    for n, trial in enumerate(made):
        Trial.objects.filter(pk=trial.pk).update(created_at=moments[n % 4], status="failed" if n % 3 else "succeeded")
    StoredTrialFactory(team=team_b, created_by=charlie)
    return made


def _exported_ids(client, path: str) -> list[int]:
    text = b"".join(client.get(path).streaming_content).decode()
    return [int(row["id"]) for row in csv.DictReader(io.StringIO(text))]


@pytest.mark.parametrize("first, size", [(1, 1), (2, 3), (5, 4), (200, 2000)])
@pytest.mark.parametrize("query", ["", "?status=failed"])
def test_every_trial_once_in_the_lists_order(tied, alice, api_as, monkeypatch, first, size, query):
    monkeypatch.setattr(selectors, "EXPORT_FIRST_PAGE", first)
    monkeypatch.setattr(selectors, "EXPORT_PAGE", size)
    filters = {"status": "failed"} if query else {}
    expected = list(selectors.trial_list(user=alice, filters=filters).values_list("pk", flat=True))
    assert _exported_ids(api_as(alice), f"/api/trials/export.csv{query}") == expected
    assert len(expected) == (15 if query else 23)


def test_a_study_export_pages_by_id(alice, team_a, api_as, monkeypatch):
    monkeypatch.setattr(selectors, "EXPORT_FIRST_PAGE", 2)
    monkeypatch.setattr(selectors, "EXPORT_PAGE", 3)
    study = StudyFactory(team=team_a, created_by=alice)
    made = StoredTrialFactory.create_batch(8, team=team_a, created_by=alice, study=study)
    assert _exported_ids(api_as(alice), f"/api/studies/{study.pk}/export.csv") == sorted(t.pk for t in made)


def test_an_order_the_pages_cannot_follow_is_refused(alice, tied):
    with pytest.raises(ValueError, match="keyset"):
        next(selectors.trial_export_rows(selectors.trial_list(user=alice).order_by("name")))


def _exported(client) -> dict[str, dict]:
    text = b"".join(client.get("/api/trials/export.csv").streaming_content).decode()
    return {row["id"]: row for row in csv.DictReader(io.StringIO(text))}


def test_an_unchanged_trial_is_formatted_once(tied, alice, api_as):
    client = api_as(alice)
    trial_line.cache_clear()
    first = _exported(client)
    assert trial_line.cache_info().misses == len(first) == 23
    Trial.objects.filter(pk=tied[0].pk).update(metrics={**tied[0].metrics, "sharpe": 9.25})
    again = _exported(client)
    assert trial_line.cache_info().misses == 24 and trial_line.cache_info().hits == 22
    assert {k: v for k, v in again.items() if k != str(tied[0].pk)} == {
        k: v for k, v in first.items() if k != str(tied[0].pk)
    }


def test_a_kept_line_is_made_again_when_anything_of_its_row_changes(tied, alice, api_as):
    client = api_as(alice)
    _exported(client)
    changed, renamed = tied[0], tied[1]
    # Behind the ORM's back (no signal, no save): the export must see it all the same.
    Trial.objects.filter(pk=changed.pk).update(metrics={**changed.metrics, "sharpe": 9.25}, status="succeeded")
    Trial.objects.filter(pk=renamed.pk).update(name="=renamed", params={"C": 7}, costs={"commission_bps": 3.5})
    alice.username = "alice2"
    alice.save()
    again = _exported(client)
    assert again[str(changed.pk)]["sharpe"] == "9.25" and again[str(changed.pk)]["status"] == "succeeded"
    assert again[str(renamed.pk)]["name"] == "'=renamed" and again[str(renamed.pk)]["params"] == '{"C": 7}'
    assert again[str(renamed.pk)]["commission_bps"] == "3.5"
    assert {row["created_by"] for row in again.values()} == {"alice2"}
