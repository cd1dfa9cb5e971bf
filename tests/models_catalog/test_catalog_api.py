"""The catalog through the API and the database: listing, filters, sync and admins disabling entries."""

import pytest
from django.core.management import call_command

from models_catalog.models import CatalogEntry
from models_catalog.registry import CATALOG

pytestmark = pytest.mark.django_db


def test_list_has_every_entry_with_counts_per_family(alice, api_as):
    body = api_as(alice).get("/api/models/").json()
    assert body["count"] == len(CATALOG) >= 140
    assert sum(body["families"].values()) == body["count"]
    rf = next(entry for entry in body["results"] if entry["key"] == "random_forest_classifier")
    n_estimators = next(p for p in rf["params"] if p["name"] == "n_estimators")
    assert n_estimators == {
        "name": "n_estimators", "type": "int", "default": 200, "min": 10, "max": 2000, "choices": [], "log": True,
        "help": "number of trees",
    }  # fmt: skip


def test_filters_combine(alice, api_as):
    client = api_as(alice)
    volatility = client.get("/api/models/?target=volatility&library=arch").json()["results"]
    assert volatility and all("volatility" in e["targets"] and e["library"] == "arch" for e in volatility)
    assert {e["key"] for e in client.get("/api/models/?family=forest").json()["results"]} == {
        key for key, definition in CATALOG.items() if definition.family == "forest"
    }
    searched = client.get("/api/models/?search=GARCH").json()["results"]
    assert searched and all("garch" in (e["key"] + e["name"] + e["description"]).lower() for e in searched)
    assert client.get("/api/models/?search=no-such-model").json() == {"count": 0, "families": {}, "results": []}


def test_detail_and_unknown_key(alice, api_as):
    client = api_as(alice)
    assert client.get("/api/models/ridge/").json()["targets"] == ["return", "volatility"]
    assert client.get("/api/models/crystal_ball/").status_code == 404


def test_sync_is_idempotent_and_keeps_the_enabled_flag(capsys):
    call_command("sync_catalog")
    assert CatalogEntry.objects.count() == len(CATALOG)
    CatalogEntry.objects.filter(key="ridge").update(enabled=False, name="renamed by hand")
    call_command("sync_catalog")
    assert f"0 created, {len(CATALOG)} updated" in capsys.readouterr().out
    ridge = CatalogEntry.objects.get(key="ridge")
    assert ridge.enabled is False and ridge.name == CATALOG["ridge"].name


def test_sync_drops_rows_of_models_the_code_no_longer_has(capsys):
    CatalogEntry.objects.create(key="lasso", name="Lasso", family="linear", library="scikit-learn")
    call_command("sync_catalog")
    assert f"{len(CATALOG)} created, 0 updated, 1 removed" in capsys.readouterr().out
    assert not CatalogEntry.objects.filter(key="lasso").exists()


def test_disabled_entry_cannot_be_used_for_new_trials(bundled, alice, api_as, trial_payload):
    call_command("sync_catalog")
    CatalogEntry.objects.filter(key="logistic_regression").update(enabled=False)
    client = api_as(alice)
    response = client.post("/api/trials/", trial_payload, format="json")
    assert response.status_code == 400
    assert "unknown or disabled catalog model 'logistic_regression'" in response.json()["model"]
    assert "logistic_regression" not in {e["key"] for e in client.get("/api/models/").json()["results"]}
    assert client.get("/api/models/logistic_regression/").status_code == 404
