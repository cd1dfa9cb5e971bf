"""What each process keeps between submissions (the catalog's switches, datasets and their bar counts, submission
blocks; the rules have tests/compliance/test_rules_cache.py) is read again as soon as it changes: an admin's edit
takes effect on the next submission, in this process at once and in every other one once the shared generation
changes (mltrainer_site.process_cache)."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compliance.models import SubmissionBlock
from compliance.services import ComplianceRejected
from market_data.models import Dataset
from market_data.selectors import dataset_frame
from market_data.services import dataset_store
from mltrainer_site.process_cache import GENERATION_KEY
from models_catalog.models import CatalogEntry
from trials.services import TrialSpecInvalid

pytestmark = pytest.mark.django_db  # admin_client: pytest-django's, a superuser logged in


def _tables_read(call) -> set[str]:
    with CaptureQueriesContext(connection) as queries:
        call()
    return {q["sql"].split(" FROM ", 1)[1].split('"')[1] for q in queries.captured_queries if " FROM " in q["sql"]}


def test_a_model_disabled_in_the_admin_is_refused_at_the_next_submission(admin_client, alice, team_a, make_trial):
    entry, _ = CatalogEntry.objects.get_or_create(
        key="logistic_regression", defaults={"name": "Logistic regression", "family": "linear", "library": "sklearn"}
    )
    make_trial(alice, team_a)
    assert "models_catalog_catalogentry" not in _tables_read(lambda: make_trial(alice, team_a))  # kept

    response = admin_client.post(f"/admin/models_catalog/catalogentry/{entry.pk}/change/", {"_save": "1"})
    assert response.status_code == 302, response.content.decode()[:2000]  # "enabled" unticked
    with pytest.raises(TrialSpecInvalid) as refused:
        make_trial(alice, team_a)
    assert refused.value.errors["model"] == "unknown or disabled catalog model 'logistic_regression'"

    admin_client.post(f"/admin/models_catalog/catalogentry/{entry.pk}/change/", {"enabled": "on", "_save": "1"})
    assert make_trial(alice, team_a).status == "queued"


def test_a_catalog_change_in_another_process_is_read_once_the_generation_changes(alice, team_a, make_trial):
    make_trial(alice, team_a)
    # Another process disabled it: QuerySet.update() sends no signal, so only the shared generation tells this one.
    CatalogEntry.objects.update_or_create(key="logistic_regression", defaults={"enabled": True})
    make_trial(alice, team_a)
    CatalogEntry.objects.filter(key="logistic_regression").update(enabled=False)
    assert make_trial(alice, team_a).status == "queued"  # still what this process keeps: the cache is real
    cache.set(GENERATION_KEY, "another process saved a catalog entry")
    with pytest.raises(TrialSpecInvalid):
        make_trial(alice, team_a)


def test_a_replaced_dataset_is_checked_as_it_now_is(alice, team_a, make_trial):
    spx = dataset_frame(dataset=Dataset.objects.get(key="SPX", team__isnull=True))

    def store(frame):
        dataset_store(key="ACME", name="Acme", kind="bars", source="upload", data=frame, provenance={}, team=team_a)

    store(spx.loc["2010":"2017"])
    acme = {"symbol": "ACME", "start": "2012-01-01", "end": "2016-12-31"}
    make_trial(alice, team_a, data=acme)
    assert not {"market_data_dataset", "market_data_bar"} & _tables_read(lambda: make_trial(alice, team_a, data=acme))

    store(spx.loc["2018":"2019"])  # replaced: no bars in the range any more
    with pytest.raises(TrialSpecInvalid) as refused:
        make_trial(alice, team_a, data=acme)
    assert "no ACME bars between 2012-01-01 and 2016-12-31" in refused.value.errors["data"]["start"]

    store(spx.loc["2012-01-01":"2012-06-30"])  # back, but too short for three folds
    with pytest.raises(TrialSpecInvalid) as refused:
        make_trial(alice, team_a, data=acme)
    assert "folds" in refused.value.errors["validation"]


def test_a_block_refuses_the_next_submission_and_clearing_it_admits_the_one_after(
    admin_client, alice, team_a, make_trial
):
    make_trial(alice, team_a)
    assert "compliance_submissionblock" not in _tables_read(lambda: make_trial(alice, team_a))  # kept

    block = SubmissionBlock.objects.create(user=alice, team=team_a, reason="tripped by hand")
    with pytest.raises(ComplianceRejected) as refused:
        make_trial(alice, team_a)
    assert [v.rule for v in refused.value.violations] == ["repeated_violations"]

    response = admin_client.post(
        "/admin/compliance/submissionblock/", {"action": "clear_blocks", "_selected_action": [block.pk]}
    )
    assert response.status_code == 302
    assert make_trial(alice, team_a).status == "queued"
