"""After N refused submissions in a time window a user's submissions are refused until an admin clears them."""

from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from compliance.models import ForbiddenTermsRule, RepeatedViolationRule, SubmissionBlock
from compliance.services import ComplianceRejected

pytestmark = pytest.mark.django_db


def refuse(submit, user, team, **overrides):
    with pytest.raises(ComplianceRejected) as excinfo:
        submit(user, team, **overrides)
    return [v.rule for v in excinfo.value.violations]


@pytest.fixture
def no_hype(rule):
    return rule(ForbiddenTermsRule, terms="guaranteed")


def test_block_after_n_rejections_until_an_admin_clears_it(alice, bob, team_a, submit, rule, no_hype):
    limit = rule(RepeatedViolationRule, rejections=3, window_minutes=60)
    for _ in range(2):
        refuse(submit, alice, team_a, name="guaranteed")
    assert submit(alice, team_a).status == "queued"  # two refusals: still free to submit
    refuse(submit, alice, team_a, name="guaranteed")

    block = SubmissionBlock.objects.get(user=alice)
    assert block.active and f"repeated violations rule #{limit.pk}" in block.reason
    assert "3 rejected submissions within 60 minutes" in block.reason and "forbidden_terms" in block.reason
    assert refuse(submit, alice, team_a) == ["repeated_violations"]  # a clean spec is refused too
    assert submit(bob, team_a).status == "queued"  # only the user who tripped it

    admin = User.objects.create_superuser(username="root", password="root-pw-123", email="root@example.com")
    client = Client()
    client.force_login(admin)
    changelist = client.get("/admin/compliance/submissionblock/").content.decode()
    assert "alice" in changelist and "3 rejected submissions" in changelist
    audit = client.get("/compliance/").content.decode()
    assert "Blocked submitters" in audit and "alice" in audit
    response = client.post(
        "/admin/compliance/submissionblock/", {"action": "clear_blocks", "_selected_action": [block.pk]}
    )
    assert response.status_code == 302
    block.refresh_from_db()
    assert not block.active and block.cleared_by == admin

    assert submit(alice, team_a).status == "queued"
    # A cleared user starts afresh: the refusals before clearing no longer count.
    refuse(submit, alice, team_a, name="guaranteed")
    assert not SubmissionBlock.objects.filter(user=alice, cleared_at__isnull=True).exists()


def test_rejections_outside_the_window_do_not_count(alice, team_a, submit, rule, no_hype):
    rule(RepeatedViolationRule, rejections=2, window_minutes=30)
    refuse(submit, alice, team_a, name="guaranteed")
    later = timezone.now() + timedelta(minutes=31)
    with mock.patch("compliance.services.timezone") as clock:
        clock.now.return_value = later
        refuse(submit, alice, team_a, name="guaranteed")
    assert not SubmissionBlock.objects.exists()
    refuse(submit, alice, team_a, name="guaranteed")
    assert SubmissionBlock.objects.filter(user=alice, cleared_at__isnull=True).exists()


def test_settings_apply_when_no_rule_does(alice, team_a, submit, no_hype, settings):
    settings.COMPLIANCE_BLOCK_AFTER_REJECTIONS = 2
    refuse(submit, alice, team_a, name="guaranteed")
    refuse(submit, alice, team_a, name="guaranteed")
    assert "the COMPLIANCE_BLOCK_* settings" in SubmissionBlock.objects.get(user=alice).reason
    assert refuse(submit, alice, team_a) == ["repeated_violations"]


def test_zero_turns_blocking_off(alice, team_a, submit, no_hype, settings):
    settings.COMPLIANCE_BLOCK_AFTER_REJECTIONS = 0
    for _ in range(6):
        refuse(submit, alice, team_a, name="guaranteed")
    assert not SubmissionBlock.objects.exists()


def test_automated_submissions_do_not_count(alice, team_a, bundled, trial_payload, rule, no_hype, settings):
    """A study's optimiser sampling outside a rule is recorded but does not lock its owner out."""
    from compliance.models import Decision
    from compliance.services import decision_record, gateway_check
    from trials.services import trial_spec_clean

    settings.COMPLIANCE_BLOCK_AFTER_REJECTIONS = 2
    spec = trial_spec_clean(team=team_a, payload={**trial_payload, "name": "guaranteed"})
    for _ in range(3):
        result = gateway_check(spec=spec, user=alice, team=team_a, stage="submit")
        assert result.rejected
        decision_record(result=result, spec=spec, user=alice, team=team_a, automated=True)
    assert Decision.objects.filter(automated=True, outcome="rejected").count() == 3
    assert not SubmissionBlock.objects.exists()


def test_quota_refusals_do_not_count(alice, team_a, submit, rule, no_hype):
    """A full quota says "wait", it is not misconduct: only the refusals that break another rule count."""
    from compliance.models import QuotaRule

    rule(RepeatedViolationRule, rejections=2, window_minutes=60)
    rule(QuotaRule, max_active_per_user=1)
    assert submit(alice, team_a).status == "queued"
    for _ in range(3):
        assert refuse(submit, alice, team_a) == ["quota"]
    assert not SubmissionBlock.objects.filter(user=alice).exists()
    refuse(submit, alice, team_a, name="guaranteed")
    refuse(submit, alice, team_a, name="guaranteed")
    block = SubmissionBlock.objects.get(user=alice)
    assert "2 rejected submissions" in block.reason and "rules broken: forbidden_terms" in block.reason
