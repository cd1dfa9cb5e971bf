"""The trial's status machine (trials/lifecycle.py): every move, the signal after commit, and every listener."""

import ast
import base64
import json
from pathlib import Path

import pytest
import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

from compliance.models import ApprovalRule
from trials import lifecycle
from trials.events import group_name
from trials.models import Study, Trial

from ..observability.helpers import TOKEN, scrape, value

pytestmark = pytest.mark.django_db

S = Trial.Status
MOVES = [(old, new) for old, targets in lifecycle.TRANSITIONS.items() for new in sorted(targets)]
NOT_MOVES = [(old, new) for old in S.values for new in S.values if new not in lifecycle.TRANSITIONS[old]]


@pytest.fixture
def heard():
    """Every trial_status_changed sent during the test, as (trial_id, old_status, new_status)."""
    events = []

    def listener(*, trial_id, old_status, new_status, trial, **_):
        assert trial.pk == trial_id and trial.status == new_status
        events.append((trial_id, old_status, new_status))

    lifecycle.trial_status_changed.connect(listener, dispatch_uid="test-heard")
    yield events
    lifecycle.trial_status_changed.disconnect(dispatch_uid="test-heard")


def _in_status(trial: Trial, status: str) -> Trial:
    Trial.objects.filter(pk=trial.pk).update(status=status)  # test setup: put the trial where the move starts
    return trial


def test_the_machine_has_the_documented_moves():
    assert set(MOVES) == {
        (S.PENDING_APPROVAL, S.QUEUED),
        (S.PENDING_APPROVAL, S.REJECTED),
        (S.PENDING_APPROVAL, S.CANCELLED),
        (S.QUEUED, S.RUNNING),
        (S.QUEUED, S.CANCELLED),
        (S.RUNNING, S.RUNNING),
        (S.RUNNING, S.QUEUED),
        (S.RUNNING, S.SUCCEEDED),
        (S.RUNNING, S.FAILED),
        (S.RUNNING, S.CANCELLED),
        (S.RUNNING, S.REJECTED),
    }
    assert all(not lifecycle.TRANSITIONS[final] for final in Trial.FINISHED)


@pytest.mark.parametrize(("old", "new"), MOVES)
def test_every_move_is_one_conditional_update_announced_after_commit(
    old, new, alice, team_a, make_trial, heard, django_capture_on_commit_callbacks
):
    trial = _in_status(make_trial(alice, team_a), old)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        moved = lifecycle.trial_move(trial_id=trial.pk, source=old, to=new, error="why")
        assert heard == []  # nothing before the commit
    assert (moved.status, moved.error) == (new, "why")
    trial.refresh_from_db()
    assert trial.status == new
    assert heard == [(trial.pk, old, new)]


@pytest.mark.parametrize(("old", "new"), NOT_MOVES)
def test_a_move_the_machine_does_not_have_is_refused(old, new, alice, team_a, make_trial, heard):
    trial = _in_status(make_trial(alice, team_a), old)
    with pytest.raises(lifecycle.TransitionNotAllowed, match=f"from {old} to {new}"):
        lifecycle.trial_move(trial_id=trial.pk, source=old, to=new)
    trial.refresh_from_db()
    assert trial.status == old and heard == []


def test_a_trial_no_longer_in_the_source_status_is_left_alone(
    alice, team_a, make_trial, heard, django_capture_on_commit_callbacks
):
    trial = _in_status(make_trial(alice, team_a), S.CANCELLED)
    with django_capture_on_commit_callbacks(execute=True):
        assert lifecycle.trial_move(trial_id=trial.pk, source=S.RUNNING, to=S.SUCCEEDED) is None
    trial.refresh_from_db()
    assert trial.status == S.CANCELLED and heard == []


def test_a_move_that_rolls_back_is_never_announced(
    alice, team_a, make_trial, heard, django_capture_on_commit_callbacks
):
    trial = make_trial(alice, team_a)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        lifecycle.trial_move(trial_id=trial.pk, source=S.QUEUED, to=S.CANCELLED)
        raise RuntimeError("the caller failed after the move")
    trial.refresh_from_db()
    assert trial.status == S.QUEUED and heard == []


def test_creation_is_announced_only_for_a_trial_born_final(alice, team_a, heard, django_capture_on_commit_callbacks):
    spec = {"team": team_a, "created_by": alice, "model_key": "logistic_regression", "target": "direction"}
    with django_capture_on_commit_callbacks(execute=True):
        queued = lifecycle.trial_insert(status=S.QUEUED, **spec)
        refused = lifecycle.trial_insert(status=S.REJECTED, error="refused", **spec)
    assert heard == [(refused.pk, None, S.REJECTED)]
    assert queued.status == S.QUEUED
    with pytest.raises(lifecycle.TransitionNotAllowed):
        lifecycle.trial_insert(status=S.RUNNING, **spec)


def test_a_failing_listener_is_logged_and_the_others_still_run(
    alice, team_a, make_trial, heard, caplog, django_capture_on_commit_callbacks
):
    def broken(**_):
        raise ConnectionError("a listener's service is down")

    lifecycle.trial_status_changed.connect(broken, dispatch_uid="test-broken")
    try:
        trial = make_trial(alice, team_a)
        with django_capture_on_commit_callbacks(execute=True):
            lifecycle.trial_move(trial_id=trial.pk, source=S.QUEUED, to=S.CANCELLED)
    finally:
        lifecycle.trial_status_changed.disconnect(dispatch_uid="test-broken")
    assert heard == [(trial.pk, S.QUEUED, S.CANCELLED)]
    assert f"trial {trial.pk} queued -> cancelled: listener" in caplog.text and "a listener's service is down" in (
        caplog.text
    )


# --- The listeners ---------------------------------------------------------------------------------------------


def _broker_items(task: str) -> list[tuple[bytes, list]]:
    """The `task` messages waiting in the Celery queue on the real broker: (as stored, their argument list)."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        raw = client.lrange(settings.CELERY_TASK_DEFAULT_QUEUE, 0, -1)
    finally:
        client.close()
    messages = [(item, json.loads(item)) for item in raw]
    return [
        (item, json.loads(base64.b64decode(message["body"]))[0])
        for item, message in messages
        if message["headers"]["task"] == task
    ]


def _broker_messages(task: str) -> list[list]:
    """The argument lists of `task` messages waiting in the Celery queue on the real broker."""
    return [args for _, args in _broker_items(task)]


def _broker_drop(task: str, args: list) -> None:
    """Take the `task(*args)` messages out of the queue (worker slots no later test asked for)."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        for item, found in _broker_items(task):
            if found == args:
                client.lrem(settings.CELERY_TASK_DEFAULT_QUEUE, 1, item)
    finally:
        client.close()


def test_listener_websocket_event(alice, team_a, make_trial, django_capture_on_commit_callbacks):
    trial = make_trial(alice, team_a)
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group_name(trial.pk), channel)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            lifecycle.trial_move(trial_id=trial.pk, source=S.QUEUED, to=S.CANCELLED)
        event = async_to_sync(layer.receive)(channel)["payload"]
    finally:
        async_to_sync(layer.group_discard)(group_name(trial.pk), channel)
    # What the browser gets: the JSON round trip.
    assert json.loads(json.dumps(event)) == {
        "type": "trial.status",
        "trial": trial.pk,
        "status": "cancelled",
        "progress": 0.0,
        "fold": 0,
        "folds": 3,
    }


def test_listener_metric_counts_final_statuses_only(
    alice, team_a, make_trial, client, settings, django_capture_on_commit_callbacks
):
    settings.METRICS_TOKEN = TOKEN
    labels = {"status": "cancelled", "family": "linear"}
    before = scrape(client)
    trial = make_trial(alice, team_a)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.trial_move(trial_id=trial.pk, source=S.QUEUED, to=S.RUNNING)  # not final: not counted
        lifecycle.trial_move(trial_id=trial.pk, source=S.RUNNING, to=S.CANCELLED)
    after = scrape(client)
    assert value(after, "mltrainer_trials_total", **labels) - value(before, "mltrainer_trials_total", **labels) == 1
    running = {"status": "running", "family": "linear"}
    assert value(after, "mltrainer_trials_total", **running) == value(before, "mltrainer_trials_total", **running)


@pytest.fixture
def study(alice, team_a):
    return Study.objects.create(
        team=team_a,
        created_by=alice,
        model_keys=["logistic_regression"],
        data={"symbol": "SPX", "target": "direction", "horizon": 1},
        validation={"scheme": "walk_forward", "folds": 3, "gap": 1},
        metric="sharpe",
        direction="maximize",
        budget=4,
    )


def test_listener_study_step_when_an_evaluation_ends(
    alice, team_a, make_trial, study, django_capture_on_commit_callbacks
):
    trial = make_trial(alice, team_a)
    Trial.objects.filter(pk=trial.pk).update(study=study)
    before = _broker_messages("trials.tasks.run_study_step").count([study.pk])
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.trial_move(trial_id=trial.pk, source=S.QUEUED, to=S.RUNNING)  # not an end: no step
    assert _broker_messages("trials.tasks.run_study_step").count([study.pk]) == before
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.trial_move(trial_id=trial.pk, source=S.RUNNING, to=S.FAILED)
    assert _broker_messages("trials.tasks.run_study_step").count([study.pk]) == before + 1


def test_an_owners_rejection_is_counted_and_steps_its_study(
    alice, bob, team_a, make_trial, study, api_as, client, settings, django_capture_on_commit_callbacks
):
    """The reject path used to skip both: it now goes through the machine like every other end."""
    settings.METRICS_TOKEN = TOKEN
    ApprovalRule.objects.create(reason="four eyes on everything")
    trial = make_trial(bob, team_a)
    assert trial.status == S.PENDING_APPROVAL
    Trial.objects.filter(pk=trial.pk).update(study=study)
    labels = {"status": "rejected", "family": "linear"}
    counted = value(scrape(client), "mltrainer_trials_total", **labels)
    steps = _broker_messages("trials.tasks.run_study_step").count([study.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(alice).post(f"/api/trials/{trial.pk}/reject/", {"reason": "no"}, format="json")

    assert response.status_code == 200 and response.json()["status"] == "rejected"
    assert value(scrape(client), "mltrainer_trials_total", **labels) == counted + 1
    assert _broker_messages("trials.tasks.run_study_step").count([study.pk]) == steps + 1


def test_approval_sends_the_trial_to_the_workers(
    alice, bob, team_a, make_trial, api_as, django_capture_on_commit_callbacks
):
    ApprovalRule.objects.create(reason="four eyes on everything")
    trial = make_trial(bob, team_a)
    with django_capture_on_commit_callbacks(execute=True):
        assert api_as(alice).post(f"/api/trials/{trial.pk}/approve/").json()["status"] == "queued"
    assert [trial.pk] in _broker_messages("trials.tasks.run_trial")
    trial.refresh_from_db()
    assert trial.enqueued_at is not None


@pytest.mark.django_db(transaction=True)  # the request runs on the web handler's own thread and connection
def test_a_submission_through_the_web_server_answers_first_then_sends_its_trial(bundled, alice, trial_payload):
    """Served by the ASGI app (as in production), the trial's message goes out after the 201 (after_response)."""
    import time

    from rest_framework_simplejwt.tokens import RefreshToken

    from ..asgi import asgi_request

    body = json.dumps({**trial_payload, "team": "team-a"}).encode()
    headers = [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"authorization", f"Bearer {RefreshToken.for_user(alice).access_token}".encode()),
    ]  # fmt: skip
    answer = asgi_request("POST", "/api/trials/", headers=headers, body=body)
    created = json.loads(answer["body"])
    assert answer["status"] == 201, created
    for _ in range(500):  # sent on the request's thread once the response is out
        if [created["id"]] in _broker_messages("trials.tasks.run_trial"):
            break
        time.sleep(0.01)
    assert [created["id"]] in _broker_messages("trials.tasks.run_trial")
    trial = Trial.objects.get(pk=created["id"])
    assert trial.status == S.QUEUED and trial.enqueued_at is not None
    _broker_drop("trials.tasks.run_trial", [created["id"]])


# --- Nobody else writes the status ------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
APP_DIRS = (
    "accounts",
    "coach",
    "compliance",
    "market_data",
    "models_catalog",
    "observability",
    "security",
    "trials",
    "scripts",
)


WRITES = {"update", "create", "get_or_create", "update_or_create", "bulk_create"}


def _status_writes(source: str) -> list[int]:
    """Lines that write a trial's status: a write (`update`, `create`, …) or `Trial(…)` given `status=`, on
    something named like a trial (Trial.objects…, study.trials…) or with a Trial.Status value; and assignments
    to `<trial>.status`."""

    def named(node) -> list:
        return [n for n in ast.walk(node) if isinstance(n, ast.Name | ast.Attribute)]

    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in WRITES:
                receiver = " ".join(n.id if isinstance(n, ast.Name) else n.attr for n in named(func.value)).lower()
            elif isinstance(func, ast.Name) and func.id == "Trial":
                receiver = "trial"
            else:
                continue
            for keyword in node.keywords:
                value = " ".join(n.id if isinstance(n, ast.Name) else n.attr for n in named(keyword.value)).lower()
                if keyword.arg == "status" and ("trial" in receiver or "trial" in value):
                    lines.append(node.lineno)
        elif isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and target.attr == "status":
                    owner = " ".join(n.id if isinstance(n, ast.Name) else n.attr for n in named(target.value))
                    if "trial" in owner.lower():
                        lines.append(node.lineno)
    return sorted(lines)


def test_the_finder_finds_status_writes():
    bad = """
Trial.objects.filter(pk=1).update(status=Trial.Status.FAILED)
study.trials.exclude(status__in=done).update(status="cancelled")
Trial.objects.create(team=team, status="queued")
trial.status = "running"
Trial(team=team, status="queued")
rows.update(status=Trial.Status.QUEUED)
Study.objects.filter(pk=1).update(status=Study.Status.SUCCEEDED)
Trial.objects.filter(status=Trial.Status.RUNNING).update(heartbeat_at=now)
Proposal.objects.filter(pk=1, status=Proposal.Status.PROPOSED).update(status=Proposal.Status.LAUNCHED, trial=trial)
trial.status == "running"
"""
    assert _status_writes(bad) == [2, 3, 4, 5, 6, 7]


def test_no_code_outside_the_lifecycle_writes_a_trials_status():
    offenders = []
    for app in APP_DIRS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts or path == ROOT / "trials" / "lifecycle.py":
                continue
            source = path.read_text()
            for line in _status_writes(source):
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {source.splitlines()[line - 1].strip()}")
    assert offenders == []
