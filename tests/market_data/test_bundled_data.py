"""The bundled history: real series from the arch package, stored with provenance and a verifiable hash."""

import arch
import arch.data.sp500
import pytest
from django.core.management import call_command

from market_data.hashing import frame_sha256
from market_data.models import Bar, Dataset
from market_data.selectors import dataset_frame

pytestmark = pytest.mark.django_db


def test_stored_values_equal_the_package_data_and_their_hash(bundled):
    spx = Dataset.objects.get(key="SPX", team__isnull=True)
    assert (spx.kind, spx.source, spx.rows) == ("bars", "bundled", 5031)
    assert spx.provenance["package"] == "arch" and spx.provenance["version"] == arch.__version__
    stored = dataset_frame(dataset=spx)
    raw = arch.data.sp500.load()
    assert stored["close"].to_numpy().tolist() == raw["Close"].astype("float64").to_numpy().tolist()
    assert str(stored.index[0].date()) == "1999-01-04" and str(stored.index[-1].date()) == "2018-12-31"
    assert frame_sha256(stored) == spx.sha256


def test_macro_series_are_stored_under_fred_ids(bundled):
    keys = set(Dataset.objects.filter(kind="series").values_list("key", flat=True))
    assert keys == {"VIXCLS", "DCOILWTICO", "CPILFESL", "AAA", "BAA"}
    assert Dataset.objects.get(key="CPILFESL").frequency == "1mo"


def test_reloading_is_idempotent(bundled, capsys):
    before = Bar.objects.count()
    call_command("load_bundled_data")
    assert "unchanged" in capsys.readouterr().out
    assert Bar.objects.count() == before


def test_datasets_api_lists_what_is_available(bundled, alice, api_as):
    rows = {row["key"]: row for row in api_as(alice).get("/api/datasets/").json()}
    assert rows["SPX"]["kind"] == "bars" and rows["SPX"]["rows"] == 5031
    assert rows["SPX"]["first_date"].startswith("1999-01-04") and rows["SPX"]["last_date"].startswith("2018-12-31")
    assert rows["DCOILWTICO"]["source"] == "bundled"
