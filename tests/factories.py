"""factory_boy factories for the rows tests build directly: teams, people and their roles, studies, and trials
stored as a worker would have left them. Trials a user submits go through `make_trial` (tests/conftest.py), so the
compliance gateway judges them as in production."""

import factory
from django.contrib.auth.hashers import make_password
from factory.django import DjangoModelFactory


class TeamFactory(DjangoModelFactory):
    class Meta:
        model = "accounts.Team"
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


class UserFactory(DjangoModelFactory):
    """A user whose password is `<username>-pw-123` (the cast logs in with it)."""

    class Meta:
        model = "accounts.User"

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.LazyAttribute(lambda user: make_password(f"{user.username}-pw-123"))


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = "accounts.Membership"

    user = factory.SubFactory(UserFactory)
    team = factory.SubFactory(TeamFactory)
    role = "member"


class StudyFactory(DjangoModelFactory):
    class Meta:
        model = "trials.Study"

    team = factory.SubFactory(TeamFactory)
    created_by = None
    name = factory.Sequence(lambda n: f"study {n}")
    model_keys = factory.LazyFunction(lambda: ["logistic_regression"])
    data = factory.LazyFunction(lambda: {"symbol": "SPX", "target": "direction", "horizon": 1})
    validation = factory.LazyFunction(lambda: {"scheme": "walk_forward", "folds": 3, "gap": 1})
    metric = "sharpe"
    direction = "maximize"
    budget = 3


class StoredTrialFactory(DjangoModelFactory):
    """A trial row as stored (no gateway, no queue): for reads, lists and exports."""

    class Meta:
        model = "trials.Trial"

    team = factory.SubFactory(TeamFactory)
    model_key = "logistic_regression"
    family = "linear"
    target = "direction"
    data = factory.LazyFunction(lambda: {"symbol": "SPX", "target": "direction", "horizon": 1})
    validation = factory.LazyFunction(lambda: {"scheme": "walk_forward", "folds": 3, "gap": 1})
