"""The new-trial and new-study web forms: they gather the payload the API takes and show the service's errors
next to the fields they concern."""

import json

from django import forms

from market_data.models import Dataset

from .figures import figure_for
from .metrics import CLASSIFICATION, REGRESSION, STRATEGY, VOLATILITY
from .vocabulary import SPEC_DEFAULTS, TARGETS

FIELD_OF_ERROR = {
    ("data", "symbol"): "symbol",
    ("data", "start"): "start",
    ("data", "end"): "end",
    ("data", "target"): "target",
    ("data", "horizon"): "horizon",
    ("data", "macro"): "macro",
    ("validation", "folds"): "folds",
    ("validation", "gap"): "gap",
    ("validation", "scheme"): "folds",
}


class ExperimentForm(forms.Form):
    """What trials and studies share: the team, the data and the walk-forward validation."""

    team = forms.ChoiceField()
    name = forms.CharField(required=False, max_length=200)
    target = forms.ChoiceField(
        choices=[(target, "direction (up/down)" if target == "direction" else target) for target in TARGETS],
        initial=SPEC_DEFAULTS["target"],
    )
    symbol = forms.ChoiceField()
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    horizon = forms.IntegerField(initial=SPEC_DEFAULTS["horizon"], min_value=1)
    macro = forms.MultipleChoiceField(required=False, help_text="macro series joined as of each date")
    folds = forms.IntegerField(initial=SPEC_DEFAULTS["folds"], min_value=2)
    gap = forms.IntegerField(initial=SPEC_DEFAULTS["gap"], min_value=0)
    seed = forms.IntegerField(initial=SPEC_DEFAULTS["seed"], min_value=0)

    def __init__(self, *args, teams, datasets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [(team.slug, team.name) for team in teams]
        bars = sorted({d.key for d in datasets if d.kind == Dataset.Kind.BARS})
        series = sorted({d.key for d in datasets if d.kind == Dataset.Kind.SERIES})
        self.fields["symbol"].choices = [(key, key) for key in bars]
        self.fields["macro"].choices = [(key, key) for key in series]

    def experiment_payload(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "data": {
                "symbol": data["symbol"],
                "start": data["start"].isoformat() if data["start"] else None,
                "end": data["end"].isoformat() if data["end"] else None,
                "target": data["target"],
                "horizon": data["horizon"],
                "macro": data["macro"],
            },
            "validation": {"scheme": SPEC_DEFAULTS["scheme"], "folds": data["folds"], "gap": data["gap"]},
            "seed": data["seed"],
        }

    def add_service_errors(self, errors: dict) -> None:
        """Put each error the service found next to the field it concerns."""
        for key, value in errors.items():
            if isinstance(value, dict):
                for sub, message in value.items():
                    if key in ("params", "fixed_params"):
                        self.add_error(None, f"{sub}: {message}")
                    else:
                        self.add_error(FIELD_OF_ERROR.get((key, sub)), f"{sub}: {message}")
            else:
                self.add_error(key if key in self.fields else None, str(value))

    def add_compliance_errors(self, violations) -> None:
        """Put each compliance refusal next to the field it concerns, or above the form when it concerns none."""
        for violation in violations:
            self.add_error(violation.field if violation.field in self.fields else None, violation.message)


class TrialForm(ExperimentForm):
    model = forms.ChoiceField()
    params = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text='JSON object, e.g. {"n_estimators": 100}; empty for defaults',
    )
    field_order = ["team", "name", "model"]

    def __init__(self, *args, definitions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [(d.key, f"{d.name} ({d.family})") for d in definitions]
        self.fields["model"].widget.attrs["data-searchable"] = "models"

    def clean_params(self):
        text = (self.cleaned_data.get("params") or "").strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
        if not isinstance(value, dict):
            raise forms.ValidationError("must be a JSON object of parameter names to values")
        return value

    def payload(self) -> dict:
        return {**self.experiment_payload(), "model": self.cleaned_data["model"], "params": self.cleaned_data["params"]}

    def add_service_errors(self, errors: dict) -> None:
        for name, message in (errors.pop("params", None) or {}).items():
            self.add_error("params", f"{name}: {message}")
        super().add_service_errors(errors)


class StudyForm(ExperimentForm):
    models = forms.MultipleChoiceField(help_text="one model to tune, or several for automatic model selection")
    metric = forms.ChoiceField(
        choices=[
            (m, f"{figure_for(m).label} ({m})")
            for m in dict.fromkeys([*STRATEGY, *CLASSIFICATION, *REGRESSION, *VOLATILITY])
        ],
        initial="sharpe",
    )
    direction = forms.ChoiceField(
        required=False,
        choices=[("", "follow the metric"), ("maximize", "maximize"), ("minimize", "minimize")],
        help_text="by default the metric's better way: RMSE is minimised, Sharpe maximised",
    )
    budget = forms.IntegerField(initial=20, min_value=1)
    parallelism = forms.IntegerField(initial=2, min_value=1)
    field_order = ["team", "name", "models"]

    def __init__(self, *args, definitions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["models"].choices = [(d.key, f"{d.name} ({d.family})") for d in definitions]
        self.fields["models"].widget.attrs["data-searchable"] = "models"

    def payload(self) -> dict:
        fields = ("models", "metric", "direction", "budget", "parallelism")
        chosen = {name: self.cleaned_data[name] for name in fields if self.cleaned_data[name] not in ("", None)}
        return {**self.experiment_payload(), **chosen}  # no direction: the service's default for the metric


class TrialFilterForm(forms.Form):
    """The trial table's filters (the page and the CSV export): every field optional, each bad value named.

    Studies and creators are offered as lists on the page (`studies=`, `creators=`), but any id or username is
    accepted: the selector only ever looks inside the user's teams."""

    q = forms.CharField(required=False, max_length=200, label="Name")
    status = forms.ChoiceField(required=False)
    model = forms.CharField(required=False, max_length=80, help_text="a catalog key, or part of a model's name")
    family = forms.ChoiceField(required=False)
    symbol = forms.CharField(required=False, max_length=40)
    target = forms.ChoiceField(required=False)
    study = forms.IntegerField(required=False, min_value=1, widget=forms.Select)
    created_by = forms.CharField(required=False, max_length=150, label="Creator", widget=forms.Select)
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label="From")
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label="To")
    team = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)

    def __init__(self, *args, studies=(), creators=(), **kwargs):
        from models_catalog.definition import TARGETS
        from models_catalog.registry import CATALOG

        from .models import Trial

        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", "any"), *((v, v.replace("_", " ")) for v in Trial.Status.values)]
        families = sorted({definition.family for definition in CATALOG.values()})
        self.fields["family"].choices = [("", "any"), *((family, family) for family in families)]
        self.fields["target"].choices = [("", "any"), *((target, target) for target in TARGETS)]
        self.fields["study"].widget.choices = [("", "any"), *((s.pk, f"{s.pk}: {s.name or s.metric}") for s in studies)]
        self.fields["created_by"].widget.choices = [("", "anyone"), *((name, name) for name in creators)]

    def filters(self) -> dict:
        """The cleaned, non-empty filters, as trials.selectors.trial_list takes them."""
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}
