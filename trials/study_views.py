"""Study pages: the team's studies with a launch form, and one study with its best-so-far, updating live."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render

from accounts.selectors import team_list_for_user
from accounts.services import PermissionDenied
from market_data.selectors import dataset_list
from models_catalog.selectors import definition_list
from security.limits import submission_check

from . import selectors, studies
from .forms import StudyForm


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
    return render(
        request, "trials/studies.html", {"studies": selectors.study_list(user=request.user)[:100], "form": form}
    )


@login_required
def study_detail(request, study_id: int):
    study = selectors.study_get(user=request.user, study_id=study_id)
    if study is None:
        raise Http404("No such study.")
    return render(request, "trials/study.html", {"study": study})
