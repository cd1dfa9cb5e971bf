"""Pages: the audit trail."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from . import selectors
from .models import Decision


@login_required
def audit(request):
    filters = {key: request.GET.get(key, "") for key in ("outcome", "stage")}
    if filters["outcome"] not in ("", *Decision.Outcome.values) or filters["stage"] not in ("", *Decision.Stage.values):
        filters = {"outcome": "", "stage": ""}  # an unknown value filters nothing rather than everything
    page = Paginator(selectors.decision_list(user=request.user, filters=filters), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    blocks = selectors.submission_block_list(user=request.user)
    context = {
        "decisions": page.object_list,
        "page": page,
        "query": query.urlencode(),
        "total": f"{page.paginator.count:,}",
        "filters": filters,
        "outcomes": Decision.Outcome.choices,
        "stages": Decision.Stage.choices,
        "blocks": blocks,
    }
    return render(request, "compliance/audit.html", context)
