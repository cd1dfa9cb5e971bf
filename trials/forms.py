"""The new-trial and new-study web forms: they gather the payload the API takes and show the service's errors
next to the fields they concern."""

import json
from html import escape

from django import forms
from django.utils.safestring import mark_safe

from market_data.models import Dataset

from .figures import figure_for
from .metrics import CLASSIFICATION, REGRESSION, STRATEGY, VOLATILITY
from .runner import POSITIONS
from .services import MAX_COST_BPS, MAX_REPEATS, SCHEME_FIELDS
from .vocabulary import SPEC_DEFAULTS, TARGETS
from .walkforward import NOT_TRADABLE, SCHEMES

# Where an error of trial_spec_clean goes: (section, field) -> the form field, or a top-level field -> itself.
FIELD_OF_ERROR = {
    ("data", "symbol"): "symbol",
    ("data", "start"): "start",
    ("data", "end"): "end",
    ("data", "target"): "target",
    ("data", "horizon"): "horizon",
    ("data", "macro"): "macro",
    ("data", "benchmark"): "benchmark",
    ("validation", "scheme"): "scheme",
    ("validation", "folds"): "folds",
    ("validation", "gap"): "gap",
    ("validation", "embargo"): "embargo",
    ("validation", "groups"): "groups",
    ("validation", "test_groups"): "test_groups",
    ("costs", "commission_bps"): "commission_bps",
    ("costs", "slippage_bps"): "slippage_bps",
    "costs": "commission_bps",
}
SCHEME_LABELS = {
    "walk_forward": "walk-forward",
    "purged_kfold": "purged k-fold",
    "cpcv": "combinatorial purged CV (CPCV)",
}
# The form's sections, in page order: (legend, field names). The first is the form's own (FIRST_SECTION): the
# fields a subclass adds (model, params; a study's metric and budget) join it.
SECTIONS = [
    ("", ["team", "name"]),
    ("Data", ["symbol", "start", "end", "target", "horizon", "macro", "benchmark"]),
    ("Validation", ["scheme", "folds", "groups", "test_groups", "gap", "embargo"]),
    ("Strategy", ["positions", "commission_bps", "slippage_bps"]),
    ("Runs", ["seed", "repeats"]),
]
POSITION_LABELS = {"long_flat": "long or flat (1 or 0)", "long_short": "long or short (1 or −1)"}


def _number(**kwargs) -> forms.IntegerField:
    """A whole number whose range trial_spec_clean checks (so the page and the API give the same message)."""
    return forms.IntegerField(required=False, **kwargs)


class ExperimentForm(forms.Form):
    """What trials and studies share: the team, the data, the validation scheme, the strategy's costs and
    positions, and the seeds. Every value is checked by trials.services.trial_spec_clean, as the API's are: a
    field here only parses its type, and an empty field means the spec's default (trials.vocabulary)."""

    team = forms.ChoiceField()
    name = forms.CharField(required=False, max_length=200)
    target = forms.ChoiceField(
        choices=[(target, "direction (up/down)" if target == "direction" else target) for target in TARGETS],
        initial=SPEC_DEFAULTS["target"],
    )
    symbol = forms.ChoiceField()
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    horizon = _number(initial=SPEC_DEFAULTS["horizon"], help_text="bars ahead to predict")
    macro = forms.MultipleChoiceField(required=False, help_text="macro series joined as of each date")
    benchmark = forms.ChoiceField(
        required=False, help_text="alpha, beta and the information ratio against it; default buy-and-hold"
    )
    scheme = forms.ChoiceField(
        required=False,
        label="Validation scheme",
        choices=[(scheme, SCHEME_LABELS.get(scheme, scheme)) for scheme in SCHEMES],
        initial=SPEC_DEFAULTS["scheme"],
    )
    folds = _number(initial=SPEC_DEFAULTS["folds"])
    groups = _number(initial=SPEC_DEFAULTS["groups"], label="Groups (N)", help_text="CPCV: blocks of the data")
    test_groups = _number(
        initial=SPEC_DEFAULTS["test_groups"],
        label="Test groups (k)",
        help_text="CPCV: blocks tested per split; φ = C(N−1, k−1) paths",
    )
    gap = _number(initial=SPEC_DEFAULTS["gap"], help_text="bars left out between training and test")
    embargo = _number(
        initial=SPEC_DEFAULTS["embargo"], help_text="bars left out of training after each test block (purged schemes)"
    )
    positions = forms.ChoiceField(
        required=False,
        choices=[(name, POSITION_LABELS.get(name, name)) for name in POSITIONS],
        initial=SPEC_DEFAULTS["positions"],
        help_text="for the return target, the sign of the prediction decides",
    )
    commission_bps = forms.FloatField(
        required=False,
        initial=SPEC_DEFAULTS["commission_bps"],
        label="Commission (bps)",
        help_text=f"per unit of position change, 0 to {MAX_COST_BPS}",
    )
    slippage_bps = forms.FloatField(
        required=False,
        initial=SPEC_DEFAULTS["slippage_bps"],
        label="Slippage (bps)",
        help_text=f"per unit of position change, 0 to {MAX_COST_BPS}",
    )
    seed = _number(initial=SPEC_DEFAULTS["seed"])
    repeats = _number(
        initial=SPEC_DEFAULTS["repeats"],
        help_text=f"1 to {MAX_REPEATS} seeds (seed, seed+1, …): each metric's mean and std across them",
    )

    def __init__(self, *args, teams, datasets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [(team.slug, team.name) for team in teams]
        bars = sorted({d.key for d in datasets if d.kind == Dataset.Kind.BARS})
        series = sorted({d.key for d in datasets if d.kind == Dataset.Kind.SERIES})
        self.fields["symbol"].choices = [(key, key) for key in bars]
        self.fields["macro"].choices = [(key, key) for key in series]
        self.fields["benchmark"].choices = [("", "buy-and-hold of the symbol"), *((key, key) for key in bars)]
        for name in SCHEME_FIELDS["walk_forward"] | SCHEME_FIELDS["purged_kfold"] | SCHEME_FIELDS["cpcv"]:
            if name != "scheme":  # which schemes take the field: the page shows it for those only
                schemes = [scheme for scheme in SCHEMES if name in SCHEME_FIELDS[scheme]]
                self.fields[name].widget.attrs["data-schemes"] = " ".join(schemes)

    first_section = "Trial"
    walk_forward_note = (
        "Walk-forward on an expanding window: each fold trains only on bars before its test block, less the gap. "
        "Its equity curve is a tradable backtest."
    )
    not_tradable_note = f"Purged schemes {NOT_TRADABLE}."

    def sections(self) -> list[tuple[str, list]]:
        """[(legend, bound fields), ...] for the template; a field no section names joins the first."""
        named = {name for _, names in SECTIONS for name in names}
        extra = [name for name in self.fields if name not in named and name != "params"]
        return [
            (legend or self.first_section, [self[name] for name in (names + extra if not legend else names)])
            for legend, names in SECTIONS
        ]

    def experiment_payload(self) -> dict:
        """The spec as the API takes it; a field left empty is left out, so the service's default applies."""
        data = self.cleaned_data
        scheme = data["scheme"] or SPEC_DEFAULTS["scheme"]

        def given(names) -> dict:
            return {name: data[name] for name in names if data.get(name) not in (None, "")}

        payload = {
            "name": data["name"],
            "data": {
                "symbol": data["symbol"],
                "start": data["start"].isoformat() if data["start"] else None,
                "end": data["end"].isoformat() if data["end"] else None,
                "target": data["target"],
                "macro": data["macro"],
                **given(["horizon", "benchmark"]),
            },
            "validation": {"scheme": scheme, **given(sorted(SCHEME_FIELDS[scheme] - {"scheme"}))},
            "costs": given(["commission_bps", "slippage_bps"]),
            **given(["seed", "repeats", "positions"]),
        }
        return payload

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
                field = FIELD_OF_ERROR.get(key, key)
                self.add_error(field if field in self.fields else None, str(value))

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
    first_section = "Study"

    def __init__(self, *args, definitions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["models"].choices = [(d.key, f"{d.name} ({d.family})") for d in definitions]
        self.fields["models"].widget.attrs["data-searchable"] = "models"

    def payload(self) -> dict:
        fields = ("models", "metric", "direction", "budget", "parallelism")
        chosen = {name: self.cleaned_data[name] for name in fields if self.cleaned_data[name] not in ("", None)}
        return {**self.experiment_payload(), **chosen}  # no direction: the service's default for the metric


class QuickSelect(forms.Select):
    """A <select> written in Python, the same HTML as Django's Select: Django renders a template, and a template
    of its attributes, for every option (the trial table's filters, 35 options: a tenth of the page's time)."""

    def render(self, name, value, attrs=None, renderer=None) -> str:
        widget = self.get_context(name, value, attrs)["widget"]
        if any(group_name for group_name, _, _ in widget["optgroups"]):
            return super().render(name, value, attrs, renderer)  # groups: Django's template
        options = "".join(
            f'\n  <option value="{escape(str(option["value"]))}"{_attributes(option["attrs"])}>'
            f"{escape(str(option['label']))}</option>\n"
            for _, group, _ in widget["optgroups"]
            for option in group
        )
        return mark_safe(f'<select name="{escape(name)}"{_attributes(widget["attrs"])}>{options}\n</select>')  # noqa: S308


def _attributes(attrs: dict) -> str:
    """HTML attributes as django/forms/widgets/attrs.html writes them: `True` bare, `False` left out, escaped."""
    return "".join(
        f" {name}" if value is True else f' {name}="{escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


class TrialFilterForm(forms.Form):
    """The trial table's filters (the page and the CSV export): every field optional, each bad value named.

    Studies and creators are offered as lists on the page (`studies=` as (id, label), `creators=`), but any id or
    username is accepted: the selector only ever looks inside the user's teams."""

    q = forms.CharField(required=False, max_length=200, label="Name")
    status = forms.ChoiceField(required=False, widget=QuickSelect)
    model = forms.CharField(required=False, max_length=80, help_text="a catalog key, or part of a model's name")
    family = forms.ChoiceField(required=False, widget=QuickSelect)
    symbol = forms.CharField(required=False, max_length=40)
    target = forms.ChoiceField(required=False, widget=QuickSelect)
    study = forms.IntegerField(required=False, min_value=1, widget=QuickSelect)
    created_by = forms.CharField(required=False, max_length=150, label="Creator", widget=QuickSelect)
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
        self.fields["study"].widget.choices = [("", "any"), *studies]
        self.fields["created_by"].widget.choices = [("", "anyone"), *((name, name) for name in creators)]

    def filters(self) -> dict:
        """The cleaned, non-empty filters, as trials.selectors.trial_list takes them."""
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}
