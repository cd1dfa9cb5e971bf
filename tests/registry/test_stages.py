"""Stages: candidate → production → archived, one production per name, promotion as a compliance decision with
an optional four-eyes rule, every change in the audit trail with who and why."""

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from compliance.models import Decision, PromotionApprovalRule
from compliance.services import ApprovalDenied
from registry.models import ModelVersion
from registry.services import (
    RegistryConflict,
    version_archive,
    version_promote,
    version_promotion_decide,
)


def _actions(version):
    return [(c.action, c.from_stage, c.to_stage, c.user.username, c.reason) for c in version.stage_changes.all()]


def test_promotion_without_a_rule_is_allowed_and_archives_the_previous_production(fitted_version, alice, bob):
    first = fitted_version()
    second = fitted_version(user=bob)
    version_promote(version=first, user=alice, reason="best Sharpe of the study")
    first.refresh_from_db()
    assert first.stage == "production" and first.promoted_at is not None
    version_promote(version=second, user=bob, reason="refit on more data")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.stage, second.stage) == ("archived", "production")
    assert _actions(first) == [
        ("registered", "", "candidate", "alice", f"registered from trial {first.trial_id}"),
        ("promoted", "candidate", "production", "alice", "best Sharpe of the study"),
        ("archived", "production", "archived", "bob", "replaced in production by v2"),
    ]
    # Each change is a compliance decision naming who and why; the change row points at it.
    decisions = Decision.objects.filter(stage="registry").order_by("id")
    promoted = decisions.get(pk=first.stage_changes.get(action="promoted").decision_id)
    assert promoted.outcome == "allowed" and promoted.username == "alice" and promoted.trial_id == first.trial_id
    assert promoted.spec["to_stage"] == "production" and promoted.spec["reason"] == "best Sharpe of the study"
    assert any("why: best Sharpe" in r["message"] for r in promoted.reasons)
    assert decisions.filter(outcome="allowed").count() == 5  # two registrations, two promotions, one archive


def test_one_production_per_name_is_a_database_invariant(fitted_version, alice):
    first, second = fitted_version(), fitted_version()
    version_promote(version=first, user=alice)
    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersion.objects.filter(pk=second.pk).update(stage="production")


def test_four_eyes_rule_makes_promotion_wait_for_another_owner(fitted_version, alice, bob, team_a):
    from tests.factories import MembershipFactory

    PromotionApprovalRule.objects.create(team=team_a, reason="production models need a second owner")
    dora = MembershipFactory(user__username="dora", team=team_a, role="owner").user
    version = fitted_version(user=alice)
    version_promote(version=version, user=bob, reason="ship it")
    version.refresh_from_db()
    assert version.stage == "candidate" and version.promotion_requested_by == bob
    waiting = Decision.objects.filter(stage="registry", outcome="needs_approval").get()
    assert waiting.rules[0]["kind"] == "promotion_approval" and waiting.username == "bob"
    with pytest.raises(ApprovalDenied, match="you registered this version"):
        version_promotion_decide(version=version, user=alice, approved=True)
    with pytest.raises(ApprovalDenied, match="only an owner"):
        version_promotion_decide(version=version, user=bob, approved=True)
    with pytest.raises(RegistryConflict, match="already waiting"):
        version_promote(version=version, user=bob)
    # The page offers the decision only to an owner other than the registrant.
    page = f"/registry/spx-logit/v{version.number}/?team={team_a.slug}"
    for user, offered in ((alice, False), (bob, False), (dora, True)):
        client = Client()
        client.force_login(user)
        assert ("Approve promotion" in client.get(page).content.decode()) is offered, user.username
    version_promotion_decide(version=version, user=dora, approved=True, reason="checked the tear sheet")
    version.refresh_from_db()
    assert version.stage == "production" and version.promotion_requested_at is None
    assert [a[0] for a in _actions(version)] == ["registered", "requested", "approved"]
    approved = Decision.objects.get(stage="registry", outcome="approved")
    assert approved.username == "dora" and approved.spec["reason"] == "checked the tear sheet"


def test_rejected_promotion_leaves_the_version_a_candidate(fitted_version, alice, bob, team_a):
    PromotionApprovalRule.objects.create(team=None, reason="global four eyes")
    version = fitted_version(user=bob)
    version_promote(version=version, user=bob)
    version_promotion_decide(version=version, user=alice, approved=False, reason="drawdown too deep")
    version.refresh_from_db()
    assert version.stage == "candidate" and version.promotion_requested_at is None
    assert Decision.objects.get(stage="registry", outcome="rejected").username == "alice"
    assert _actions(version)[-1][0] == "rejected"


def test_rule_for_other_model_names_does_not_apply(fitted_version, alice, team_a):
    PromotionApprovalRule.objects.create(team=team_a, reason="only the flagship", when_models="flagship-*")
    version = fitted_version()
    version_promote(version=version, user=alice)
    version.refresh_from_db()
    assert version.stage == "production"


def test_archive_and_viewer_cannot_move_stages(fitted_version, alice, victor):
    from accounts.services import PermissionDenied

    version = fitted_version()
    with pytest.raises(PermissionDenied):
        version_promote(version=version, user=victor)
    with pytest.raises(PermissionDenied):
        version_archive(version=version, user=victor)
    version_archive(version=version, user=alice, reason="superseded")
    version.refresh_from_db()
    assert version.stage == "archived"
    assert Decision.objects.filter(stage="registry", spec__to_stage="archived").get().username == "alice"
    with pytest.raises(RegistryConflict):
        version_archive(version=version, user=alice)
