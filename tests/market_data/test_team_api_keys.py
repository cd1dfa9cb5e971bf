"""Teams' provider keys: write-only, encrypted at rest, never in a response or a log line; owners only."""

import logging

import pytest
from django.db import connection

from market_data.models import FetchJob, TeamApiKey
from market_data.services import api_key_for
from market_data.tasks import run_fetch_job
from tests.fakes.fake_fred import VALID_KEY as FRED_KEY
from tests.fakes.fake_polygon import VALID_KEY as POLYGON_KEY

pytestmark = pytest.mark.django_db

KEYS_URL = "/api/teams/team-a/api-keys/"


def put_key(client, source="polygon", api_key=POLYGON_KEY, team="team-a"):
    return client.put(f"/api/teams/{team}/api-keys/{source}/", {"api_key": api_key}, format="json")


def test_owner_sets_a_key_and_sees_only_a_masked_hint(alice, api_as):
    response = put_key(api_as(alice))

    assert response.status_code == 200
    assert response.json() == {"source": "polygon", "configured": True, "hint": "••••6789"}
    assert POLYGON_KEY not in response.content.decode()
    listing = api_as(alice).get(KEYS_URL)
    assert listing.json() == [
        {"source": "polygon", "configured": True, "hint": "••••6789"},
        {"source": "fred", "configured": False, "hint": ""},
    ]
    assert POLYGON_KEY not in listing.content.decode()


def test_key_is_encrypted_at_rest(alice, api_as, team_a):
    put_key(api_as(alice))

    with connection.cursor() as cursor:
        cursor.execute("SELECT encrypted_key, hint FROM market_data_teamapikey WHERE team_id = %s", [team_a.pk])
        encrypted, hint = cursor.fetchone()
    assert POLYGON_KEY not in encrypted and POLYGON_KEY[:12] not in encrypted
    assert encrypted.startswith("gAAAAA")  # a Fernet token
    assert hint == "••••6789"
    assert api_key_for(team=team_a, source="polygon") == POLYGON_KEY


def test_replacing_and_removing_a_key(alice, api_as, team_a):
    put_key(api_as(alice))
    put_key(api_as(alice), api_key="another-polygon-key-9999")
    assert api_key_for(team=team_a, source="polygon") == "another-polygon-key-9999"
    assert TeamApiKey.objects.filter(team=team_a).count() == 1

    removed = api_as(alice).delete("/api/teams/team-a/api-keys/polygon/")
    assert removed.status_code == 200 and removed.json()["configured"] is False
    assert not TeamApiKey.objects.filter(team=team_a).exists()


@pytest.mark.parametrize("who", ["bob", "victor"])
def test_only_owners_set_keys(who, alice, bob, victor, api_as, team_a):
    user = {"bob": bob, "victor": victor}[who]
    assert put_key(api_as(user)).status_code == 403
    assert api_as(user).delete("/api/teams/team-a/api-keys/polygon/").status_code == 403
    assert not TeamApiKey.objects.filter(team=team_a).exists()
    # Members and viewers may see whether a key is set.
    assert api_as(user).get(KEYS_URL).status_code == 200


def test_outsider_gets_404_on_another_teams_keys(alice, charlie, api_as, team_a):
    put_key(api_as(alice))
    assert api_as(charlie).get(KEYS_URL).status_code == 404
    assert put_key(api_as(charlie), api_key="charlies-own-key-123456").status_code == 404
    assert api_as(charlie).delete("/api/teams/team-a/api-keys/polygon/").status_code == 404
    assert api_key_for(team=team_a, source="polygon") == POLYGON_KEY


def test_bad_key_input_and_unknown_source(alice, api_as):
    assert put_key(api_as(alice), api_key="").status_code == 400
    assert put_key(api_as(alice), api_key="two words").status_code == 400
    assert put_key(api_as(alice), source="bloomberg").status_code == 404


def test_no_encryption_key_configured_refuses_to_store(alice, api_as, settings, team_a):
    settings.MLTRAINER_ENCRYPTION_KEYS = []
    response = put_key(api_as(alice))
    assert response.status_code == 503
    assert "MLTRAINER_ENCRYPTION_KEY is not set" in response.json()["detail"]
    assert not TeamApiKey.objects.filter(team=team_a).exists()


def test_no_key_anywhere_says_where_to_set_one(fake_polygon_server, bob, api_as):
    response = api_as(bob).post(
        "/api/datasets/fetch/", {"source": "polygon", "symbol": "SPY", "start": "2018-01-01"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": "No Polygon API key: a team owner can add one on the Data page (Team API keys) "
        "or the operator can set POLYGON_API_KEY"
    }
    assert not FetchJob.objects.exists()
    fred = api_as(bob).post(
        "/api/datasets/fetch/", {"source": "fred", "series_id": "CPILFESL", "start": "2018-01-01"}, format="json"
    )
    assert "set FRED_API_KEY" in fred.json()["detail"]


def test_server_wide_key_is_used_when_the_team_has_none(fake_polygon_server, settings, bob, api_as):
    settings.POLYGON_API_KEY = POLYGON_KEY
    created = api_as(bob).post(
        "/api/datasets/fetch/",
        {"source": "polygon", "symbol": "SPY", "start": "2018-01-02", "end": "2018-01-05"},
        format="json",
    )
    assert created.status_code == 201, created.content
    run_fetch_job(created.json()["id"])
    assert api_as(bob).get(f"/api/datasets/fetch/{created.json()['id']}/").json()["status"] == "succeeded"
    assert fake_polygon_server.requests[0]["headers"]["authorization"] == f"Bearer {POLYGON_KEY}"


def test_keys_never_appear_in_responses_or_logs(
    fake_polygon_server, fake_fred_server, alice, bob, api_as, caplog, settings
):
    caplog.set_level(logging.DEBUG)  # every logger, httpx and httpcore included
    responses = [
        put_key(api_as(alice)),
        put_key(api_as(alice), source="fred", api_key=FRED_KEY),
        api_as(alice).get(KEYS_URL),
    ]
    fetch = api_as(bob).post(
        "/api/datasets/fetch/",
        {"source": "polygon", "symbol": "SPY", "start": "2018-01-01", "end": "2018-06-30"},
        format="json",
    )
    run_fetch_job(fetch.json()["id"])
    dataset_id = api_as(bob).get(f"/api/datasets/fetch/{fetch.json()['id']}/").json()["dataset"]
    fred_fetch = api_as(bob).post(
        "/api/datasets/fetch/",
        {"source": "fred", "series_id": "CPILFESL", "start": "2010-01-01", "end": "2010-12-31"},
        format="json",
    )
    run_fetch_job(fred_fetch.json()["id"])
    responses += [
        fetch,
        fred_fetch,
        api_as(bob).get(f"/api/datasets/fetch/{fetch.json()['id']}/"),
        api_as(bob).get(f"/api/datasets/{dataset_id}/"),
        api_as(bob).get("/api/datasets/"),
        api_as(bob).get("/api/datasets/search/", {"source": "polygon", "q": "spdr"}),
        api_as(bob).get("/api/datasets/search/", {"source": "fred", "q": "oil"}),
    ]
    # A failing request too: provider errors carry URLs, and URLs carry keys.
    fake_polygon_server.fail_next(5, status=500)
    failing = api_as(bob).post(
        "/api/datasets/fetch/",
        {"source": "polygon", "symbol": "QQQ", "start": "2018-01-01", "end": "2018-01-31"},
        format="json",
    )
    run_fetch_job(failing.json()["id"])
    responses.append(api_as(bob).get(f"/api/datasets/fetch/{failing.json()['id']}/"))

    assert responses[-1].json()["status"] == "failed"
    # The request lines were logged: FRED's with its api_key masked, Polygon's with no key at all (it went in a header).
    assert any("api_key=***" in r.getMessage() for r in caplog.records)
    polygon_lines = [r.getMessage() for r in caplog.records if "/v2/aggs/ticker/SPY/" in r.getMessage()]
    assert polygon_lines and not any("apiKey" in line for line in polygon_lines)
    logged = caplog.text + "".join(r.getMessage() for r in caplog.records)
    for key in (POLYGON_KEY, FRED_KEY):
        assert key not in logged
        for response in responses:
            assert key not in response.content.decode()
    assert all(r.status_code < 300 for r in responses[:-1]), [r.status_code for r in responses]
