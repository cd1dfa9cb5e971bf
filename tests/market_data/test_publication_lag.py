"""A team's own series declares when its observations are known; trials join it as of that date."""

import pytest

from market_data.models import Dataset
from market_data.selectors import dataset_frame
from market_data.services import dataset_store

pytestmark = pytest.mark.django_db


@pytest.fixture
def weekly_cpi(bundled, team_a):
    """Real core CPI values, stored as team A's series with a frequency no default lag is known for."""
    cpi = dataset_frame(dataset=Dataset.objects.get(key="CPILFESL", team__isnull=True))
    return dataset_store(
        key="DESKCPI", name="desk", kind="series", source="upload", data=cpi, provenance={}, team=team_a,
        frequency="irregular",
    )  # fmt: skip


def test_a_series_declares_its_publication_lag_and_trials_use_it(weekly_cpi, alice, api_as, trial_payload):
    client = api_as(alice)
    trial_payload["data"]["macro"] = ["DESKCPI"]
    refused = client.post("/api/trials/", trial_payload, format="json")
    assert refused.status_code == 400
    assert "no publication lag is known for frequency 'irregular'" in refused.json()["data"]["macro"]

    response = client.patch(f"/api/datasets/{weekly_cpi.pk}/", {"publication_lag_days": 45}, format="json")
    assert response.status_code == 200 and response.json()["publication_lag_days"] == 45
    assert client.post("/api/trials/", trial_payload, format="json").status_code == 201


@pytest.mark.parametrize("value", [-1, 731, "45", 1.5, True])
def test_a_bad_lag_is_refused(weekly_cpi, alice, api_as, value):
    response = api_as(alice).patch(f"/api/datasets/{weekly_cpi.pk}/", {"publication_lag_days": value}, format="json")
    assert response.status_code == 400 and "from 0 to 730" in response.json()["publication_lag_days"]


def test_who_may_declare_a_lag(weekly_cpi, victor, charlie, alice, api_as):
    url = f"/api/datasets/{weekly_cpi.pk}/"
    assert api_as(victor).patch(url, {"publication_lag_days": 3}, format="json").status_code == 403
    assert api_as(charlie).patch(url, {"publication_lag_days": 3}, format="json").status_code == 404
    shared = Dataset.objects.get(key="CPILFESL", team__isnull=True)
    response = api_as(alice).patch(f"/api/datasets/{shared.pk}/", {"publication_lag_days": 3}, format="json")
    assert response.status_code == 403
    assert api_as(alice).patch(url, {"lag": 3}, format="json").status_code == 400
    weekly_cpi.refresh_from_db()
    assert weekly_cpi.publication_lag_days is None
