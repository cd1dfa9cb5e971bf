"""Dataset detail, values for the chart, fetch jobs and provider search over the API, and who may see what."""

from datetime import date

import pytest

from market_data.models import Dataset, FetchJob
from market_data.services import fetch_job_create
from market_data.tasks import run_fetch_job
from tests.fakes.fake_polygon import expected_bars

pytestmark = pytest.mark.django_db


@pytest.fixture
def spy(fake_polygon_server, polygon_key, team_a, bob):
    job = fetch_job_create(
        team=team_a, user=bob, source="polygon", symbol="SPY", start=date(2018, 1, 1), end=date(2018, 3, 31)
    )
    run_fetch_job(job.pk)
    job.refresh_from_db()
    return job


def test_detail_gives_metadata_and_latest_rows(spy, victor, api_as):
    response = api_as(victor).get(f"/api/datasets/{spy.dataset_id}/", {"rows": 3})

    assert response.status_code == 200
    body = response.json()
    assert (body["key"], body["source"], body["team"], body["rows"]) == ("SPY", "polygon", "team-a", 61)
    assert body["last_refresh_status"] == "succeeded"
    assert [row["ts"][:10] for row in body["latest_rows"]] == ["2018-03-29", "2018-03-28", "2018-03-27"]
    expected = expected_bars("SPY", date(2018, 3, 29), date(2018, 3, 29)).iloc[0]
    assert {k: body["latest_rows"][0][k] for k in expected.index} == expected.to_dict()


def test_values_for_the_chart_are_the_latest_closes_in_time_order(spy, bob, api_as):
    from market_data.selectors import dataset_frame

    response = api_as(bob).get(f"/api/datasets/{spy.dataset_id}/values/", {"limit": 5})

    body = response.json()
    closes = dataset_frame(dataset=spy.dataset)["close"].iloc[-5:]
    assert body["field"] == "close"
    assert [p[0][:10] for p in body["points"]] == [d.strftime("%Y-%m-%d") for d in closes.index]
    assert [p[1] for p in body["points"]] == closes.tolist()
    assert api_as(bob).get(f"/api/datasets/{spy.dataset_id}/values/", {"limit": "x"}).status_code == 400


def test_fetch_api_creates_a_job_and_reports_progress(fake_polygon_server, polygon_key, bob, api_as):
    created = api_as(bob).post(
        "/api/datasets/fetch/",
        {"source": "polygon", "symbol": "qqq", "start": "2018-01-01", "end": "2018-01-31", "adjusted": False},
        format="json",
    )

    assert created.status_code == 201, created.content
    job = created.json()
    assert (job["status"], job["progress"], job["symbol"], job["adjusted"], job["user"]) == (
        "queued",
        0.0,
        "QQQ",
        False,
        "bob",
    )
    run_fetch_job(job["id"])
    done = api_as(bob).get(f"/api/datasets/fetch/{job['id']}/").json()
    assert (done["status"], done["progress"], done["rows_added"]) == ("succeeded", 1.0, 21)
    assert Dataset.objects.get(pk=done["dataset"]).adjusted is False


def test_fetch_api_validates_every_field(polygon_key, bob, api_as):
    response = api_as(bob).post(
        "/api/datasets/fetch/",
        {"source": "polygon", "symbol": "S P Y", "start": "2018-02-01", "end": "2018-01-01", "timespan": "fortnight"},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"symbol", "end", "timespan"}
    assert api_as(bob).post("/api/datasets/fetch/", {"source": "bloomberg"}, format="json").status_code == 400
    assert not FetchJob.objects.exists()


def test_search_goes_through_the_teams_key(
    fake_polygon_server, fake_fred_server, polygon_key, fred_key, victor, api_as
):
    tickers = api_as(victor).get("/api/datasets/search/", {"source": "polygon", "q": "nasdaq"}).json()
    assert [r["symbol"] for r in tickers["results"]] == ["I:NDX", "I:COMP"]
    assert fake_polygon_server.requests[-1]["headers"]["authorization"] == f"Bearer {polygon_key}"
    series = api_as(victor).get("/api/datasets/search/", {"source": "fred", "q": "corporate bond"}).json()
    assert {r["symbol"] for r in series["results"]} == {"AAA", "BAA"}
    assert api_as(victor).get("/api/datasets/search/", {"source": "fred", "q": ""}).status_code == 400


def test_search_without_a_key_says_where_to_set_one(fake_fred_server, bob, api_as):
    response = api_as(bob).get("/api/datasets/search/", {"source": "fred", "q": "oil"})
    assert response.status_code == 400 and "FRED_API_KEY" in response.json()["detail"]


def test_viewer_reads_but_cannot_fetch(spy, victor, api_as):
    assert api_as(victor).get(f"/api/datasets/{spy.dataset_id}/").status_code == 200
    assert api_as(victor).get(f"/api/datasets/fetch/{spy.pk}/").status_code == 200
    refused = api_as(victor).post(
        "/api/datasets/fetch/", {"source": "polygon", "symbol": "SPY", "start": "2018-01-01"}, format="json"
    )
    assert refused.status_code == 403
    assert FetchJob.objects.count() == 1


@pytest.mark.parametrize(
    "path",
    [
        "/api/datasets/{dataset}/",
        "/api/datasets/{dataset}/values/",
        "/api/datasets/fetch/{job}/",
    ],
)
def test_outsider_gets_404_on_team_a_data(spy, charlie, api_as, path):
    response = api_as(charlie).get(path.format(dataset=spy.dataset_id, job=spy.pk))
    assert response.status_code == 404


def test_outsider_lists_only_shared_data_and_cannot_act_for_team_a(spy, charlie, api_as, bundled):
    listed = api_as(charlie).get("/api/datasets/").json()
    assert spy.dataset_id not in [d["id"] for d in listed]
    assert {d["team"] for d in listed} == {None}
    refused = api_as(charlie).post(
        "/api/datasets/fetch/",
        {"source": "polygon", "symbol": "SPY", "start": "2018-01-01", "team": "team-a"},
        format="json",
    )
    assert refused.status_code == 400 and "not a member" in refused.json()["team"]
    search = api_as(charlie).get("/api/datasets/search/", {"source": "polygon", "q": "spy", "team": "team-a"})
    assert search.status_code == 400


def test_shared_dataset_detail_is_visible_to_everyone(bundled, charlie, api_as):
    spx = Dataset.objects.get(key="SPX", team__isnull=True)
    assert api_as(charlie).get(f"/api/datasets/{spx.pk}/").json()["key"] == "SPX"


def test_dataset_list_filters_by_kind_and_source_within_what_the_user_sees(spy, bob, charlie, api_as, bundled):
    series = api_as(bob).get("/api/datasets/", {"kind": "series"}).json()
    assert sorted(d["key"] for d in series) == ["AAA", "BAA", "CPILFESL", "DCOILWTICO", "VIXCLS"]
    fetched = api_as(bob).get("/api/datasets/", {"source": "polygon"}).json()
    assert [(d["key"], d["team"], d["rows"]) for d in fetched] == [("SPY", "team-a", 61)]
    bundled_bars = api_as(bob).get("/api/datasets/", {"kind": "bars", "source": "bundled"}).json()
    assert [d["key"] for d in bundled_bars] == ["IXIC", "SPX"]
    assert api_as(charlie).get("/api/datasets/", {"source": "polygon"}).json() == []
