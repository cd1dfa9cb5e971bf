"""Create the demo team and its admin once, printing the generated password a single time."""

import secrets

from django.core.management.base import BaseCommand

from accounts.models import User
from accounts.services import member_add


class Command(BaseCommand):
    help = "Create team 'Demo' with a staff owner 'admin' and a random password (only if 'admin' does not exist)."

    def handle(self, *args, **options):
        if User.objects.filter(username="admin").exists():
            self.stdout.write("Demo user 'admin' already exists; its password was printed when it was created.")
            return
        password = secrets.token_urlsafe(12)
        membership, _ = member_add(team_name="Demo", username="admin", role="owner", password=password)
        User.objects.filter(pk=membership.user_id).update(is_staff=True, is_superuser=True)
        self.stdout.write(self.style.SUCCESS(f"Demo login (shown once): username=admin password={password}"))
