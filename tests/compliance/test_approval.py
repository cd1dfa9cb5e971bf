"""Four-eyes approval: matching trials wait until an owner other than the submitter approves or rejects them."""

import pandas as pd
import pytest
from django.test import Client

from accounts.models import Membership, User
from compliance.models import ApprovalRule, DataSourceRule, Decision
from notifications.models import Notification
from trials.models import Trial

pytestmark = pytest.mark.django_db


@pytest.fixture
def olivia(team_a):
    """A second owner of team A."""
    user = User.objects.create_user(username="olivia", password="olivia-pw-123")
    Membership.objects.create(user=user, team=team_a, role="owner")
    return user


@pytest.fixture
def large_studies_need_approval(rule):
    return rule(ApprovalRule, when_folds_at_least=6, reason="large studies use shared compute")


def test_matching_trial_waits_and_is_not_queued(
    bob, team_a, submit, large_studies_need_approval, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        small = submit(bob, team_a)
    small.refresh_from_db()
    assert small.status == "queued" and small.enqueued_at is not None  # sent to a worker
    with django_capture_on_commit_callbacks(execute=True):
        large = submit(bob, team_a, validation={"folds": 6})
    large.refresh_from_db()
    assert large.status == Trial.Status.PENDING_APPROVAL
    assert large.enqueued_at is None  # not sent to a worker; its owners are asked instead
    assert Notification.objects.filter(event="approval_requested", url=f"/trials/{large.pk}/").exists()
    decision = Decision.objects.get(trial_id=large.pk)
    assert decision.outcome == "needs_approval"
    assert "large study (6 folds" in decision.reasons[0]["message"]


def test_live_source_condition(alice, team_a, submit, rule, live_dataset):
    live_dataset("LIVESPX", "polygon", pd.Timestamp.now())
    rule(DataSourceRule, sources="bundled, polygon")
    rule(ApprovalRule, when_live_source=True)
    assert submit(alice, team_a).status == "queued"
    live = submit(alice, team_a, data={"symbol": "LIVESPX", "start": None, "end": None})
    assert live.status == "pending_approval"


def test_owner_approves_a_members_trial(
    alice, bob, team_a, submit, api_as, large_studies_need_approval, django_capture_on_commit_callbacks
):
    trial = submit(bob, team_a, validation={"folds": 6})
    with django_capture_on_commit_callbacks() as callbacks:
        response = api_as(alice).post(f"/api/trials/{trial.pk}/approve/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "queued"
    assert len(callbacks) == 2  # published and enqueued after commit
    trial.refresh_from_db()
    assert trial.status == "queued"
    approval = Decision.objects.get(trial_id=trial.pk, stage="approval")
    assert (approval.outcome, approval.username) == ("approved", "alice")
    # Only once.
    again = api_as(alice).post(f"/api/trials/{trial.pk}/approve/")
    assert again.status_code == 409 and "queued, not waiting for approval" in again.json()["detail"]


def test_submitter_cannot_approve_their_own_trial(alice, olivia, team_a, submit, api_as, large_studies_need_approval):
    trial = submit(alice, team_a, validation={"folds": 6})
    response = api_as(alice).post(f"/api/trials/{trial.pk}/approve/")
    assert response.status_code == 403
    assert "you submitted this trial" in response.json()["detail"]
    assert api_as(alice).post(f"/api/trials/{trial.pk}/reject/").status_code == 403
    trial.refresh_from_db()
    assert trial.status == "pending_approval"
    # Another owner can.
    assert api_as(olivia).post(f"/api/trials/{trial.pk}/approve/").json()["status"] == "queued"


def test_members_and_outsiders_cannot_decide(alice, bob, charlie, team_a, submit, api_as, large_studies_need_approval):
    trial = submit(alice, team_a, validation={"folds": 6})
    response = api_as(bob).post(f"/api/trials/{trial.pk}/approve/")
    assert response.status_code == 403 and "only an owner of Team A" in response.json()["detail"]
    assert api_as(charlie).post(f"/api/trials/{trial.pk}/approve/").status_code == 404
    assert api_as(charlie).post(f"/api/trials/{trial.pk}/reject/").status_code == 404
    trial.refresh_from_db()
    assert trial.status == "pending_approval"
    assert not Decision.objects.filter(stage="approval").exists()


def test_owner_rejects_with_a_reason(alice, bob, team_a, submit, api_as, large_studies_need_approval):
    trial = submit(bob, team_a, validation={"folds": 6})
    response = api_as(alice).post(f"/api/trials/{trial.pk}/reject/", {"reason": "not this quarter"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "rejected" and body["error"] == "rejected by alice: not this quarter"
    assert body["finished_at"] is not None
    decision = Decision.objects.get(trial_id=trial.pk, stage="approval")
    assert decision.outcome == "rejected" and decision.reasons[0]["message"] == "rejected by alice: not this quarter"


def test_trial_page_buttons(alice, bob, team_a, submit, large_studies_need_approval):
    trial = submit(bob, team_a, validation={"folds": 6})
    as_bob, as_alice = Client(), Client()
    as_bob.force_login(bob)
    as_alice.force_login(alice)
    bob_page = as_bob.get(f"/trials/{trial.pk}/").content.decode()
    assert f"/trials/{trial.pk}/approve/" not in bob_page and "Waiting for approval by an owner" in bob_page
    alice_page = as_alice.get(f"/trials/{trial.pk}/").content.decode()
    assert f'action="/trials/{trial.pk}/approve/"' in alice_page
    assert f'action="/trials/{trial.pk}/reject/"' in alice_page
    # Bob posting to the button's URL anyway is refused.
    as_bob.post(f"/trials/{trial.pk}/approve/")
    trial.refresh_from_db()
    assert trial.status == "pending_approval"
    response = as_alice.post(f"/trials/{trial.pk}/approve/", follow=True)
    trial.refresh_from_db()
    assert trial.status == "queued" and f"Trial {trial.pk} approved" in response.content.decode()


def test_pending_trials_count_against_quotas_and_approval_checks_them_again(alice, bob, team_a, submit, api_as, rule):
    from compliance.models import QuotaRule
    from compliance.services import ComplianceRejected

    quota = rule(QuotaRule, team=team_a, max_active_per_team=2, reason="team budget")
    rule(ApprovalRule, reason="four eyes on everything")
    first, second = submit(bob, team_a), submit(bob, team_a)
    assert (first.status, second.status) == ("pending_approval", "pending_approval")
    with pytest.raises(ComplianceRejected) as refused:
        submit(bob, team_a)
    assert refused.value.as_list()[0]["message"].startswith(
        "Team A has 2 trials queued or running (2 of them waiting for approval), the limit is 2"
    )
    assert Trial.objects.filter(team=team_a).count() == 2

    assert api_as(alice).post(f"/api/trials/{first.pk}/approve/").json()["status"] == "queued"
    # The quota is lowered while the second waits: approving it now would exceed it.
    QuotaRule.objects.filter(pk=quota.pk).update(max_active_per_team=1)
    response = api_as(alice).post(f"/api/trials/{second.pk}/approve/")
    assert response.status_code == 409
    assert response.json()["detail"].startswith("cannot approve it now: Team A has 1 trials queued or running")
    second.refresh_from_db()
    assert second.status == "pending_approval"
    assert not Decision.objects.filter(trial_id=second.pk, stage="approval").exists()
