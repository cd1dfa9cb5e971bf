"""In-app notifications: a bell with the unread count per user, each user's choice of events, email for those
who ask for it, and the trial events announced by the lifecycle's listener."""

import pytest
from django.core import mail

from notifications.models import Notification
from notifications.services import event_emit, preferences_set


def test_members_get_what_they_did_not_mute(alice, bob, victor, charlie, team_a):
    preferences_set(user=bob, muted=["live_drift"], email=[])
    event_emit(team=team_a, event="live_drift", key="d1", title="drift")
    assert sorted(Notification.objects.values_list("user__username", flat=True)) == ["alice", "victor"]


def test_email_goes_to_those_who_chose_it(alice, bob, team_a, django_capture_on_commit_callbacks):
    alice.email = "alice@example.com"
    alice.save(update_fields=["email"])
    preferences_set(user=alice, muted=[], email=["version_promoted"])
    with django_capture_on_commit_callbacks(execute=True):
        event_emit(team=team_a, event="version_promoted", key="p1", title="spx v1 promoted", body="by alice")
    assert [m.to for m in mail.outbox] == [["alice@example.com"]] and "spx v1 promoted" in mail.outbox[0].subject


def test_bell_counts_unread_and_marking_read_clears_it(alice, charlie, team_a, client, api_as):
    event_emit(team=team_a, event="trial_failed", key="t1", title="Trial 1 failed")
    event_emit(team=team_a, event="trial_failed", key="t2", title="Trial 2 failed")
    client.force_login(alice)
    page = client.get("/notifications/").content.decode()
    assert 'id="unread-count">2<' in page and "Trial 2 failed" in page
    assert api_as(alice).get("/api/notifications/").json()["unread"] == 2
    assert api_as(charlie).get("/api/notifications/").json() == {"unread": 0, "results": []}
    first = Notification.objects.filter(user=alice).order_by("id").first()
    body = api_as(alice).post("/api/notifications/read/", {"ids": [first.pk]}, format="json").json()
    assert body == {"marked": 1, "unread": 1}
    client.post("/notifications/read/")
    assert 'id="unread-count"' not in client.get("/notifications/").content.decode()


def test_preferences_api_round_trip_and_refuses_unknown_events(alice, api_as):
    client = api_as(alice)
    saved = client.put("/api/notifications/preferences/", {"muted": ["signal_changed"], "email": ["live_drift"]},
                       format="json")  # fmt: skip
    assert saved.json() == {"muted": ["signal_changed"], "email": ["live_drift"]}
    assert client.get("/api/notifications/preferences/").json() == saved.json()
    assert client.put("/api/notifications/preferences/", {"muted": ["nope"]}, format="json").status_code == 400


def test_preferences_page_form(alice, team_a, client):
    client.force_login(alice)
    client.post("/notifications/choose/", {"app-trial_succeeded": "on", "email-live_drift": "on"})
    alice.refresh_from_db()
    chosen = alice.preferences["notifications"]
    assert "trial_succeeded" not in chosen["muted"] and "trial_failed" in chosen["muted"]
    assert chosen["email"] == ["live_drift"]


@pytest.mark.django_db(transaction=True)
def test_a_succeeded_trial_is_announced_once(bundled, make_trial, alice, bob, team_a):
    from trials.services import trial_execute

    trial = make_trial(alice, team_a)
    trial_execute(trial_id=trial.pk)
    got = Notification.objects.filter(event="trial_succeeded")
    assert sorted(got.values_list("user__username", flat=True)) == ["alice", "bob"]
    assert got.first().url == f"/trials/{trial.pk}/"


def test_a_trial_waiting_for_approval_and_its_decision_are_announced(
    make_trial, alice, bob, team_a, django_capture_on_commit_callbacks
):
    from compliance.models import ApprovalRule
    from trials.services import trial_approve

    ApprovalRule.objects.create(team=team_a, reason="four eyes")
    with django_capture_on_commit_callbacks(execute=True):
        trial = make_trial(bob, team_a)
    assert trial.status == "pending_approval"
    asked = Notification.objects.filter(event="approval_requested", key=f"trial:{trial.pk}:requested")
    assert sorted(asked.values_list("user__username", flat=True)) == ["alice", "bob"]
    with django_capture_on_commit_callbacks(execute=True):
        trial_approve(trial=trial, user=alice)
    decided = Notification.objects.get(user=bob, event="approval_decided")
    assert decided.title.endswith("approved")


def test_a_study_that_ends_is_announced_once_with_its_best_value(
    bundled, alice, bob, team_a, django_capture_on_commit_callbacks
):
    from trials.models import Study, Trial
    from trials.studies import study_cancel, study_create, study_step

    data = {"symbol": "SPX", "start": "2012-01-01", "end": "2016-12-31", "target": "direction"}
    payload = {"model": "logistic_regression", "metric": "sharpe", "budget": 1, "parallelism": 1, "data": data}
    study = study_create(team=team_a, user=alice, payload=dict(payload, name="tune C"))
    study_step(study_id=study.pk)
    Trial.objects.filter(study=study).update(status="succeeded", metrics={"sharpe": 0.75})
    with django_capture_on_commit_callbacks(execute=True):
        study_step(study_id=study.pk)  # its one evaluation is done: the study ends
    with django_capture_on_commit_callbacks(execute=True):
        study_step(study_id=study.pk)  # a second step changes nothing and announces nothing
    assert Study.objects.get(pk=study.pk).status == "succeeded"
    got = Notification.objects.filter(event="study_finished")
    assert sorted(got.values_list("user__username", flat=True)) == ["alice", "bob"]
    assert got.first().title == f"Study {study.pk} (tune C) succeeded" and got.first().body == "best sharpe 0.75"
    assert got.first().url == f"/studies/{study.pk}/"

    other = study_create(team=team_a, user=alice, payload=dict(payload, name="tune D"))
    with django_capture_on_commit_callbacks(execute=True):
        study_cancel(study=other, user=alice)
    assert Notification.objects.filter(event="study_finished", title__endswith="(tune D) cancelled").count() == 2
