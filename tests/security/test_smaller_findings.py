"""The red-team run's smaller findings: CSV formulas, the DEBUG error page, /readyz detail, verbs on pages."""

import csv
import io
import re
import sys

import pytest
from django.test import Client, RequestFactory
from django.urls import get_resolver
from django.views.debug import technical_500_response

pytestmark = pytest.mark.django_db


def rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_csv_cells_that_would_run_as_formulas_are_escaped(api_as, alice, team_a, make_trial):
    names = ['=HYPERLINK("http://evil","x")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "plain - name"]
    for name in names:
        make_trial(alice, team_a, name=name)
    exported = rows(api_as(alice).get("/api/trials/export.csv"))
    header, body = exported[0], exported[1:]
    got = sorted(row[header.index("name")] for row in body)
    assert got == sorted(["'" + name for name in names[:-1]] + ["plain - name"])
    # Numbers stay numbers: a negative id or metric is not text that a spreadsheet would run.
    assert all(row[header.index("id")].isdigit() for row in body)


def test_csv_escaping_covers_the_audit_and_study_exports(api_as, alice, team_a, make_trial, bundled, trial_payload):
    from trials.models import Study

    make_trial(alice, team_a, name="=1+1")
    exported = rows(api_as(alice).get("/api/compliance/decisions/export.csv"))
    reasons = exported[0].index("user")
    assert {row[reasons] for row in exported[1:]} == {"alice"}
    study = Study.objects.create(
        team=team_a, created_by=alice, name="s", model_keys=["ridge"], data={}, validation={}, budget=1
    )
    trial = make_trial(alice, team_a, name="@cmd")
    trial.study = study
    trial.save(update_fields=["study"])
    exported = rows(api_as(alice).get(f"/api/studies/{study.pk}/export.csv"))
    assert exported[1][exported[0].index("name")] == "'@cmd"


def _error_page() -> str:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        return technical_500_response(RequestFactory().get("/"), *sys.exc_info()).content.decode()


def test_debug_error_page_hides_connection_urls(settings):
    # Passwords built at run time, so the page's source excerpts of this test cannot contain them.
    hidden = [f"pw{n}-" + "q" * 6 for n in range(5)]
    settings.DEBUG = True
    settings.DATABASE_URL = f"postgres://mltrainer:{hidden[0]}@db:5432/mltrainer"
    settings.REDIS_URL = f"redis://:{hidden[1]}@redis:6379/0"
    settings.CELERY_BROKER_URL = f"redis://:{hidden[2]}@redis:6379/0"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": f"redis://:{hidden[3]}@redis:6379/1"}}  # fmt: skip
    settings.CHANNEL_LAYERS = {"default": {"CONFIG": {"hosts": [f"redis://:{hidden[4]}@redis:6379/0"]}}}
    page = _error_page()
    assert "boom" in page and "DATABASE_URL" in page and "CELERY_BROKER_URL" in page
    assert [value for value in hidden if value in page] == []


def test_readyz_detail_needs_the_token_or_an_allowed_network(client, settings):
    settings.READYZ_REQUIRE_WORKER = False
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.METRICS_TOKEN = "probe-token"
    anonymous = client.get("/readyz")
    assert anonymous.status_code == 503
    assert anonymous.json() == {"status": "unavailable", "down": ["redis"]}
    with_token = client.get("/readyz", HTTP_AUTHORIZATION="Bearer probe-token").json()
    assert with_token["checks"]["redis"].startswith("down: ConnectionError")
    settings.METRICS_ALLOWED_NETWORKS = [__import__("ipaddress").ip_network("127.0.0.0/8")]
    assert "checks" in client.get("/readyz", REMOTE_ADDR="127.0.0.1").json()


def page_paths() -> list[str]:
    """One concrete path per page route (ids filled with 1)."""
    fill = {r"<id:\w+>": "1", r"<slug:\w+>": "ridge", r"<str:\w+>": "fred"}
    paths = []
    for pattern in get_resolver().url_patterns:
        route = str(pattern.pattern)
        if not route.startswith("api/"):
            for placeholder, value in fill.items():
                route = re.sub(placeholder, value, route)
            paths.append("/" + route)
    return paths


def test_pages_answer_405_to_put_patch_and_delete(alice):
    browser = Client()
    browser.force_login(alice)
    paths = page_paths()
    assert "/" in paths and "/login/" in paths and "/admin/" in paths and len(paths) > 15
    for path in paths:
        for method in ("put", "patch", "delete"):
            response = getattr(browser, method)(path)
            assert response.status_code == 405, (method, path, response.status_code)
            assert response["Allow"] == "GET, HEAD, POST, OPTIONS"
    # The API keeps its own verbs.
    assert browser.delete("/api/datasets/watchlist/999/").status_code == 404
