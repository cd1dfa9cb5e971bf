"""Data pages: the team's series (with their refresh status), one series' chart and latest rows, and the forms
that fetch from a provider, upload a CSV, keep the watch-list and set the team's provider keys."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts.selectors import team_for_user, team_list_for_user
from accounts.services import PermissionDenied

from . import providers, selectors, services
from .charts import downsample
from .crypto import EncryptionKeyMissing, SecretDecryptError
from .errors import DataSourceError, FetchInvalid, UploadInvalid
from .forms import FetchForm, SeriesForm, UploadForm
from .models import Dataset

LATEST_ROWS = 20
WATCH_IDS = "watch_%s"  # the watch-list form shares field names with the fetch form: its own ids, so labels point right


def _team(request):
    """The team the page acts for: ?team= / the form's team (if the user is in it), else their default team."""
    slug = request.POST.get("team") or request.GET.get("team")
    team = team_for_user(user=request.user, slug=slug)
    if team is None and slug:
        raise Http404("No such team.")
    return team


def _data_url(team, **params) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"team": team.slug if team else "", **params}.items() if v)
    return reverse("datasets") + (f"?{query}" if query else "")


def _page(request, team, *, status: int = 200, **forms):
    first_source = providers.registered()[0].source  # the forms open on the first provider registered
    context = {
        "team": team,
        "teams": team_list_for_user(user=request.user),
        **services.data_access(user=request.user, team=team),  # can_write, is_owner
        "team_datasets": selectors.team_datasets(team=team) if team else [],
        "shared_datasets": selectors.shared_dataset_list(),
        "jobs": selectors.fetch_job_list(team=team) if team else [],
        "watch_items": selectors.watch_item_list(team=team) if team else [],
        "keys": selectors.team_api_key_status(team=team) if team else [],
        "fetch_form": forms.get("fetch_form") or FetchForm(initial={"source": first_source, "timespan": "day"}),
        "watch_form": forms.get("watch_form")
        or SeriesForm(initial={"source": first_source, "timespan": "day"}, auto_id=WATCH_IDS),
        "upload_form": forms.get("upload_form") or UploadForm(),
        "upload_errors": forms.get("upload_errors") or [],
        "key_error": forms.get("key_error") or "",
        "watch_job": request.GET.get("job", ""),
    }
    return render(request, "market_data/datasets.html", context, status=status)


@login_required
def datasets(request):
    return _page(request, _team(request))


@login_required
def dataset_detail(request, dataset_id: int):
    dataset = selectors.dataset_get_for_user(user=request.user, dataset_id=dataset_id)
    if dataset is None:
        raise Http404("No such dataset.")
    context = {
        "dataset": dataset,
        "chart": downsample(selectors.dataset_series(dataset=dataset)),
        "chart_field": "close" if dataset.kind == Dataset.Kind.BARS else "value",
        "rows": selectors.dataset_latest_rows(dataset=dataset, limit=LATEST_ROWS),
    }
    return render(request, "market_data/detail.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def dataset_upload(request):
    team = _team(request)
    if request.method != "POST":
        context = {"team": team, "teams": team_list_for_user(user=request.user), "upload_form": UploadForm(),
                   **services.data_access(user=request.user, team=team)}  # fmt: skip
        return render(request, "market_data/upload.html", context)
    form = UploadForm(request.POST, request.FILES)
    if team is None or not form.is_valid():
        return _page(request, team, upload_form=form, status=400)
    upload = form.cleaned_data["file"]
    try:
        dataset = services.dataset_upload(
            team=team,
            user=request.user,
            key=form.cleaned_data["key"],
            kind=form.cleaned_data["kind"],
            filename=upload.name,
            content=upload.read(settings.UPLOAD_MAX_BYTES + 1),
        )
    except PermissionDenied as exc:
        return _page(request, team, upload_form=form, upload_errors=[str(exc)], status=403)
    except UploadInvalid as exc:
        return _page(request, team, upload_form=form, upload_errors=exc.errors, status=400)
    messages.success(request, f"Uploaded {dataset.key}: {dataset.rows} rows.")
    return redirect("dataset-detail", dataset_id=dataset.pk)


@login_required
@require_POST
def fetch_create(request):
    team = _team(request)
    form = FetchForm(request.POST)
    if team is None or not form.is_valid():
        return _page(request, team, fetch_form=form, status=400)
    try:
        job = services.fetch_job_create(team=team, user=request.user, **form.series_fields())
    except PermissionDenied as exc:
        form.add_error(None, str(exc))
        return _page(request, team, fetch_form=form, status=403)
    except FetchInvalid as exc:
        form.add_service_errors(exc.errors)
        return _page(request, team, fetch_form=form, status=400)
    except (DataSourceError, EncryptionKeyMissing, SecretDecryptError) as exc:
        form.add_error(None, exc.message if isinstance(exc, DataSourceError) else str(exc))
        return _page(request, team, fetch_form=form, status=400)
    messages.info(request, f"Fetching {job.symbol} from {providers.get(job.source).label} (job {job.pk}).")
    return redirect(_data_url(team, job=job.pk))


@login_required
@require_POST
def watch_add(request):
    team = _team(request)
    form = SeriesForm(request.POST, auto_id=WATCH_IDS)
    if team is None or not form.is_valid():
        return _page(request, team, watch_form=form, status=400)
    try:
        item = services.watch_item_add(team=team, user=request.user, **form.series_fields())
    except PermissionDenied as exc:
        form.add_error(None, str(exc))
        return _page(request, team, watch_form=form, status=403)
    except FetchInvalid as exc:
        form.add_service_errors(exc.errors)
        return _page(request, team, watch_form=form, status=400)
    messages.success(request, f"{item.symbol} is on the watch-list; it is refreshed on the schedule.")
    return redirect(_data_url(team))


@login_required
@require_POST
def watch_remove(request, item_id: int):
    item = selectors.watch_item_get(user=request.user, item_id=item_id)
    if item is None:
        raise Http404("No such watch-list item.")
    try:
        services.watch_item_remove(item=item, user=request.user)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{item.symbol} is off the watch-list.")
    return redirect(_data_url(item.team))


@login_required
@require_POST
def api_key_set(request, source: str):
    team = _team(request)
    provider = providers.get(source)
    if team is None or provider is None:
        raise Http404("No such team or data source.")
    try:
        if request.POST.get("remove"):
            services.team_api_key_delete(team=team, user=request.user, source=source)
            messages.success(request, f"Removed {team.name}'s {provider.label} key.")
        else:
            services.team_api_key_set(
                team=team, user=request.user, source=source, api_key=request.POST.get("api_key", "")
            )
            messages.success(request, f"Saved {team.name}'s {provider.label} key.")
    except PermissionDenied as exc:
        return _page(request, team, key_error=str(exc), status=403)
    except FetchInvalid as exc:
        return _page(request, team, key_error="; ".join(exc.errors.values()), status=400)
    except EncryptionKeyMissing as exc:
        return _page(request, team, key_error=f"keys cannot be stored: {exc}", status=503)
    return redirect(_data_url(team))
