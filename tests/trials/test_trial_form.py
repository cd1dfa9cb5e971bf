"""The new-trial form takes every field of a trial spec (costs, positions, the validation schemes, repeats, the
benchmark), "Run again with changes" pre-fills all of them, and a bad value shows trial_spec_clean's own message."""

import re

import pytest
from django.test import Client

from trials.forms import TrialForm
from trials.models import Trial
from trials.services import SPEC_FIELDS, TrialSpecInvalid, trial_create, trial_spec_clean
from trials.vocabulary import SPEC_DEFAULTS

pytestmark = pytest.mark.django_db

FORM = {
    "team": "team-a",
    "model": "logistic_regression",
    "target": "direction",
    "symbol": "SPX",
    "start": "2010-01-01",
    "end": "2016-12-31",
    "horizon": 1,
    "scheme": "walk_forward",
    "folds": 4,
    "gap": 1,
    "seed": 0,
    "params": "",
}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_every_field_of_a_spec_has_an_input():
    """A field the API takes but the form lacks could not be set from the page, nor pre-filled from a trial."""
    page_only = {"team", "model", "params", "name"}
    for section, names in SPEC_FIELDS.items():
        for name in names - {"data", "validation", "costs", "family"} - page_only:
            if section == "" and name not in ("seed", "repeats", "positions"):
                continue  # the compliance free-text fields (name, notes) are not spec settings
            assert name in TrialForm.base_fields, f"{section or 'spec'}.{name} has no input on the form"


def test_an_empty_form_starts_on_the_spec_defaults(alice, bundled):
    page = _client(alice).get("/trials/new/").content.decode()
    for name in ("folds", "gap", "embargo", "groups", "test_groups", "seed", "repeats", "horizon"):
        assert f'name="{name}" value="{SPEC_DEFAULTS[name]}"' in page, name
    assert f'<option value="{SPEC_DEFAULTS["positions"]}" selected>' in page
    assert f'<option value="{SPEC_DEFAULTS["scheme"]}" selected>' in page


def test_the_form_launches_costs_long_short_purged_kfold_repeats_and_a_benchmark(alice, bundled):
    form = FORM | {"scheme": "purged_kfold", "embargo": 3, "groups": 7, "positions": "long_short",
                   "commission_bps": "2.5", "slippage_bps": "1", "repeats": 3, "benchmark": "IXIC"}  # fmt: skip
    response = _client(alice).post("/trials/new/", form)
    trial = Trial.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/trials/{trial.pk}/"
    assert trial.validation == {"scheme": "purged_kfold", "folds": 4, "gap": 1, "embargo": 3}  # no cpcv groups
    assert trial.costs == {"commission_bps": 2.5, "slippage_bps": 1.0}
    assert (trial.positions, trial.repeats, trial.data["benchmark"]) == ("long_short", 3, "IXIC")


def test_cpcv_takes_its_groups_and_leaves_out_the_folds(alice, bundled):
    form = FORM | {"scheme": "cpcv", "groups": 6, "test_groups": 2, "embargo": 1, "folds": 9}
    assert _client(alice).post("/trials/new/", form).status_code == 302
    trial = Trial.objects.get()
    assert trial.validation == {"scheme": "cpcv", "groups": 6, "test_groups": 2, "gap": 1, "embargo": 1}


def test_empty_fields_take_the_services_defaults(alice, bundled):
    form = {key: value for key, value in FORM.items() if key not in ("folds", "gap", "seed", "horizon")}
    assert _client(alice).post("/trials/new/", form | {"commission_bps": "", "repeats": ""}).status_code == 302
    trial = Trial.objects.get()
    assert trial.validation == {"scheme": "walk_forward", "folds": SPEC_DEFAULTS["folds"], "gap": SPEC_DEFAULTS["gap"]}
    assert (trial.seed, trial.repeats, trial.data["horizon"]) == (0, 1, 1)
    assert trial.costs == {"commission_bps": 0.0, "slippage_bps": 0.0}


def _api_message(alice, payload_changes: dict, section: str, field: str) -> str:
    """What trial_spec_clean (the API's validation) says about the same bad value."""
    payload = {"model": "logistic_regression", "data": {"symbol": "SPX", "start": "2010-01-01", "end": "2016-12-31"}}
    for key, value in payload_changes.items():
        payload[key] = value
    with pytest.raises(TrialSpecInvalid) as caught:
        trial_spec_clean(team=alice.memberships.get().team, payload=payload)
    errors = caught.value.errors
    return errors[section][field] if section else errors[field]


@pytest.mark.parametrize(
    ("changes", "payload_changes", "section", "field"),
    [
        ({"commission_bps": "600"}, {"costs": {"commission_bps": 600.0}}, "costs", "commission_bps"),
        ({"slippage_bps": "-1"}, {"costs": {"slippage_bps": -1.0}}, "costs", "slippage_bps"),
        ({"repeats": "21"}, {"repeats": 21}, "", "repeats"),
        (
            {"scheme": "cpcv", "groups": "12", "test_groups": "6"},
            {"validation": {"scheme": "cpcv", "groups": 12, "test_groups": 6}},
            "validation",
            "test_groups",
        ),
        (
            {"scheme": "purged_kfold", "embargo": "999"},
            {"validation": {"scheme": "purged_kfold", "embargo": 999}},
            "validation",
            "embargo",
        ),
        ({"folds": "1"}, {"validation": {"folds": 1}}, "validation", "folds"),
    ],
)
def test_a_bad_value_shows_the_apis_message_next_to_its_field(alice, bundled, changes, payload_changes, section, field):
    message = _api_message(alice, payload_changes, section, field)
    page = _client(alice).post("/trials/new/", FORM | changes).content.decode()
    name = next(iter(changes)) if field not in changes else field
    block = re.search(rf'<div class="field" data-field="{name}">(.*?)</div>', page, re.S)
    shown = f"{field}: {message}" if section else message  # a section's errors say which of its fields
    assert block is not None and shown in block.group(1).replace("&#x27;", "'")
    assert not Trial.objects.exists()


def test_volatility_with_costs_is_refused_next_to_the_costs(alice, bundled):
    form = FORM | {"model": "garch_1_1", "target": "volatility", "commission_bps": "5"}
    page = _client(alice).post("/trials/new/", form).content.decode()
    block = re.search(r'<div class="field" data-field="commission_bps">(.*?)</div>', page, re.S)
    assert block is not None and "volatility trials have no strategy" in block.group(1)


def test_run_again_prefills_costs_positions_scheme_repeats_and_benchmark(alice, team_a, bundled, trial_payload):
    trial_payload.update(costs={"commission_bps": 4, "slippage_bps": 1.5}, positions="long_short", repeats=2)
    trial_payload["data"]["benchmark"] = "IXIC"
    trial_payload["validation"] = {"scheme": "cpcv", "groups": 5, "test_groups": 2, "gap": 1, "embargo": 2}
    trial = trial_create(team=team_a, user=alice, payload=trial_payload)
    page = _client(alice).get(f"/trials/new/?from={trial.pk}").content.decode()
    assert '<option value="long_short" selected>' in page and '<option value="cpcv" selected>' in page
    assert 'name="commission_bps" value="4.0"' in page and 'name="slippage_bps" value="1.5"' in page
    assert 'name="groups" value="5"' in page and 'name="test_groups" value="2"' in page
    assert 'name="embargo" value="2"' in page and 'name="repeats" value="2"' in page
    benchmark = re.search(r'<select name="benchmark".*?</select>', page, re.S).group(0)
    assert '<option value="IXIC" selected>' in benchmark
    # Sent back unchanged, the form makes the same spec.
    assert _client(alice).post("/trials/new/", _form_values(page)).status_code == 302
    again = Trial.objects.latest("id")
    fields = ("model_key", "params", "data", "validation", "costs", "positions", "repeats", "seed")
    assert {f: getattr(again, f) for f in fields} == {f: getattr(trial, f) for f in fields}


def _form_values(page: str) -> dict:
    """The values a browser would send for the page's trial form (inputs, selected options, textareas)."""
    form = re.search(r'<form method="post" class="card" id="trial-form">(.*?)</form>', page, re.S).group(1)
    values: dict = {}
    for tag in re.finditer(r"<input ([^>]*)>", form):
        attrs = dict(re.findall(r'(\w[\w-]*)="([^"]*)"', tag.group(1)))
        if "name" in attrs and attrs.get("type") not in ("checkbox", "submit"):
            values[attrs["name"]] = attrs.get("value", "")
    for select in re.finditer(r'<select name="(\w+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.findall(r'<option value="([^"]*)" selected>', select.group(2))
        values[select.group(1)] = chosen if "multiple" in select.group(0)[:200] else (chosen[0] if chosen else "")
    for area in re.finditer(r'<textarea name="(\w+)"[^>]*>(.*?)</textarea>', form, re.S):
        values[area.group(1)] = area.group(2).replace("&quot;", '"').strip()
    return values
