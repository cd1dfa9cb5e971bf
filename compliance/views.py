"""Pages: the audit trail, and the approve/reject buttons of the trial page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from trials import selectors as trial_selectors

from . import selectors, services
from .models import Decision


@login_required
def audit(request):
    filters = {key: request.GET.get(key, "") for key in ("outcome", "stage")}
    decisions = selectors.decision_list(user=request.user, filters=filters)[:300]
    blocks = selectors.submission_block_list() if request.user.is_staff else []
    context = {
        "decisions": decisions,
        "filters": filters,
        "outcomes": Decision.Outcome.choices,
        "stages": Decision.Stage.choices,
        "blocks": blocks,
    }
    return render(request, "compliance/audit.html", context)


@require_POST
@login_required
def trial_decide(request, trial_id: int, verdict: str):
    trial = trial_selectors.trial_get(user=request.user, trial_id=trial_id)
    if trial is None:
        raise Http404("No such trial.")
    try:
        if verdict == "approve":
            services.trial_approve(trial=trial, user=request.user)
            messages.success(request, f"Trial {trial.pk} approved and queued.")
        else:
            services.trial_reject(trial=trial, user=request.user, reason=request.POST.get("reason", "")[:500])
            messages.success(request, f"Trial {trial.pk} rejected.")
    except (services.ApprovalDenied, services.ApprovalConflict) as exc:
        messages.error(request, str(exc))
    return redirect("trial-detail", trial_id=trial.pk)
