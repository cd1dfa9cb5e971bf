"""Teams share the workers fairly: a message is a slot for the fairest queued trial, teams at their cap wait for a
slot of their own, and with a real worker team B's trial starts in the next slot while team A has 50 queued."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.utils import timezone

from mltrainer_site.celery import app as celery_app
from trials import lifecycle
from trials.models import TeamShare, Trial
from trials.queue import trial_resend_unsent
from trials.services import trial_claim

pytestmark = pytest.mark.django_db


def test_the_next_slot_goes_to_the_team_with_fewer_running(alice, charlie, team_a, team_b, make_trial):
    a1, a2, a3 = (make_trial(alice, team_a) for _ in range(3))
    b1 = make_trial(charlie, team_b)
    assert trial_claim(hint=a1.pk).pk == a1.pk  # nobody runs anything: the message's own trial
    assert trial_claim(hint=a2.pk).pk == b1.pk  # A runs one, B none: B's trial, though the message named A's
    assert trial_claim(hint=a3.pk).pk == a3.pk  # one each: A started longest ago
    assert trial_claim(hint=b1.pk).pk == a2.pk  # B's own message, now a slot for A's last one
    assert trial_claim(hint=a2.pk) is None  # nothing queued
    assert set(Trial.objects.filter(status="running").values_list("pk", flat=True)) == {a1.pk, a2.pk, a3.pk, b1.pk}


def test_a_team_at_its_cap_waits_and_its_trial_is_sent_when_a_slot_frees(
    alice, team_a, make_trial, django_capture_on_commit_callbacks
):
    TeamShare.objects.create(team=team_a, max_running_trials=1)
    a1, a2 = make_trial(alice, team_a), make_trial(alice, team_a)
    Trial.objects.filter(pk__in=[a1.pk, a2.pk]).update(enqueued_at=timezone.now())  # the broker took both
    assert trial_claim(hint=a1.pk).pk == a1.pk
    assert trial_claim(hint=a2.pk) is None  # A is at its cap: the slot is given up
    assert Trial.objects.get(pk=a2.pk).enqueued_at is None  # parked: no message stands for it now
    assert a2.pk not in trial_resend_unsent()  # the relay leaves a team at its cap alone

    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.trial_move(trial_id=a1.pk, source="running", to="failed", finished_at=timezone.now())
    assert Trial.objects.get(pk=a2.pk).enqueued_at is not None  # A's slot freed: its parked trial was sent
    assert trial_claim(hint=a2.pk).pk == a2.pk


def test_the_default_cap_applies_to_teams_without_a_share(alice, team_a, make_trial, settings):
    settings.TRIAL_TEAM_MAX_RUNNING = 2
    trials = [make_trial(alice, team_a) for _ in range(3)]
    assert [getattr(trial_claim(hint=t.pk), "pk", None) for t in trials] == [trials[0].pk, trials[1].pk, None]
    TeamShare.objects.filter(team=team_a).update(max_running_trials=0)  # set in the admin: no cap for this team
    assert trial_claim(hint=trials[2].pk).pk == trials[2].pk


def test_the_cap_is_edited_in_the_admin(admin_client, team_a):
    response = admin_client.post(
        f"/{settings.ADMIN_PATH}trials/teamshare/add/", {"team": team_a.pk, "max_running_trials": 3}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert TeamShare.objects.get(team=team_a).max_running_trials == 3
    listing = admin_client.get(f"/{settings.ADMIN_PATH}trials/teamshare/").content.decode()
    assert team_a.name in listing


def _purge_test_queue():
    with celery_app.connection_for_write() as connection:
        connection.default_channel.queue_purge(settings.CELERY_TASK_DEFAULT_QUEUE)


def _wait(condition, timeout=180.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_team_bs_trial_starts_in_the_next_slot_while_team_a_has_50_queued(alice, charlie, team_a, team_b, make_trial):
    _purge_test_queue()
    a_trials = [make_trial(alice, team_a, name=f"A {n}") for n in range(50)]  # each sent to the broker
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30, loglevel="WARNING"):
        try:
            assert _wait(lambda: Trial.objects.filter(team=team_a, status="running").exists())
            b_trial = make_trial(charlie, team_b, name="B")
            submitted = timezone.now()
            assert _wait(lambda: Trial.objects.get(pk=b_trial.pk).started_at is not None)
        finally:
            Trial.objects.filter(team=team_a, status="queued").update(cancel_requested=True)
            for trial in Trial.objects.filter(team=team_a, status="queued"):
                lifecycle.trial_move(trial_id=trial.pk, source="queued", to="cancelled", finished_at=timezone.now())
    b_started = Trial.objects.get(pk=b_trial.pk).started_at
    a_started = Trial.objects.filter(pk__in=[t.pk for t in a_trials], started_at__isnull=False)
    # The A trial running when B was submitted finished; the next slot was B's, ahead of 48 queued A trials.
    assert a_started.filter(started_at__gt=submitted, started_at__lt=b_started).count() <= 1
    assert a_started.filter(started_at__lt=b_started).count() <= 2
    assert Trial.objects.filter(team=team_a, status="cancelled").count() >= 47
    _purge_test_queue()


def test_a_start_records_when_and_keeps_the_cap_the_admin_set(alice, team_a, team_b, charlie, make_trial):
    TeamShare.objects.create(team=team_a, max_running_trials=5)
    a1, b1 = make_trial(alice, team_a), make_trial(charlie, team_b)
    trial_claim(hint=a1.pk)
    trial_claim(hint=b1.pk)  # team B has no share row yet: the start creates it
    shares = {share.team_id: share for share in TeamShare.objects.all()}
    assert shares[team_a.pk].max_running_trials == 5 and shares[team_b.pk].max_running_trials is None
    assert shares[team_a.pk].last_started_at == Trial.objects.get(pk=a1.pk).started_at
    assert shares[team_b.pk].last_started_at == Trial.objects.get(pk=b1.pk).started_at
