"""Server-rendered pages for trials: dashboard, new-trial form and the live trial page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.selectors import team_list_for_user
from accounts.services import PermissionDenied
from compliance.selectors import decision_list_for_trial
from compliance.services import ApprovalDenied, ComplianceRejected, approver_can_decide
from market_data.selectors import dataset_list
from models_catalog.selectors import definition_list
from security.limits import submission_check

from . import selectors, services
from .exports import METRIC_COLUMNS
from .forms import TrialForm
from .models import Trial

DASHBOARD_PAGE = 50


@login_required
def dashboard(request):
    filters = {"status": request.GET.get("status", ""), "model": request.GET.get("model", "")}
    if filters["status"] not in Trial.Status.values:
        filters["status"] = ""
    try:
        page = selectors.trial_page(
            user=request.user, filters=filters, cursor=request.GET.get("cursor") or None, limit=DASHBOARD_PAGE
        )
    except selectors.BadListRequest:  # a stale or edited cursor: start again from the newest
        page = selectors.trial_page(user=request.user, filters=filters, limit=DASHBOARD_PAGE)
    return render(
        request,
        "trials/dashboard.html",
        {"trials": page.trials, "page": page, "filters": filters, "statuses": Trial.Status.choices},
    )


@login_required
def trial_new(request):
    teams = list(team_list_for_user(user=request.user))
    form_args = {"teams": teams, "definitions": definition_list(), "datasets": list(dataset_list(user=request.user))}
    if request.method == "POST":
        form = TrialForm(request.POST, **form_args)
        if form.is_valid():
            team = next(team for team in teams if team.slug == form.cleaned_data["team"])
            submission_check(user=request.user)
            try:
                trial = services.trial_create(team=team, user=request.user, payload=form.payload())
            except services.TrialSpecInvalid as exc:
                form.add_service_errors(exc.errors)
            except PermissionDenied as exc:
                form.add_error("team", str(exc))
            except ComplianceRejected as exc:
                form.add_compliance_errors(exc.violations)
            else:
                if trial.status == Trial.Status.PENDING_APPROVAL:
                    messages.info(request, f"Trial {trial.pk} waits for approval by another owner of {team.name}.")
                else:
                    messages.success(request, f"Trial {trial.pk} queued.")
                return redirect("trial-detail", trial_id=trial.pk)
    else:
        model = request.GET.get("model", "random_forest_classifier")
        definition = next((d for d in form_args["definitions"] if d.key == model), None)
        # Coming from a model's "Train" link: start on a target that model supports.
        initial = {"model": model, "symbol": "SPX", "target": definition.targets[0] if definition else "direction"}
        form = TrialForm(initial=initial, **form_args)
    return render(request, "trials/new.html", {"form": form})


@login_required
def trial_detail(request, trial_id: int):
    trial = selectors.trial_get(user=request.user, trial_id=trial_id)
    if trial is None:
        raise Http404("No such trial.")
    metrics = [(name, trial.metrics.get(name)) for name in METRIC_COLUMNS if name in (trial.metrics or {})]
    context = {
        "trial": trial,
        "metrics": metrics,
        "decisions": decision_list_for_trial(trial=trial),
        "can_approve": trial.status == Trial.Status.PENDING_APPROVAL
        and approver_can_decide(trial=trial, user=request.user),
    }
    return render(request, "trials/detail.html", context)


@require_POST
@login_required
def trial_decide(request, trial_id: int, verdict: str):
    """The approve and reject buttons of the trial page."""
    trial = selectors.trial_get(user=request.user, trial_id=trial_id)
    if trial is None:
        raise Http404("No such trial.")
    try:
        if verdict == "approve":
            services.trial_approve(trial=trial, user=request.user)
            messages.success(request, f"Trial {trial.pk} approved and queued.")
        else:
            services.trial_reject(trial=trial, user=request.user, reason=request.POST.get("reason", ""))
            messages.success(request, f"Trial {trial.pk} rejected.")
    except (ApprovalDenied, services.ApprovalConflict) as exc:
        messages.error(request, str(exc))
    return redirect("trial-detail", trial_id=trial.pk)
