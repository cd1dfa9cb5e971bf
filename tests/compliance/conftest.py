"""Compliance fixtures: rules made as an admin would, and datasets from live sources."""

import pandas as pd
import pytest


@pytest.fixture
def rule(db):
    """Create an enabled rule: rule(QuotaRule, team=team_a, max_active_per_user=1)."""

    def make(model, *, team=None, reason="house rule", **fields):
        return model.objects.create(team=team, reason=reason, **fields)

    return make


@pytest.fixture
def live_dataset(bundled, team_a):
    """live_dataset(key, source, last_day): SPX's bars re-dated to end on `last_day`, stored as that source."""
    from market_data.models import Dataset
    from market_data.selectors import dataset_frame
    from market_data.services import dataset_store

    def make(key: str, source: str, last_day: pd.Timestamp, team=team_a):
        spx = dataset_frame(dataset=Dataset.objects.get(key="SPX", team__isnull=True)).iloc[-1500:]
        spx.index = pd.bdate_range(end=last_day.normalize(), periods=len(spx))
        return dataset_store(
            key=key, name=key, kind="bars", source=source, data=spx, provenance={"test": True}, team=team
        )

    return make


@pytest.fixture
def submit(make_trial):
    """The compliance tests' name for make_trial (tests/conftest.py): submit(user, team, **overrides)."""
    return make_trial
