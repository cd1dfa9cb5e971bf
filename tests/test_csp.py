"""Every page is sent with a Content-Security-Policy that allows scripts from the site only ('self', never
'unsafe-inline' or 'unsafe-eval'), and no page carries inline script: code is in static files, data in
json_script blocks or data- attributes. (The browser tests fail on any CSP violation in the console.)"""

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
HANDLER_ATTRIBUTE = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def _directives(header: str) -> dict[str, list[str]]:
    parts = (part.strip().split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in parts}


@pytest.fixture
def pages(alice, team_a, make_trial, bundled):
    from market_data.models import Dataset
    from trials.studies import study_create

    first, second = make_trial(alice, team_a, name="one"), make_trial(alice, team_a, name="two")
    study = study_create(
        team=team_a,
        user=alice,
        payload={"model": "ridge", "metric": "rmse", "data": {"symbol": "SPX", "target": "return"}},
    )
    spx = Dataset.objects.get(key="SPX", team__isnull=True)
    return [
        "/", "/trials/new/", f"/trials/{first.pk}/", f"/trials/new/?from={first.pk}",
        f"/compare/?ids={first.pk},{second.pk}", "/studies/", f"/studies/{study.pk}/", "/models/",
        "/models/random_forest_classifier/", "/data/", f"/data/{spx.pk}/", "/data/upload/", "/compliance/",
        "/coach/", "/admin/", "/api/docs/",
    ]  # fmt: skip


def test_every_page_allows_scripts_from_the_site_only_and_has_none_inline(pages, alice):
    alice.is_staff = alice.is_superuser = True
    alice.save(update_fields=["is_staff", "is_superuser"])
    client = Client()
    client.force_login(alice)
    for path in [*pages, "/login/"]:
        response = client.get(path)
        assert response.status_code == 200, path
        policy = _directives(response["Content-Security-Policy"])
        assert policy["script-src"] == ["'self'"], path
        assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"], path
        assert not {"'unsafe-inline'", "'unsafe-eval'"} & {v for values in policy.values() for v in values}, path
        html = response.content.decode()
        assert INLINE_SCRIPT.findall(html) == [], path
        assert HANDLER_ATTRIBUTE.findall(html) == [], path
        assert ' style="' not in html, path  # style-src 'self': no inline style attributes either


def test_the_finders_catch_inline_code():
    assert INLINE_SCRIPT.findall('<script>alert(1)</script><script src="/static/a.js"></script>') == ["<script>"]
    assert INLINE_SCRIPT.findall('<script id="x" type="application/json">{}</script>') == []
    assert HANDLER_ATTRIBUTE.findall('<button onclick="go()">') and not HANDLER_ATTRIBUTE.findall("<button>")
