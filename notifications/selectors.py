"""Reads of notifications and webhooks, scoped to the user."""

from django.db.models import QuerySet

from accounts.models import Team, User

from .models import Delivery, Notification, Webhook


def notification_list(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")


def unread_count(*, user: User) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def webhook_list(*, team: Team) -> QuerySet[Webhook]:
    return Webhook.objects.filter(team=team).order_by("id")


def delivery_list(*, team: Team) -> QuerySet[Delivery]:
    return Delivery.objects.filter(webhook__team=team).select_related("webhook").order_by("-created_at", "-id")
