"""Users belong to teams through memberships; every piece of work belongs to one team."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone


class User(AbstractUser):
    # Tokens issued before this instant are refused (accounts.tokens); sessions already end on a password change
    # through Django's session auth hash.
    password_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # What a person chose on the pages and wants kept across devices, e.g. {"trial_columns": ["sharpe", ...]}.
    preferences = models.JSONField(default=dict, blank=True)
    # Not a column: the user's memberships with their teams, when the request's authentication read them with the
    # user (accounts.selectors.user_with_memberships), as of that read; None when they were not read.
    memberships_loaded: "list[Membership] | None" = None

    def set_password(self, raw_password):
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner"
        MEMBER = "member"
        VIEWER = "viewer"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, db_index=False, related_name="memberships"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "team"], name="membership_unique_user_team")]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.role})"

    @property
    def can_write(self) -> bool:
        return self.role in (self.Role.OWNER, self.Role.MEMBER)
