"""The Data page and a series' page: what a person sees, the forms that fetch, upload, watch and set keys."""

import json
import re
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from market_data.models import Dataset, FetchJob, TeamApiKey, WatchItem
from market_data.services import fetch_job_create
from market_data.tasks import run_fetch_job
from tests.fakes.fake_polygon import VALID_KEY

pytestmark = pytest.mark.django_db


def browser_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def spy(fake_polygon_server, polygon_key, team_a, bob):
    job = fetch_job_create(
        team=team_a, user=bob, source="polygon", symbol="SPY", start=date(2018, 1, 1), end=date(2018, 3, 31)
    )
    run_fetch_job(job.pk)
    return Dataset.objects.get(pk=FetchJob.objects.get(pk=job.pk).dataset_id)


def test_data_page_lists_the_teams_series_with_refresh_status(spy, bob, bundled, django_assert_max_num_queries):
    client = browser_for(bob)
    with django_assert_max_num_queries(12):
        page = client.get("/data/").content.decode()

    row = re.search(rf"<tr><td><a href=\"/data/{spy.pk}/\"><strong>SPY</strong>.*?</tr>", page, re.S).group(0)
    for text in ("polygon", "1d", "2018-01-02", "2018-03-29", ">61<", "succeeded"):
        assert text in row, text
    assert "VIXCLS" in page  # the shared history is listed too
    assert 'id="fetch-form"' in page and 'id="upload-form"' in page and 'id="watch-form"' in page
    assert "set <code>••••6789</code>" in page and VALID_KEY not in page
    assert "owners set keys" in page  # bob is a member: he sees the hint, not the key form
    assert 'data-job="' in page and "js/fetch_jobs.js" in page


def test_viewer_sees_the_data_but_no_forms(spy, victor):
    page = browser_for(victor).get("/data/").content.decode()
    assert "SPY" in page
    assert 'id="fetch-form"' not in page and 'id="upload-form"' not in page and 'id="watch-form"' not in page
    assert (
        browser_for(victor)
        .post("/data/fetch/", {"source": "polygon", "symbol": "QQQ", "start": "2018-01-01"})
        .status_code
        == 403
    )


def test_series_page_draws_the_closes_and_lists_the_latest_rows(spy, bob):
    page = browser_for(bob).get(f"/data/{spy.pk}/").content.decode()

    series = json.loads(re.search(r'<script id="series-data" type="application/json">(.*?)</script>', page).group(1))
    assert len(series["values"]) == series["total"] == spy.rows == 61  # short: sent whole
    assert page.count("<tr><td>2018-0") == 20  # the latest 20 rows
    assert "<td>2018-03-29 00:00</td>" in page
    assert spy.sha256 in page and "/v2/aggs/ticker/{ticker}" in page


def test_outsider_gets_404_on_another_teams_pages(spy, charlie, team_a):
    client = browser_for(charlie)
    assert client.get(f"/data/{spy.pk}/").status_code == 404
    assert client.get("/data/?team=team-a").status_code == 404
    assert "<strong>SPY</strong>" not in client.get("/data/").content.decode()
    assert client.post("/data/keys/polygon/", {"team": "team-a", "api_key": "x" * 20}).status_code == 404
    assert (
        client.post(
            "/data/fetch/", {"team": "team-a", "source": "polygon", "symbol": "SPY", "start": "2018-01-01"}
        ).status_code
        == 404
    )
    item = WatchItem.objects.create(team=team_a, source="polygon", symbol="SPY", start=date(2018, 1, 1))
    assert client.post(f"/data/watchlist/{item.pk}/remove/").status_code == 404
    assert WatchItem.objects.filter(pk=item.pk).exists()


def test_upload_form_shows_every_error_and_stores_nothing(bob):
    bad = SimpleUploadedFile("bad.csv", b"date,open,high,low,close\n2020-01-02,1,2\n2020-01-03,x,2,1,1.5\n")
    response = browser_for(bob).post("/data/upload/", {"key": "MINE", "kind": "bars", "file": bad})

    assert response.status_code == 400
    page = response.content.decode()
    assert "Line 2: expected 5 values, found 3." in page
    assert "Line 3: open &#x27;x&#x27; is not a number." in page
    assert not Dataset.objects.filter(key="MINE").exists()


def test_upload_form_stores_a_good_file(bob):
    good = SimpleUploadedFile("mine.csv", b"date,value\n2020-01-02,1.5\n2020-01-03,1.6\n")
    response = browser_for(bob).post("/data/upload/", {"key": "MINE", "kind": "series", "file": good})

    dataset = Dataset.objects.get(key="MINE")
    assert response.status_code == 302 and response["Location"] == f"/data/{dataset.pk}/"
    page = browser_for(bob).get(f"/data/{dataset.pk}/").content.decode()
    assert "mine.csv" in page and "Uploaded by" in page and "bob" in page


def test_fetch_form_queues_a_job_and_reports_a_missing_key(fake_polygon_server, bob, alice):
    missing = browser_for(bob).post("/data/fetch/", {"source": "polygon", "symbol": "SPY", "start": "2018-01-01"})
    assert missing.status_code == 400
    assert "No Polygon API key: a team owner can add one on the Data page" in missing.content.decode()

    browser_for(alice).post("/data/keys/polygon/", {"api_key": VALID_KEY})
    queued = browser_for(bob).post(
        "/data/fetch/",
        {
            "source": "polygon",
            "symbol": "SPY",
            "start": "2018-01-01",
            "end": "2018-01-31",
            "timespan": "day",
            "multiplier": 1,
            "adjusted": "on",
        },
    )
    job = FetchJob.objects.get()
    assert queued.status_code == 302 and queued["Location"] == f"/data/?team=team-a&job={job.pk}"
    assert (job.symbol, job.start, job.end, job.adjusted) == ("SPY", date(2018, 1, 1), date(2018, 1, 31), True)


def test_key_form_is_for_owners_and_never_shows_the_key(alice, bob, team_a):
    saved = browser_for(alice).post("/data/keys/polygon/", {"api_key": VALID_KEY}, follow=True)
    page = saved.content.decode()
    assert "Saved Team A&#x27;s Polygon key." in page
    assert "••••6789" in page and VALID_KEY not in page
    assert 'type="password" name="api_key"' in page

    assert browser_for(bob).post("/data/keys/fred/", {"api_key": "a" * 32}).status_code == 403
    assert not TeamApiKey.objects.filter(source="fred").exists()
    browser_for(alice).post("/data/keys/polygon/", {"remove": "1"})
    assert not TeamApiKey.objects.filter(team=team_a).exists()


def test_watch_form_adds_and_removes(bob, team_a):
    client = browser_for(bob)
    added = client.post("/data/watchlist/", {"source": "fred", "symbol": "cpilfesl", "start": "2010-01-01"})
    assert added.status_code == 302
    item = WatchItem.objects.get(team=team_a)
    assert (item.source, item.symbol) == ("fred", "CPILFESL")
    assert "fred:CPILFESL" in client.get("/data/").content.decode()
    client.post(f"/data/watchlist/{item.pk}/remove/")
    assert not WatchItem.objects.exists()


def test_a_fetch_without_an_end_runs_up_to_today_in_new_york_from_the_page_and_the_api(
    fake_polygon_server, polygon_key, bob, api_as, monkeypatch
):
    from market_data.services import fetching

    monkeypatch.setattr(fetching, "today_in_new_york", lambda: date(2018, 3, 2))
    page = browser_for(bob).post("/data/fetch/", {"source": "polygon", "symbol": "SPY", "start": "2018-01-01"})
    api = api_as(bob).post("/api/datasets/fetch/", {"source": "polygon", "symbol": "QQQ", "start": "2018-01-01"})

    assert (page.status_code, api.status_code) == (302, 201)
    assert api.json()["end"] == "2018-03-02"
    assert [(job.symbol, job.end) for job in FetchJob.objects.order_by("pk")] == [
        ("SPY", date(2018, 3, 2)),
        ("QQQ", date(2018, 3, 2)),
    ]


def test_upload_page_answers_get_with_the_form(bob, victor):
    page = browser_for(bob).get("/data/upload/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="upload-form"' in html and 'name="file"' in html and 'value="team-a"' in html
    viewer = browser_for(victor).get("/data/upload/").content.decode()
    assert 'id="upload-form"' not in viewer and "Viewers read" in viewer


def test_series_page_shows_the_whole_history_downsampled_on_the_server(bob, bundled):
    spx = Dataset.objects.get(key="SPX", team__isnull=True)
    page = browser_for(bob).get(f"/data/{spx.pk}/").content.decode()
    series = json.loads(re.search(r'<script id="series-data" type="application/json">(.*?)</script>', page).group(1))
    closes = list(spx.bars.order_by("ts").values_list("ts", "close"))
    assert series["total"] == len(closes) == spx.rows and len(series["values"]) <= 2000 < len(closes)
    assert series["time"][0] == int(closes[0][0].timestamp()) and series["time"][-1] == int(closes[-1][0].timestamp())
    assert min(series["values"]) == pytest.approx(min(c for _, c in closes))  # the crash survives
    assert max(series["values"]) == pytest.approx(max(c for _, c in closes))
    assert series["time"] == sorted(series["time"])
