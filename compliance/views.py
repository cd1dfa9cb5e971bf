"""Pages: the audit trail."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from . import selectors
from .models import Decision


@login_required
def audit(request):
    filters = {key: request.GET.get(key, "") for key in ("outcome", "stage")}
    decisions = selectors.decision_list(user=request.user, filters=filters)[:300]
    blocks = selectors.submission_block_list(user=request.user)
    context = {
        "decisions": decisions,
        "filters": filters,
        "outcomes": Decision.Outcome.choices,
        "stages": Decision.Stage.choices,
        "blocks": blocks,
    }
    return render(request, "compliance/audit.html", context)
