"""Study pages: the team's studies with a launch form, and one study with its best-so-far, updating live."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render

from accounts.selectors import membership_get, team_list_for_user, user_can_write_somewhere
from accounts.services import PermissionDenied
from market_data.selectors import dataset_list
from models_catalog.selectors import definition_list
from security.limits import submission_check

from . import selectors, studies
from .figures import FIGURES, STUDY_FIGURES, figure_for
from .forms import StudyForm
from .models import Trial
from .overfitting import PBO_MIN_EVALUATIONS


@login_required
def study_list(request):
    teams = list(team_list_for_user(user=request.user))
    form_args = {"teams": teams, "definitions": definition_list(), "datasets": list(dataset_list(user=request.user))}
    if request.method == "POST":
        form = StudyForm(request.POST, **form_args)
        if form.is_valid():
            team = next(team for team in teams if team.slug == form.cleaned_data["team"])
            submission_check(user=request.user)
            try:
                study = studies.study_create(team=team, user=request.user, payload=form.payload())
            except studies.StudySpecInvalid as exc:
                form.add_service_errors(exc.errors)
            except PermissionDenied as exc:
                form.add_error("team", str(exc))
            else:
                messages.success(request, f"Study {study.pk} started.")
                return redirect("study-detail", study_id=study.pk)
    else:
        form = StudyForm(initial={"models": ["random_forest_classifier"], "symbol": "SPX"}, **form_args)
    finished = Count("trials", filter=Q(trials__status__in=Trial.FINISHED))
    listed = selectors.study_list(user=request.user).annotate(done=finished).order_by("-created_at", "-id")[:100]
    context = {"studies": listed, "form": form, "can_write": user_can_write_somewhere(user=request.user)}
    return render(request, "trials/studies.html", context)


@login_required
def study_detail(request, study_id: int):
    study = selectors.study_get(user=request.user, study_id=study_id)
    if study is None:
        raise Http404("No such study.")
    membership = membership_get(user=request.user, team=study.team)
    context = {
        "study": study,
        "can_write": bool(membership and membership.can_write),
        "metric": figure_for(study.metric),
        "pbo": STUDY_FIGURES["pbo"],
        "pbo_min": PBO_MIN_EVALUATIONS,
        "figures": {key: figure.as_dict() for key, figure in (FIGURES | STUDY_FIGURES).items()},
    }
    return render(request, "trials/study.html", context)
