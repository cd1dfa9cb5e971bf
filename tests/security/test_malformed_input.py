"""No input is a 500: NUL bytes, lone surrogates, deep JSON, ids that are not numbers, lists where text belongs.

Each answer is a 4xx whose message names the problem. (schemathesis fuzzes every API route in test_schema.py;
these are the hand-written cases the red-team run found.)"""

import json

import pytest
from django.test import Client

from trials.models import Study, Trial

pytestmark = pytest.mark.django_db


def post_json(client, path: str, body: str):
    return client.post(path, data=body.encode(), content_type="application/json")


def test_nul_in_a_query_parameter_is_a_400_naming_it(api_as, alice):
    client = api_as(alice)
    for path in ("/api/trials/", "/api/models/", "/api/datasets/", "/api/compliance/decisions/", "/api/studies/"):
        response = client.get(path, {"status": "a\x00b", "search": "x\x00", "kind": "\x00"})
        assert response.status_code == 400, path
        assert "contains a NUL character" in response.json()["detail"], path


def test_nul_in_a_page_query_or_form_is_a_400(alice):
    browser = Client()
    browser.force_login(alice)
    response = browser.get("/", {"status": "a\x00b"})
    assert response.status_code == 400
    assert response.content.decode() == "query parameter 'status' contains a NUL character\n"
    response = Client().post("/login/", {"username": "alice\x00", "password": "x"})
    assert response.status_code == 400 and "form field 'username'" in response.content.decode()


@pytest.mark.parametrize("text", ['"a\\u0000b"', '"\\ud800"', '"ok \\udfff"'])
def test_nul_or_lone_surrogate_in_a_json_string_is_a_400(api_as, alice, bundled, trial_payload, text):
    body = json.dumps(trial_payload).replace('"seed": 0', f'"seed": 0, "name": {text}')
    response = post_json(api_as(alice), "/api/trials/", body)
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail.startswith("JSON parse error - name contains a ") and detail.endswith(("NUL character", "surrogate"))
    assert not Trial.objects.exists()


def test_nul_in_a_nested_json_field_is_named_by_its_path(api_as, alice, bundled, trial_payload):
    body = json.dumps(trial_payload).replace('"SPX"', '"SP\\u0000X"')
    response = post_json(api_as(alice), "/api/trials/", body)
    assert response.status_code == 400
    assert response.json() == {"detail": "JSON parse error - data.symbol contains a NUL character"}


def test_nul_in_a_login_is_a_400_not_a_500(client, alice):
    response = post_json(client, "/api/auth/token/", '{"username": "alice\\u0000", "password": "x"}')
    assert response.status_code == 400
    assert response.json() == {"detail": "JSON parse error - username contains a NUL character"}


@pytest.mark.parametrize("path", ["/api/auth/token/", "/api/auth/token/refresh/", "/api/trials/", "/api/studies/"])
def test_json_nested_100000_deep_is_a_400(api_as, alice, path):
    body = "[" * 100_000 + "]" * 100_000
    response = post_json(api_as(alice), path, body)
    assert response.status_code == 400
    assert response.json() == {"detail": "JSON parse error - nested more than 64 levels deep"}


def test_json_nested_past_the_limit_but_parseable_is_a_400(api_as, alice):
    body = '{"a": ' * 65 + "1" + "}" * 65
    response = post_json(api_as(alice), "/api/trials/", body)
    assert response.status_code == 400
    assert response.json() == {"detail": "JSON parse error - JSON is nested more than 64 levels deep"}


def test_a_non_integer_id_filter_is_a_400_naming_it(api_as, alice):
    client = api_as(alice)
    assert client.get("/api/compliance/decisions/", {"trial": "abc"}).json() == {
        "trial": ["A valid integer is required."]
    }
    response = client.get("/api/compliance/decisions/export.csv", {"trial": "99999999999999999999"})
    assert response.status_code == 400 and "trial" in response.json()


def test_an_id_too_long_for_the_database_is_a_404(api_as, alice):
    client = api_as(alice)
    for path in (
        "/api/trials/99999999999999999999/",
        "/api/studies/99999999999999999999/",
        "/trials/99999999999999999999/",
    ):
        assert client.get(path).status_code == 404, path


def test_a_list_where_text_belongs_is_a_400(api_as, alice, bundled, trial_payload):
    study = {
        "model": "logistic_regression",
        "data": trial_payload["data"],
        "validation": trial_payload["validation"],
        "metric": ["sharpe"],
        "budget": 2,
    }
    response = api_as(alice).post("/api/studies/", study, format="json")
    assert response.status_code == 400
    assert "metric" in response.json()
    assert not Study.objects.exists()
    trial = dict(trial_payload, name=["a"], model=["logistic_regression"])
    response = api_as(alice).post("/api/trials/", trial, format="json")
    assert response.status_code == 400 and set(response.json()) >= {"name", "model"}
