"""Every registry route and page: charlie (team B) sees nothing of team A's, victor (a viewer) reads but cannot
write, and the API answers what the pages show."""

import pytest

from registry.models import ModelVersion
from registry.services import version_promote

V = "/api/registry/spx-logit/versions/1/"
READS = ["/api/registry/spx-logit/", V, V + "signals/", V + "signals.csv"]
WRITES = [
    (V + "promote/", {}),
    (V + "approve/", {}),
    (V + "reject/", {}),
    (V + "archive/", {}),
    (V + "predict/", {"latest": True}),
    ("/api/registry/spx-logit/production/predict/", {"latest": True}),
]
PAGES = ["/registry/spx-logit/v1/"]
PAGE_POSTS = ["/registry/spx-logit/v1/promote/", "/registry/spx-logit/v1/archive/"]


@pytest.fixture
def version(fitted_version, alice):
    v = fitted_version()
    version_promote(version=v, user=alice)
    return v


def test_outsider_gets_404_on_every_route_and_page(version, charlie, api_as, client):
    """One fixture for all of them (a fitted version costs a trial and a refit): each URL is its own assertion."""
    api = api_as(charlie)
    for url in READS:
        assert api.get(url).status_code == 404, url
    for url, body in WRITES:
        assert api.post(url, body, format="json").status_code == 404, url
    client.force_login(charlie)
    for url in PAGES:
        assert client.get(url).status_code == 404, url
    for url in PAGE_POSTS:
        assert client.post(url, {"reason": "x"}).status_code == 404, url
    assert "spx-logit" not in client.get("/registry/").content.decode()
    version.refresh_from_db()
    assert version.stage == "production" and version.stage_changes.count() == 2


def test_outsider_list_is_empty_and_cannot_register_the_trial(version, charlie, api_as):
    assert api_as(charlie).get("/api/registry/").json() == []
    response = api_as(charlie).post("/api/registry/", {"trial": version.trial_id, "name": "stolen"}, format="json")
    assert response.status_code == 400 and "trial" in response.json()
    assert not ModelVersion.objects.filter(registered_model__name="stolen").exists()


def test_viewer_reads_but_cannot_write(version, victor, api_as):
    client = api_as(victor)
    assert client.get(V).status_code == 200
    assert client.post(V + "predict/", {"latest": True}, format="json").status_code == 200  # a read
    response = client.post(V + "archive/", {"reason": "mine now"}, format="json")
    assert response.status_code == 403 and "viewers can only read" in response.json()["detail"]
    response = client.post("/api/registry/", {"trial": version.trial_id, "name": "x"}, format="json")
    assert response.status_code == 403
    version.refresh_from_db()
    assert version.stage == "production"


def test_viewer_page_has_no_stage_buttons_and_its_post_changes_nothing(version, victor, client):
    client.force_login(victor)
    page = client.get("/registry/spx-logit/v1/").content.decode()
    assert 'id="stage-actions"' not in page and "v1" in page
    client.post("/registry/spx-logit/v1/archive/", {"reason": "x"})
    version.refresh_from_db()
    assert version.stage == "production"


def test_member_sees_the_version_page_with_its_history(version, bob, client):
    client.force_login(bob)
    page = client.get("/registry/spx-logit/v1/").content.decode()
    assert "Stage history" in page and "promoted" in page and version.artifact_sha256 in page
    listing = client.get("/registry/").content.decode()
    assert "spx-logit" in listing


def test_api_detail_carries_stage_history_and_provenance(version, bob, api_as):
    body = api_as(bob).get(V).json()
    assert [c["action"] for c in body["stage_history"]] == ["registered", "promoted"]
    assert body["stage_history"][1]["user"] == "alice" and body["stage_history"][1]["decision_id"]
    assert body["data_used"][0]["key"] == "SPX" and len(body["artifact_sha256"]) == 64
    assert body["packages"]["scikit-learn"]


def test_register_through_the_api_queues_a_refit(succeeded_trial, bob, api_as, django_capture_on_commit_callbacks):
    trial = succeeded_trial()
    with django_capture_on_commit_callbacks(execute=False):
        response = api_as(bob).post("/api/registry/", {"trial": trial.pk, "name": "spx-new"}, format="json")
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "queued" and response.json()["version"] == 1


def test_list_page_queries_do_not_grow_with_versions(fitted_version, alice, client, django_assert_max_num_queries):
    for _ in range(3):
        fitted_version()
    fitted_version(name="other")
    client.force_login(alice)
    with django_assert_max_num_queries(12):
        assert client.get("/registry/").status_code == 200
