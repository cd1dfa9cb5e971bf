"""Server-rendered pages of the registry: the list of registered models and a version's page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.selectors import membership_get, team_for_user, team_list_for_user
from accounts.services import OWNERS, PermissionDenied, membership_allows
from compliance.services import ApprovalDenied
from trials.selectors import trial_charts, trial_get

from . import selectors, services
from .artifacts import ArtifactTampered
from .pipeline import DataUnavailable


@login_required
def registry_list(request):
    models = selectors.registered_model_list(user=request.user)
    teams = [
        t
        for t in team_list_for_user(user=request.user)
        if membership_allows(membership=membership_get(user=request.user, team=t))
    ]
    return render(request, "registry/list.html", {"models": models, "teams": teams, "can_write": bool(teams)})


@login_required
@require_POST
def registry_register(request):
    """The list page's form: register a trial of one of the user's teams under a name."""
    team = team_for_user(user=request.user, slug=request.POST.get("team") or None)
    trial_id = request.POST.get("trial") or ""
    trial = trial_get(user=request.user, trial_id=int(trial_id)) if trial_id.isdigit() and len(trial_id) < 18 else None
    if team is None or trial is None or trial.team_id != team.pk:
        messages.error(request, f"No trial {trial_id} in your team.")
        return redirect("registry")
    try:
        version = services.version_register(
            team=team, user=request.user, trial=trial, name=request.POST.get("name", "")
        )
    except (PermissionDenied, services.RegistryError) as exc:
        messages.error(request, str(exc))
        return redirect("registry")
    messages.success(request, f"{version.label} registered: the worker is refitting it.")
    return redirect("registry-version", name=version.registered_model.name, number=version.number)


def _version_or_404(request, name: str, number: int):
    version = selectors.version_get(user=request.user, name=name, number=number, team_slug=request.GET.get("team"))
    if version is None:
        raise Http404("No such model version.")
    return version


@login_required
def version_detail(request, name: str, number: int):
    version = _version_or_404(request, name, number)
    membership = membership_get(user=request.user, team=version.team)
    record = version.live_record or {}
    signals = list(selectors.signal_list(version=version).order_by("-date")[:50])
    context = {
        "version": version,
        "trial": version.trial,
        **(trial_charts(trial=version.trial) if version.trial else {}),
        "history": selectors.stage_history(version=version),
        "signals": signals,
        "live": record.get("live"),
        "backtest": record.get("backtest"),
        "drift": record.get("drift") or [],
        "can_write": membership_allows(membership=membership),
        "can_decide": version.promotion_requested_at is not None
        and membership_allows(membership=membership, roles=OWNERS)
        and version.created_by_id != request.user.pk,
        "figures": [("sharpe", "Sharpe"), ("max_drawdown", "Max drawdown"), ("hit_rate", "Hit rate"),
                    ("total_return", "Total return")],
    }  # fmt: skip
    return render(request, "registry/version.html", context)


ACTIONS = {
    "promote": lambda v, user, why: services.version_promote(version=v, user=user, reason=why),
    "approve": lambda v, user, why: services.version_promotion_decide(version=v, user=user, approved=True, reason=why),
    "reject": lambda v, user, why: services.version_promotion_decide(version=v, user=user, approved=False, reason=why),
    "archive": lambda v, user, why: services.version_archive(version=v, user=user, reason=why),
}


@login_required
@require_POST
def version_stage(request, name: str, number: int, action: str):
    if action not in ACTIONS:
        raise Http404("No such action.")
    version = _version_or_404(request, name, number)
    reason = (request.POST.get("reason") or "")[: services.REASON_MAX]
    try:
        version = ACTIONS[action](version, request.user, reason)
    except (PermissionDenied, ApprovalDenied, services.RegistryError, ArtifactTampered, DataUnavailable) as exc:
        messages.error(request, str(exc))
    else:
        waiting = version.promotion_requested_at is not None
        messages.success(request, f"{version.label}: {'waiting for a second owner' if waiting else version.stage}.")
    return redirect("registry-version", name=name, number=number)
