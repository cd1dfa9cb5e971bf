"""What compliance needs to know about trials, as an interface that trials implements and registers at start-up
(trials.apps): compliance judges trials without importing the trials app, which builds on it (no import cycle).

A trial is whatever has the attributes `JudgedTrial` names (trials.models.Trial does); the facts that need a
query or the trial's own rules (how many trials are active, the embargo a split will apply) come from the
registered `TrialFacts`.
"""

from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured

from accounts.models import Team, User


class JudgedTrial(Protocol):
    """The fields of a stored trial that compliance reads (trials.models.Trial)."""

    @property
    def pk(self) -> Any: ...
    @property
    def team(self) -> Team: ...
    @property
    def created_by(self) -> User | None: ...
    @property
    def created_by_id(self) -> Any: ...
    @property
    def name(self) -> str: ...
    @property
    def model_key(self) -> str: ...
    @property
    def family(self) -> str: ...
    @property
    def params(self) -> Any: ...
    @property
    def data(self) -> Any: ...
    @property
    def validation(self) -> Any: ...
    @property
    def seed(self) -> int: ...


class TrialFacts(Protocol):
    def active_counts(self, *, team: Team | None, user: User | None, exclude_pk: Any) -> tuple[int, int]:
        """(trials that hold a quota's place: waiting for approval, queued or running; of them, waiting for
        approval), in `team` (any team if None), by `user` (anyone's if None), other than trial `exclude_pk`."""
        ...

    def embargo(self, *, gap: int, horizon: int) -> int:
        """The bars a split will actually leave between training and testing for this gap and horizon."""
        ...


_registered: list[TrialFacts] = []


def trial_facts_register(facts: TrialFacts) -> None:
    """Called once by the trials app when Django starts (a second call replaces the first)."""
    _registered[:] = [facts]


def trial_facts() -> TrialFacts:
    if not _registered:
        raise ImproperlyConfigured("no TrialFacts registered: the trials app registers them in trials.apps.ready")
    return _registered[0]
