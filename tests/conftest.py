"""Shared fixtures: the access-rule cast (alice and bob in team A, charlie in team B), API clients, data."""

import pytest
from django.conf import settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken


def pytest_report_header(config):
    database = settings.DATABASES["default"]
    redis = settings.REDIS_URL.split("@")[-1]
    return [f"mlTrainer backends: database={database['ENGINE'].rsplit('.', 1)[-1]} ({database['NAME']}), redis={redis}"]


@pytest.fixture(autouse=True)
def _own_cache_keys(settings):
    """Each test counts its own rate-limit hits: a fresh key prefix in the shared Redis cache."""
    import uuid

    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"mltrainer-test-{uuid.uuid4().hex}"}}


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the bundled history once into the fresh test database (tests roll back around it)."""
    from market_data.services import bundled_load

    with django_db_blocker.unblock():
        bundled_load()


@pytest.fixture
def bundled(db):
    """The bundled real history (SPX, IXIC, macro series); reloaded if a transactional test flushed it."""
    from market_data.models import Dataset
    from market_data.services import bundled_load

    if not Dataset.objects.filter(key="SPX", team__isnull=True).exists():
        bundled_load()


@pytest.fixture
def team_a(db):
    from .factories import TeamFactory

    return TeamFactory(name="Team A", slug="team-a")


@pytest.fixture
def team_b(db):
    from .factories import TeamFactory

    return TeamFactory(name="Team B", slug="team-b")


def _member(team, username, role):
    from .factories import MembershipFactory

    return MembershipFactory(user__username=username, team=team, role=role).user


@pytest.fixture
def alice(team_a):
    return _member(team_a, "alice", "owner")


@pytest.fixture
def bob(team_a):
    return _member(team_a, "bob", "member")


@pytest.fixture
def victor(team_a):
    """A viewer in team A: reads, never writes."""
    return _member(team_a, "victor", "viewer")


@pytest.fixture
def charlie(team_b):
    return _member(team_b, "charlie", "owner")


def api_client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


@pytest.fixture
def api_as():
    return api_client_for


TRIAL_PAYLOAD = {
    "model": "logistic_regression",
    "params": {"C": 0.5},
    "data": {"symbol": "SPX", "start": "2012-01-01", "end": "2016-12-31", "target": "direction", "horizon": 1},
    "validation": {"scheme": "walk_forward", "folds": 3, "gap": 1},
    "seed": 0,
}


@pytest.fixture
def trial_payload():
    import copy

    return copy.deepcopy(TRIAL_PAYLOAD)


@pytest.fixture
def make_trial(bundled):
    """make_trial(user, team, **overrides): a trial submitted through trial_create, as the API would (queued, or
    pending approval, or ComplianceRejected; never executed). `data` and `validation` merge into TRIAL_PAYLOAD's,
    every other override replaces its field (params={} means the model's defaults)."""
    from trials.services import trial_create

    def make(user, team, **overrides):
        import copy

        payload = copy.deepcopy(TRIAL_PAYLOAD)
        for key, value in overrides.items():
            if key in ("data", "validation"):
                payload[key].update(value)
            else:
                payload[key] = value
        return trial_create(team=team, user=user, payload=payload)

    return make
