"""The audit trail: every decision stored, readable by the team (admins: all), exportable, never changed."""

import csv
import io

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client

from accounts.models import User
from compliance.models import AuditRecordImmutable, Decision, InstrumentRule

pytestmark = pytest.mark.django_db


@pytest.fixture
def decisions(alice, charlie, team_a, team_b, submit, rule):
    """Alice: one allowed trial and one refused submission in team A; charlie: one allowed trial in team B."""
    rule(InstrumentRule, team=team_a, mode="deny", patterns="IXIC", reason="desk limit")
    allowed = submit(alice, team_a)
    with pytest.raises(Exception):  # noqa: B017 - the refusal itself is tested elsewhere
        submit(alice, team_a, data={"symbol": "IXIC"})
    submit(charlie, team_b)
    return allowed


@pytest.fixture
def admin_user(db):
    return User.objects.create_superuser(username="root", password="root-pw-123", email="root@example.com")


def test_team_sees_its_decisions_and_outsiders_do_not(decisions, bob, charlie, api_as):
    body = api_as(bob).get("/api/compliance/decisions/").json()
    assert body["count"] == 2
    rows = body["results"]
    assert set(rows[0]) >= {"id", "trial", "outcome", "reasons", "rules", "created_at"}
    refused, allowed = rows  # newest first
    assert (refused["outcome"], refused["trial"]) == ("rejected", None)
    assert refused["reasons"][0]["rule"] == "instruments" and "desk limit" in refused["reasons"][0]["message"]
    assert refused["rules"][0]["kind"] == "instruments" and refused["rules"][0]["history_id"]
    assert (allowed["outcome"], allowed["trial"]) == ("allowed", decisions.pk)
    charlies = api_as(charlie).get("/api/compliance/decisions/").json()
    assert charlies["count"] == 1 and charlies["results"][0]["username"] == "charlie"
    assert api_as(charlie).get(f"/api/compliance/decisions/?trial={decisions.pk}").json()["count"] == 0


def test_admins_see_all_decisions(decisions, admin_user, api_as):
    assert api_as(admin_user).get("/api/compliance/decisions/").json()["count"] == 3


def test_no_write_verbs_on_decisions(decisions, alice, admin_user, api_as):
    decision = Decision.objects.filter(trial__isnull=False).first()
    for user in (alice, admin_user):
        client = api_as(user)
        for url in ("/api/compliance/decisions/", "/api/compliance/decisions/export.csv"):
            for verb in (client.post, client.put, client.patch, client.delete):
                assert verb(url, {"outcome": "allowed"}, format="json").status_code == 405
        assert client.delete(f"/api/compliance/decisions/{decision.pk}/").status_code == 404
    assert Decision.objects.count() == 3
    assert list(Decision.objects.values_list("outcome", flat=True).order_by("id")) == ["allowed", "rejected", "allowed"]


def test_csv_export_is_team_scoped(decisions, bob, api_as):
    response = api_as(bob).get("/api/compliance/decisions/export.csv")
    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["stage"], r["outcome"], r["trial"], r["team"]) for r in rows] == [
        ("submit", "rejected", "", "team-a"),
        ("submit", "allowed", str(decisions.pk), "team-a"),
    ]
    assert rows[0]["reasons"].startswith("[instruments] IXIC is on the instrument deny-list")
    rule = InstrumentRule.objects.get()
    assert rows[0]["rules"] == f"instruments#{rule.pk}@{rule.history.latest().history_id}"


def test_records_cannot_be_changed_or_deleted_through_the_orm(decisions):
    decision = Decision.objects.get(outcome="rejected")
    decision.outcome = "allowed"
    with pytest.raises(AuditRecordImmutable):
        decision.save()
    with pytest.raises(AuditRecordImmutable):
        decision.delete()
    with pytest.raises(AuditRecordImmutable):
        Decision.objects.filter(pk=decision.pk).update(outcome="allowed")
    with pytest.raises(AuditRecordImmutable):
        Decision.objects.all().delete()
    with pytest.raises(AuditRecordImmutable):
        Decision.objects.bulk_update([decision], ["outcome"])
    assert Decision.objects.get(pk=decision.pk).outcome == "rejected"


def test_database_refuses_update_and_delete_on_postgresql(decisions):
    if connection.vendor != "postgresql":
        pytest.skip("the trigger is PostgreSQL-only; the ORM guard covers other databases")
    decision = Decision.objects.get(outcome="rejected")
    for sql in (
        "UPDATE compliance_decision SET outcome = 'allowed' WHERE id = %s",
        "DELETE FROM compliance_decision WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="audit trail"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [decision.pk])
    assert Decision.objects.get(pk=decision.pk).outcome == "rejected"


def test_admin_shows_decisions_read_only(decisions, admin_user):
    client = Client()
    client.force_login(admin_user)
    decision = Decision.objects.get(outcome="rejected")
    url = f"/admin/compliance/decision/{decision.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.post(url, {"outcome": "allowed"}).status_code == 403
    assert client.post(f"/admin/compliance/decision/{decision.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/compliance/decision/add/").status_code == 403
    changelist = client.post(
        "/admin/compliance/decision/", {"action": "delete_selected", "_selected_action": [decision.pk]}
    )
    assert changelist.status_code in (200, 302)
    assert Decision.objects.filter(pk=decision.pk, outcome="rejected").exists()


def test_audit_page_and_trial_page_show_decisions(decisions, bob, charlie):
    as_bob, as_charlie = Client(), Client()
    as_bob.force_login(bob)
    as_charlie.force_login(charlie)
    audit = as_bob.get("/compliance/").content.decode()
    assert "IXIC is on the instrument deny-list" in audit and "team-a" in audit
    assert "team-b" not in audit
    assert "IXIC" not in as_charlie.get("/compliance/").content.decode()
    trial_page = as_bob.get(f"/trials/{decisions.pk}/").content.decode()
    assert "Compliance decisions" in trial_page and "allowed" in trial_page
    assert "IXIC is on the instrument deny-list" not in trial_page  # that refusal concerns no trial


def test_decision_list_query_count_does_not_grow_with_rows(
    decisions, alice, team_a, submit, api_as, django_assert_max_num_queries
):
    for _ in range(10):
        submit(alice, team_a)
    client = api_as(alice)
    with django_assert_max_num_queries(6):
        body = client.get("/api/compliance/decisions/").json()
    assert body["count"] == 12
