"""manage.py add_member TEAM USERNAME --role owner|member|viewer"""

import getpass
import os

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Membership, User
from accounts.services import member_add


class Command(BaseCommand):
    help = (
        "Add USERNAME to TEAM with a role, creating either when missing (password from MLTRAINER_PASSWORD or a prompt)."
    )

    def add_arguments(self, parser):
        parser.add_argument("team")
        parser.add_argument("username")
        parser.add_argument("--role", choices=Membership.Role.values, default=Membership.Role.MEMBER)

    def handle(self, *args, team, username, role, **options):
        password = None
        if not User.objects.filter(username=username).exists():
            password = os.environ.get("MLTRAINER_PASSWORD")
            if not password:
                if not os.isatty(0):
                    raise CommandError("set MLTRAINER_PASSWORD to create a new user non-interactively")
                password = getpass.getpass(f"Password for new user {username}: ")
        try:
            membership, created = member_add(team_name=team, username=username, role=role, password=password)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        verb = "created and added" if created else "added"
        self.stdout.write(f"{username} {verb} to {membership.team.name} as {membership.role}")
