"""Rules are edited in the Django admin, take effect on the next submission without a restart, and every
change is kept (who, when, before and after)."""

import pytest
from django.test import Client

from accounts.models import User
from compliance.models import InstrumentRule
from compliance.services import ComplianceRejected

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(db):
    admin = User.objects.create_superuser(username="root", password="root-pw-123", email="root@example.com")
    client = Client()
    client.force_login(admin)
    return client


def test_rule_edited_in_admin_applies_to_the_next_submission(admin_client, alice, team_a, submit):
    assert submit(alice, team_a).status == "queued"

    response = admin_client.post(
        "/admin/compliance/instrumentrule/add/",
        {"team": "", "enabled": "on", "reason": "SPX licence expired", "mode": "deny", "patterns": "SPX", "_save": "1"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    rule = InstrumentRule.objects.get()
    with pytest.raises(ComplianceRejected) as refused:
        submit(alice, team_a)
    assert "SPX licence expired" in refused.value.violations[0].message

    response = admin_client.post(
        f"/admin/compliance/instrumentrule/{rule.pk}/change/",
        {"team": "", "reason": "SPX licence renewed", "mode": "deny", "patterns": "SPX", "_save": "1"},
    )  # "enabled" unticked
    assert response.status_code == 302
    assert submit(alice, team_a).status == "queued"

    # The history: who changed what, when, and each field before and after.
    latest, created = rule.history.order_by("-history_id")[:2]
    assert [h.history_user.username for h in (created, latest)] == ["root", "root"]
    assert (created.history_type, latest.history_type) == ("+", "~")
    changes = {c.field: (c.old, c.new) for c in latest.diff_against(created).changes}
    assert changes == {"enabled": (True, False), "reason": ("SPX licence expired", "SPX licence renewed")}
    page = admin_client.get(f"/admin/compliance/instrumentrule/{rule.pk}/history/").content.decode()
    assert "root" in page


def test_rule_admin_pages_render(admin_client):
    for model in (
        "datasourcerule",
        "instrumentrule",
        "modelrule",
        "paramboundrule",
        "validationrule",
        "datafreshnessrule",
        "dataintegrityrule",
        "quotarule",
        "approvalrule",
        "forbiddentermsrule",
        "repeatedviolationrule",
        "decision",
        "submissionblock",
    ):
        assert admin_client.get(f"/admin/compliance/{model}/").status_code == 200, model
    assert admin_client.get("/admin/compliance/quotarule/add/").status_code == 200


def test_admin_refuses_a_rule_that_says_nothing(admin_client):
    response = admin_client.post(
        "/admin/compliance/quotarule/add/", {"team": "", "enabled": "on", "reason": "x", "_save": "1"}
    )
    assert response.status_code == 200 and "set a per-user limit" in response.content.decode()
