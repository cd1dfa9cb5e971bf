"""The API's trials are written out by hand for speed (trials.serializers.trial_json, trial_list_json and
trial_dict): they must say exactly what TrialSerializer and TrialListSerializer, the schema's description, say,
for every kind of trial, through the list, the detail and the answers to create, cancel, approve and reject."""

import json
from datetime import UTC, datetime

import pytest
from rest_framework.renderers import JSONRenderer

from tests.factories import StoredTrialFactory
from trials import selectors
from trials.models import Trial
from trials.serializers import TrialListSerializer, TrialSerializer, trial_dict, trial_json, trial_list_json

pytestmark = pytest.mark.django_db


def _drf(serializer) -> object:
    return json.loads(JSONRenderer().render(serializer.data))  # what the browser got from the serializer


@pytest.fixture
def varied(alice, team_a):
    """Trials that differ in every way a field can: no creator, unfinished, text to escape, other schemes, nested
    and empty JSON, a whole-second time, a DSR computed."""
    finished = datetime(2026, 11, 30, 8, 15, 0, tzinfo=UTC)
    return [
        StoredTrialFactory(team=team_a, created_by=alice, name='quote " backslash \\ ünïcødé ✓ </script>'),
        StoredTrialFactory(team=team_a, created_by=None, status="running", progress=0.5, finished_at=None),
        StoredTrialFactory(
            team=team_a,
            created_by=alice,
            status="failed",
            error="line one\nline two\ttab",
            validation={"scheme": "cpcv", "groups": 6, "test_groups": 2, "gap": 1, "embargo": 0},
            params={"C": 0.25, "penalty": None, "nested": {"a": [1, 2.5, True]}},
            costs={"commission_bps": 1.5, "slippage_bps": 0.0},
            metrics={"sharpe": 1.2345678901234567, "accuracy": 0.5, "count": 3, "label": "x"},
            across_seeds={"sharpe": {"mean": 1.0, "std": 0.1}},
            folds=[{"fold": 0, "metrics": {"sharpe": 0.1}}],
            data_used=[{"key": "SPX", "sha256": "ab" * 32}],
            dsr_computed_at=datetime(2026, 12, 1, 0, 0, 0, 123456, tzinfo=UTC),
            finished_at=finished,
            positions="long_short",
            repeats=3,
            seed=7,
        ),
        StoredTrialFactory(team=team_a, created_by=alice, validation={}, metrics={}, params={}, cancel_requested=True),
    ]


def test_the_list_says_what_the_list_serializer_says(varied, alice, api_as):
    body = api_as(alice).get("/api/trials/?limit=10").json()
    trials = Trial.objects.filter(pk__in=[t.pk for t in varied]).select_related("team", "created_by")
    expected = _drf(TrialListSerializer(trials.order_by("-created_at", "-id"), many=True))
    assert body["results"] == expected
    assert {t["validation_note"] != "" for t in body["results"]} == {True, False}


def test_the_detail_says_what_the_serializer_says(varied, alice, api_as):
    client = api_as(alice)
    for trial in varied:
        trial = Trial.objects.select_related("team", "created_by").get(pk=trial.pk)
        assert client.get(f"/api/trials/{trial.pk}/").json() == _drf(TrialSerializer(trial))
        assert json.loads(json.dumps(trial_dict(trial))) == _drf(TrialSerializer(trial))


def test_rows_render_as_the_serializers_render(varied, alice):
    page = selectors.trial_page(user=alice, rows=True, limit=10)
    listed = json.loads(trial_list_json(page.trials, next_url=None, previous_url="http://testserver/?cursor=x"))
    assert listed["previous"] == "http://testserver/?cursor=x" and listed["next"] is None
    by_id = {t.pk: t for t in Trial.objects.select_related("team", "created_by")}
    assert listed["results"] == [_drf(TrialListSerializer(by_id[row["id"]])) for row in page.trials]
    row = selectors.trial_get_row(user=alice, trial_id=varied[2].pk)
    assert json.loads(trial_json(row)) == _drf(TrialSerializer(by_id[varied[2].pk]))


def test_create_and_cancel_answer_what_the_serializer_says(alice, team_a, api_as, trial_payload):
    client = api_as(alice)
    created = client.post("/api/trials/", trial_payload, format="json")
    assert created.status_code == 201
    trial = Trial.objects.select_related("team", "created_by").get(pk=created.json()["id"])
    assert created.json() == _drf(TrialSerializer(trial))
    cancelled = client.post(f"/api/trials/{trial.pk}/cancel/").json()
    trial.refresh_from_db()
    assert cancelled["status"] == "cancelled" and cancelled == _drf(TrialSerializer(trial))


def test_every_serializer_field_is_written_out(varied):
    trial = Trial.objects.select_related("team", "created_by").get(pk=varied[2].pk)
    assert list(trial_dict(trial)) == TrialSerializer.Meta.fields
    row = selectors.trial_rows(Trial.objects.filter(pk=trial.pk), with_folds=True).get()
    assert list(json.loads(trial_json(row))) == TrialSerializer.Meta.fields
    row = selectors.trial_rows(Trial.objects.filter(pk=trial.pk), with_folds=False).get()
    assert list(json.loads(trial_json(row))) == TrialListSerializer.Meta.fields


@pytest.mark.parametrize("microsecond", [0, 5, 120000, 123400, 999999])
def test_times_read_as_the_databases_text_write_out_as_the_serializer_does(alice, team_a, microsecond):
    """started_at, finished_at and dsr_computed_at come as the database's text (PostgreSQL drops a fraction's
    trailing zeros, SQLite keeps six digits or none): the answer still says what DRF's DateTimeField says."""
    moment = datetime(2026, 3, 9, 23, 59, 58, microsecond, tzinfo=UTC)
    trial = StoredTrialFactory(team=team_a, created_by=alice, started_at=moment, finished_at=None,
                               dsr_computed_at=moment)  # fmt: skip
    row = selectors.trial_rows(Trial.objects.filter(pk=trial.pk), with_folds=False).get()
    answer = json.loads(trial_json(row))
    expected = _drf(TrialListSerializer(Trial.objects.select_related("team", "created_by").get(pk=trial.pk)))
    assert (answer["started_at"], answer["dsr_computed_at"], answer["finished_at"]) == (
        expected["started_at"], expected["dsr_computed_at"], None,
    )  # fmt: skip
    assert answer["started_at"] == f"2026-03-09T23:59:58{f'.{microsecond:06d}' if microsecond else ''}Z"


def test_a_time_with_another_offset_is_parsed_not_rewritten():
    from trials.serializers import text_moment

    assert text_moment("2026-03-09 23:59:58.1+02") == "2026-03-09T21:59:58.100000Z"
    assert text_moment("2026-03-09 20:59:58-03") == "2026-03-09T23:59:58Z"
