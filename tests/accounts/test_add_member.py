"""manage.py add_member sets a team up from a script; the password never comes from the command line."""

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Membership, Team, User

pytestmark = pytest.mark.django_db


def test_creates_team_and_user_with_password_from_environment(monkeypatch, capsys):
    monkeypatch.setenv("MLTRAINER_PASSWORD", "s3cret-enough-pw")
    call_command("add_member", "Quant Desk", "erin", "--role", "owner")
    user = User.objects.get(username="erin")
    assert user.check_password("s3cret-enough-pw")
    membership = Membership.objects.get(user=user)
    assert (membership.team.name, membership.team.slug, membership.role) == ("Quant Desk", "quant-desk", "owner")
    assert "s3cret" not in capsys.readouterr().out


def test_existing_user_joins_another_team_and_role_can_change(monkeypatch):
    monkeypatch.setenv("MLTRAINER_PASSWORD", "s3cret-enough-pw")
    call_command("add_member", "A", "erin", "--role", "member")
    monkeypatch.delenv("MLTRAINER_PASSWORD")
    call_command("add_member", "B", "erin", "--role", "viewer")
    call_command("add_member", "A", "erin", "--role", "owner")
    roles = dict(Membership.objects.filter(user__username="erin").values_list("team__name", "role"))
    assert roles == {"A": "owner", "B": "viewer"}
    assert Team.objects.count() == 2


def test_new_user_without_password_fails_clearly(monkeypatch):
    monkeypatch.delenv("MLTRAINER_PASSWORD", raising=False)
    monkeypatch.setattr("os.isatty", lambda fd: False)
    with pytest.raises(CommandError, match="set MLTRAINER_PASSWORD"):
        call_command("add_member", "A", "nobody")
    assert not User.objects.filter(username="nobody").exists()
    assert not Team.objects.exists()
