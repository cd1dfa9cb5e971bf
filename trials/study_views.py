"""Study pages: the team's studies with a launch form, and one study with its best-so-far, updating live."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render

from accounts.selectors import team_list_for_user
from market_data.models import Dataset
from market_data.selectors import dataset_list
from models_catalog.selectors import spec_list

from . import selectors, services, studies
from .metrics import CLASSIFICATION, REGRESSION, STRATEGY, VOLATILITY


class StudyForm(forms.Form):
    team = forms.ChoiceField()
    name = forms.CharField(required=False, max_length=200)
    models = forms.MultipleChoiceField(help_text="one model to tune, or several for automatic model selection")
    target = forms.ChoiceField(choices=[("direction", "direction"), ("return", "return"), ("volatility", "volatility")])
    symbol = forms.ChoiceField()
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    horizon = forms.IntegerField(initial=1, min_value=1)
    folds = forms.IntegerField(initial=5, min_value=2)
    gap = forms.IntegerField(initial=1, min_value=0)
    metric = forms.ChoiceField(
        choices=[(m, m) for m in dict.fromkeys([*STRATEGY, *CLASSIFICATION, *REGRESSION, *VOLATILITY])],
        initial="sharpe",
    )
    direction = forms.ChoiceField(choices=[("maximize", "maximize"), ("minimize", "minimize")])
    budget = forms.IntegerField(initial=20, min_value=1)
    parallelism = forms.IntegerField(initial=2, min_value=1)

    def __init__(self, *args, teams, specs, datasets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [(team.slug, team.name) for team in teams]
        self.fields["models"].choices = [(spec.key, f"{spec.name} ({spec.family})") for spec in specs]
        self.fields["symbol"].choices = [
            (d, d) for d in sorted({d.key for d in datasets if d.kind == Dataset.Kind.BARS})
        ]

    def payload(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "models": data["models"],
            "data": {
                "symbol": data["symbol"],
                "start": data["start"].isoformat() if data["start"] else None,
                "end": data["end"].isoformat() if data["end"] else None,
                "target": data["target"],
                "horizon": data["horizon"],
            },
            "validation": {"scheme": "walk_forward", "folds": data["folds"], "gap": data["gap"]},
            "metric": data["metric"],
            "direction": data["direction"],
            "budget": data["budget"],
            "parallelism": data["parallelism"],
        }

    def add_service_errors(self, errors: dict) -> None:
        for key, value in errors.items():
            if isinstance(value, dict):
                for sub, message in value.items():
                    field = sub if sub in self.fields else None
                    self.add_error(field, f"{sub}: {message}")
            else:
                self.add_error(key if key in self.fields else None, str(value))


@login_required
def study_list(request):
    teams = list(team_list_for_user(user=request.user))
    form_args = {"teams": teams, "specs": spec_list(), "datasets": list(dataset_list(user=request.user))}
    if request.method == "POST":
        form = StudyForm(request.POST, **form_args)
        if form.is_valid():
            team = next(team for team in teams if team.slug == form.cleaned_data["team"])
            try:
                study = studies.study_create(team=team, user=request.user, payload=form.payload())
            except studies.StudySpecInvalid as exc:
                form.add_service_errors(exc.errors)
            except services.PermissionDenied as exc:
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
