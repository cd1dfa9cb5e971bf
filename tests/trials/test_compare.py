"""Comparing 2 to 10 trials: the page, the CSV and GET /api/trials/compare/ show the same rows, mark what differs,
and a single trial of another team in `ids` answers 404 for the whole request."""

import csv
import io

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(alice, bob, team_a, make_trial):
    first = make_trial(alice, team_a, name="C small")
    second = make_trial(bob, team_a, name="C large", params={"C": 2.0}, validation={"folds": 4})
    return first, second


def _rows(body: dict) -> dict:
    return {(s["name"], r["key"]): r for s in body["sections"] for r in s["rows"]}


def test_api_puts_the_trials_side_by_side_and_marks_differences(pair, alice, api_as):
    first, second = pair
    body = api_as(alice).get(f"/api/trials/compare/?ids={second.pk},{first.pk}").json()
    assert body["ids"] == [second.pk, first.pk] and [t["id"] for t in body["trials"]] == [second.pk, first.pk]
    rows = _rows(body)
    assert rows[("Parameters", "C")] == {"key": "C", "label": "C", "differs": True, "values": [2.0, 0.5]}
    assert rows[("Validation", "folds")]["values"] == [4, 3] and rows[("Validation", "folds")]["differs"]
    assert rows[("Data", "symbol")] == {"key": "symbol", "label": "symbol", "differs": False, "values": ["SPX", "SPX"]}
    assert rows[("Trial", "created_by")]["values"] == ["bob", "alice"]


def test_the_csv_carries_the_same_rows(pair, alice, api_as):
    first, second = pair
    response = api_as(alice).get(f"/api/trials/compare.csv?ids={first.pk},{second.pk}")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["section", "key", "label", "differs", f"trial {first.pk}", f"trial {second.pk}"]
    assert ["Parameters", "C", "C", "yes", "0.5", "2.0"] in rows
    assert ["Data", "symbol", "symbol", "no", "SPX", "SPX"] in rows


def test_the_page_marks_differing_rows(pair, alice):
    first, second = pair
    client = Client()
    client.force_login(alice)
    page = client.get(f"/compare/?ids={first.pk}&ids={second.pk}").content.decode()  # the list form works too
    assert 'class="differs" data-key="C"' in page and 'class="same" data-key="symbol"' in page
    assert 'id="only-differences"' in page and f"compare.csv?ids={first.pk},{second.pk}" in page


@pytest.mark.parametrize("ids", ["", "5", "1,x", ",".join(str(n) for n in range(1, 12))])
def test_fewer_than_two_or_more_than_ten_or_junk_is_a_400_naming_the_problem(ids, alice, api_as):
    response = api_as(alice).get(f"/api/trials/compare/?ids={ids}")
    assert response.status_code == 400 and "ids" in response.json()
    client = Client()
    client.force_login(alice)
    page = client.get(f"/compare/?ids={ids}")
    assert page.status_code == 400 and "compare-error" in page.content.decode()


def test_one_trial_of_another_team_is_404_for_the_whole_comparison(pair, charlie, team_b, make_trial, api_as, alice):
    theirs = make_trial(charlie, team_b, name="team B")
    ids = f"{pair[0].pk},{theirs.pk}"
    for client in (api_as(alice), api_as(charlie)):
        assert client.get(f"/api/trials/compare/?ids={ids}").status_code == 404
        assert client.get(f"/api/trials/compare.csv?ids={ids}").status_code == 404
    browser = Client()
    browser.force_login(charlie)
    page = browser.get(f"/compare/?ids={ids}")
    assert page.status_code == 404 and "team B" not in page.content.decode()
