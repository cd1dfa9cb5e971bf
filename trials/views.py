"""Server-rendered pages for trials: dashboard, new-trial form and the live trial page."""

import json
from html import escape

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_POST

from accounts.selectors import member_usernames, membership_get, team_list_for_user, user_can_write_somewhere
from accounts.services import PermissionDenied, user_preference_set
from compliance.selectors import decision_list_for_trial
from compliance.services import ApprovalDenied, ComplianceRejected, approver_can_decide
from market_data.selectors import dataset_list
from models_catalog.selectors import definition_list
from security.limits import submission_check

from . import selectors, services
from .compare import CompareInvalid, compare_ids, compare_sections
from .figures import FIGURES, FOLD_COLUMNS, figure_for, figure_format, metric_sections
from .forms import POSITION_LABELS, TrialFilterForm, TrialForm
from .models import Trial
from .serializers import TrialSerializer
from .tearsheet import compare_curves
from .walkforward import split_count, validation_note

TABLE_PAGE_SIZE = 50
DEFAULT_COLUMNS = ["sharpe", "annual_return", "max_drawdown", "accuracy", "rmse"]
BASE_COLUMNS = [  # (sort key, heading, numeric)
    ("id", "#", True),
    ("name", "Name", False),
    ("model", "Model", False),
    ("symbol", "Symbol", False),
    ("target", "Target", False),
    ("status", "Status", False),
    ("created_by", "Creator", False),
    ("created", "Created", False),
]


def _table_columns(user) -> list[str]:
    chosen = (user.preferences or {}).get("trial_columns")
    return [key for key in (chosen if isinstance(chosen, list) else DEFAULT_COLUMNS) if key in FIGURES]


ASCENDING_FIRST = {"name", "model", "symbol", "target", "status", "created_by"}


def _heading(request, key: str, label: str, numeric: bool, sort: str, definition: str = "") -> dict:
    """A column heading whose link sorts by it: a click on the sorted column reverses it, a new column starts with
    its better values first (lowest RMSE, highest Sharpe, names A to Z)."""
    query = request.GET.copy()
    query.pop("page", None)
    first = key if key in ASCENDING_FIRST or figure_for(key).better == "lower" else f"-{key}"
    sorted_here = sort.lstrip("-") == key
    query["sort"] = (key if sort.startswith("-") else f"-{key}") if sorted_here else first
    direction = ("descending" if sort.startswith("-") else "ascending") if sorted_here else ""
    return {"key": key, "label": label, "num": numeric, "url": "?" + query.urlencode(), "aria_sort": direction,
            "definition": definition}  # fmt: skip


class CappedPaginator(Paginator):
    """Counts at most COUNT_CAP trials (a COUNT over a LIMIT, read off the index), so a team with a million trials
    does not pay a full count on every page: past the cap the table says "of 10,000+" and pages that far."""

    COUNT_CAP = 10_000

    @cached_property
    def count(self) -> int:
        counted = self.object_list.order_by()[: self.COUNT_CAP + 1].count()
        self.capped = counted > self.COUNT_CAP
        return min(counted, self.COUNT_CAP)

    capped = False


# One row of the trial table. The rows are formatted here, not by the template: 50 rows of 14 cells through
# Django's template engine (a variable lookup, a filter and an escape for each) were a third of the page's time.
_TABLE_ROW = (
    '<tr data-trial="{0}"><td class="select-cell"><input type="checkbox" name="ids" value="{0}" form="compare-form" '
    'aria-label="Select trial {0} to compare"></td><td class="num"><a href="{1}">{0}</a></td><td>{2}</td>'
    '<td><code>{3}</code></td><td>{4}</td><td>{5}</td><td><span class="status status-{6}">{6}</span></td>'
    "<td>{7}</td><td>{8}</td>{9}</tr>"
)
_METRIC_CELL = '<td class="num" data-column="{0}">{1}</td>'


def _table_rows(trials, columns: list[str]) -> SafeString:
    """The table's rows as HTML: the trial's link, its columns, and the chosen metrics as the tear sheet formats
    them. Every value goes through `escape` (html.escape, as Django's own escape does)."""
    sentinel = str(2**40)  # the detail URL reversed once, around a number no trial has, instead of once a row
    link_before, _, link_after = reverse("trial-detail", args=[sentinel]).partition(sentinel)
    rows = []
    for trial in trials:
        metrics = trial.metrics or {}
        cells = "".join(
            _METRIC_CELL.format(escape(key), escape(figure_format(key, metrics.get(key)))) for key in columns
        )
        rows.append(_TABLE_ROW.format(
            trial.pk, escape(f"{link_before}{trial.pk}{link_after}"), escape(trial.name or "—"),
            escape(trial.model_key), escape(str((trial.data or {}).get("symbol", ""))), escape(trial.target),
            escape(trial.status), escape(trial.created_by.username if trial.created_by else "—"),
            timezone.localtime(trial.created_at).strftime("%Y-%m-%d %H:%M"), cells,
        ))  # fmt: skip
    return mark_safe("".join(rows))  # noqa: S308 - every value in the rows is escaped above


@login_required
def dashboard(request):
    """The trial table: filters, sort by any column or metric, 50 rows a page, chosen metric columns."""
    form = TrialFilterForm(
        request.GET or None,
        studies=selectors.study_choices(user=request.user),
        creators=member_usernames(user=request.user),
    )
    sort = request.GET.get("sort") or "-created"
    if sort.lstrip("-") not in selectors.TABLE_SORTS and sort.lstrip("-") not in FIGURES:
        sort = "-created"
    valid = form.is_bound is False or form.is_valid()
    filters = form.filters() if form.is_bound and valid else {}
    rows = selectors.trial_table_pages(user=request.user, filters=filters, sort=sort) if valid else Trial.objects.none()
    page = CappedPaginator(rows, TABLE_PAGE_SIZE).get_page(request.GET.get("page"))
    columns = _table_columns(request.user)
    headings = [_heading(request, key, label, numeric, sort) for key, label, numeric in BASE_COLUMNS]
    headings += [_heading(request, k, figure_for(k).label, True, sort, figure_for(k).definition) for k in columns]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "rows": _table_rows(page.object_list, columns),
        "columns": columns,
        "headings": headings,
        "query": query.urlencode(),
        "filtered": bool(filters),
        "total": f"{page.paginator.count:,}{'+' if page.paginator.capped else ''}",
        "all_metrics": [(key, figure_for(key)) for key in FIGURES],
    }
    return render(request, "trials/dashboard.html", context, status=200 if valid else 400)


@login_required
@require_POST
def trial_columns(request):
    """Remember which metric columns the person wants in the trial table."""
    chosen = [key for key in request.POST.getlist("columns") if key in FIGURES]
    user_preference_set(user=request.user, key="trial_columns", value=chosen)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("dashboard")
    return redirect(target)


def _trial_to_copy(request) -> Trial | None:
    """`?from=<id>`: the trial whose spec pre-fills the form ("Run again with changes"); 404 if not the user's."""
    raw = request.GET.get("from", "")
    if not raw:
        return None
    trial = selectors.trial_get(user=request.user, trial_id=int(raw)) if raw.isdigit() and len(raw) < 19 else None
    if trial is None:
        raise Http404("No such trial.")
    return trial


def _initial_from_trial(trial: Trial) -> dict:
    """Everything the trial was run with, as the form's initial values: the model, its params, the name, team,
    seed, repeats and positions, and each key of its data, validation and costs sections (which the form names
    as the spec does: `folds`, `embargo`, `commission_bps`, `benchmark`...)."""
    initial = {
        "model": trial.model_key,
        "name": trial.name,
        "team": trial.team.slug,
        "params": json.dumps(trial.params, indent=1) if trial.params else "",
        "seed": trial.seed,
        "repeats": trial.repeats,
        "positions": trial.positions,
        "target": trial.target,
    }
    for section in (trial.data, trial.validation, trial.costs):
        for key, value in (section or {}).items():
            if key not in initial and value is not None:
                initial[key] = value
    return {key: value for key, value in initial.items() if key in TrialForm.base_fields}  # a test: all are


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
                    messages.success(request, f"Trial {trial.pk} queued.", extra_tags="trial-queued")
                return redirect("trial-detail", trial_id=trial.pk)
    else:
        source = _trial_to_copy(request)
        if source is not None:
            initial = _initial_from_trial(source)
        else:
            model = request.GET.get("model", "random_forest_classifier")
            definition = next((d for d in form_args["definitions"] if d.key == model), None)
            # Coming from a model's "Train" link: start on a target that model supports.
            initial = {"model": model, "symbol": "SPX", "target": definition.targets[0] if definition else "direction"}
        form = TrialForm(initial=initial, **form_args)
    return render(request, "trials/new.html", {"form": form, "can_write": user_can_write_somewhere(user=request.user)})


def _duration(trial: Trial) -> str:
    if not trial.started_at:
        return ""
    seconds = int(((trial.finished_at or timezone.now()) - trial.started_at).total_seconds())
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


SCHEME_NAMES = {"walk_forward": "walk-forward", "purged_kfold": "purged k-fold", "cpcv": "CPCV"}


def _validation_text(validation: dict) -> str:
    """A trial's validation as a person reads it: "CPCV, N = 6 groups, k = 2 tested (15 splits), gap 1, embargo 1"."""
    scheme = validation.get("scheme", "walk_forward")
    parts = [SCHEME_NAMES.get(scheme, scheme)]
    if scheme == "cpcv":
        parts.append(f"N = {validation.get('groups')} groups, k = {validation.get('test_groups')} tested "
                     f"({split_count(validation)} splits)")  # fmt: skip
    else:
        parts.append(f"{validation.get('folds')} folds")
    parts.append(f"gap {validation.get('gap')}")
    if validation.get("embargo") is not None:
        parts.append(f"embargo {validation['embargo']}")
    return ", ".join(parts)


def _costs_text(costs: dict) -> str:
    """ "5 bps commission + 2 bps slippage per unit of position change", or "no costs"."""
    if not costs:
        return "no costs"
    return " + ".join(f"{value:g} bps {name.removesuffix('_bps')}" for name, value in costs.items()) + (
        " per unit of position change"
    )


def _strategy_text(trial: Trial, costs: dict) -> str:
    if trial.target == "volatility":
        return "none: a volatility forecast has no positions"
    return f"{POSITION_LABELS.get(trial.positions, trial.positions)}, {_costs_text(costs)}"


@login_required
def trial_detail(request, trial_id: int):
    """The tear sheet: the run's facts, live progress while it runs, then charts and the metrics by group."""
    trial = selectors.trial_get(user=request.user, trial_id=trial_id)
    if trial is None:
        raise Http404("No such trial.")
    membership = membership_get(user=request.user, team=trial.team)
    costs = {name: trial.costs[name] for name in ("commission_bps", "slippage_bps") if (trial.costs or {}).get(name)}
    context = {
        "trial": trial,
        **selectors.trial_charts(trial=trial),
        "metric_sections": metric_sections(trial.metrics or {}, across_seeds=trial.across_seeds),
        "validation_note": validation_note(trial.validation),
        "fold_columns": [figure_for(key) for key in FOLD_COLUMNS.get(trial.target, FOLD_COLUMNS["direction"])],
        "validation_text": _validation_text(trial.validation),
        "strategy_text": _strategy_text(trial, costs),
        "costs_text": _costs_text(costs),
        "positions_text": POSITION_LABELS.get(trial.positions, trial.positions),
        "splits": split_count(trial.validation),
        "duration": _duration(trial),
        "can_write": bool(membership and membership.can_write),
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


@login_required
def compare(request):
    """2 to 10 trials side by side (`?ids=1,2,3`), with their equity and drawdown curves overlaid."""
    try:
        ids = compare_ids(request.GET.getlist("ids"))
    except CompareInvalid as exc:
        return render(request, "trials/compare.html", {"error": str(exc)}, status=400)
    trials = selectors.trial_list_by_ids(user=request.user, ids=ids)
    if trials is None:
        raise Http404("No such trial.")
    traded = [trial.pk for trial in trials if trial.status == Trial.Status.SUCCEEDED and trial.target != "volatility"]
    columns = selectors.prediction_columns(trial_ids=traded, columns=("strategy_return",))
    returns = {str(pk): columns[pk]["strategy_return"] for pk in traded if pk in columns}
    context = {
        "trials": trials,
        "sections": compare_sections(TrialSerializer(trials, many=True).data),
        "curves": compare_curves(returns),
        "ids": ",".join(str(pk) for pk in ids),
    }
    return render(request, "trials/compare.html", context)
