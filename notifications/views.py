"""The notifications page: the bell's list, each user's choices, and (owners) the team's webhooks and log."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.selectors import membership_get, team_for_user_or_404, team_list_for_user
from accounts.services import PermissionDenied

from . import selectors, services
from .models import Event, Webhook
from .safety import WebhookRefused


@login_required
def notifications_page(request):
    teams = list(team_list_for_user(user=request.user))
    owned = [t for t in teams if (m := membership_get(user=request.user, team=t)) and m.role == "owner"]
    context = {
        "items": selectors.notification_list(user=request.user).select_related("team")[:100],
        "events": Event.choices,
        "formats": Webhook.Format.choices,
        "chosen": services.preferences_of(request.user),
        "webhooks": [
            (t, list(selectors.webhook_list(team=t)), list(selectors.delivery_list(team=t)[:20])) for t in owned
        ],  # fmt: skip
    }
    return render(request, "notifications/page.html", context)


@login_required
@require_POST
def notifications_mark_read(request):
    services.notifications_read(user=request.user)
    return redirect("notifications")


@login_required
@require_POST
def notifications_choose(request):
    muted = [e for e in Event.values if request.POST.get(f"app-{e}") != "on"]
    email = [e for e in Event.values if request.POST.get(f"email-{e}") == "on"]
    services.preferences_set(user=request.user, muted=muted, email=email)
    messages.success(request, "Your notification choices are saved.")
    return redirect("notifications")


@login_required
@require_POST
def notifications_webhook_add(request, slug: str):
    """The page's form for POST /api/teams/<slug>/webhooks/: the same service, its refusal shown as a message."""
    team = team_for_user_or_404(user=request.user, slug=slug)
    try:
        services.webhook_create(
            team=team,
            user=request.user,
            url=request.POST.get("url", ""),
            format=request.POST.get("format", ""),
            events=request.POST.getlist("events"),
        )
    except (WebhookRefused, ValueError, PermissionDenied) as exc:
        messages.error(request, f"Webhook not added: {exc}")
    else:
        messages.success(request, f"Webhook added to {team.name}.")
    return redirect("notifications")


@login_required
@require_POST
def notifications_webhook_delete(request, slug: str, webhook_id: int):
    team = team_for_user_or_404(user=request.user, slug=slug)
    webhook = selectors.webhook_list(team=team).filter(pk=webhook_id).first()
    if webhook is None:
        raise Http404("No such webhook.")
    try:
        services.webhook_delete(webhook=webhook, user=request.user)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Webhook removed.")
    return redirect("notifications")
