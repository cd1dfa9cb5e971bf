"""How trials look in the API."""

import json
from datetime import UTC, datetime

from rest_framework import serializers

from .models import Trial
from .walkforward import validation_note


class TrialSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    model = serializers.CharField(source="model_key")
    validation_note = serializers.SerializerMethodField()

    def get_validation_note(self, trial: Trial) -> str:
        """What the scheme's equity curve is: a tradable backtest (walk_forward) or not ("" when it is)."""
        return validation_note(trial.validation)

    class Meta:
        model = Trial
        fields = [
            "id",
            "name",
            "team",
            "created_by",
            "model",
            "family",
            "target",
            "params",
            "data",
            "validation",
            "seed",
            "costs",
            "positions",
            "repeats",
            "validation_note",
            "status",
            "progress",
            "error",
            "metrics",
            "across_seeds",
            "dsr_computed_at",
            "folds",
            "data_used",
            "cancel_requested",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class TrialListSerializer(TrialSerializer):
    """A trial in a list: without the per-fold results and the data versions (see trials.selectors.LIST_DEFERRED)."""

    class Meta(TrialSerializer.Meta):
        fields = [name for name in TrialSerializer.Meta.fields if name not in ("folds", "data_used")]
        read_only_fields = fields


# --- The same, written out for speed ----------------------------------------------------------------------
# A ModelSerializer builds its fields on every use and reads every value through several layers: for a list of
# 1,000 trials that was most of the answer's time. These produce exactly what TrialSerializer and
# TrialListSerializer produce (tests/trials/test_trial_representation.py compares them on varied trials); the
# serializers stay the schema's description of it. A new field goes in both.

_text = json.JSONEncoder(ensure_ascii=False).encode  # DRF's JSONRenderer does not escape non-ASCII either


def _moment(value: datetime | None) -> str | None:
    """DRF's DateTimeField: ISO 8601 in the current time zone (UTC), "+00:00" written "Z"."""
    if value is None:
        return None
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _note(scheme: str | None) -> str:
    """validation_note from the row's `scheme` (None: the validation names none)."""
    return validation_note({} if scheme is None else {"scheme": scheme})


def text_moment(text: str | None) -> str | None:
    """_moment of a UTC timestamp as the database writes it as text: '2026-12-01 08:15:00.1234+00' on PostgreSQL
    (session time zone UTC, trailing zeros of the fraction dropped), '2026-12-01 08:15:00.123400' on SQLite; any
    other offset is parsed."""
    if text is None:
        return None
    moment = text.removesuffix("+00")
    if "+" in moment or moment.count("-") > 2:
        return _moment(datetime.fromisoformat(text))
    whole, dot, fraction = moment.partition(".")
    return f"{whole.replace(' ', 'T')}{dot}{fraction.ljust(6, '0') if dot else ''}Z"


def _json_moment(moment: str | None) -> str:
    """A moment of _moment or text_moment as JSON (its characters need no escaping)."""
    return "null" if moment is None else f'"{moment}"'


def trial_json(row: dict) -> str:
    """One trial as JSON text, from a row of trials.selectors.trial_rows (the detail's fields when the row has
    `folds_json`, else the list's). JSON columns are copied as the database holds them."""
    name, error, username = row["name"], row["error"], row["username"]
    head = (
        f'{{"id":{row["id"]},"name":{_text(name)},"team":{_text(row["team_slug"])},'
        f'"created_by":{"null" if username is None else _text(username)},"model":{_text(row["model_key"])},'
        f'"family":{_text(row["family"])},"target":{_text(row["target"])},"params":{row["params_json"]},'
        f'"data":{row["data_json"]},"validation":{row["validation_json"]},"seed":{row["seed"]},'
        f'"costs":{row["costs_json"]},"positions":{_text(row["positions"])},"repeats":{row["repeats"]},'
        f'"validation_note":{_text(_note(row["scheme"]))},"status":{_text(row["status"])},'
        f'"progress":{float(row["progress"])!r},"error":{_text(error)},"metrics":{row["metrics_json"]},'
        f'"across_seeds":{row["across_seeds_json"] or "null"},'
        f'"dsr_computed_at":{_json_moment(text_moment(row["dsr_computed_at_text"]))},'
    )
    folds = f'"folds":{row["folds_json"]},"data_used":{row["data_used_json"]},' if "folds_json" in row else ""
    tail = (
        f'"cancel_requested":{"true" if row["cancel_requested"] else "false"},'
        f'"created_at":{_json_moment(_moment(row["created_at"]))},'
        f'"started_at":{_json_moment(text_moment(row["started_at_text"]))},'
        f'"finished_at":{_json_moment(text_moment(row["finished_at_text"]))}}}'
    )
    return head + folds + tail


def trial_list_json(rows: list[dict], *, next_url: str | None, previous_url: str | None) -> str:
    """A page of the trial list (GET /api/trials/) as JSON text."""
    results = ",".join(map(trial_json, rows))
    return f'{{"next":{_text(next_url)},"previous":{_text(previous_url)},"results":[{results}]}}'


def trial_dict(trial: Trial) -> dict:
    """TrialSerializer(trial).data for one Trial instance (with its team and creator loaded): what creating,
    cancelling, approving and rejecting answer."""
    return {
        "id": trial.pk,
        "name": trial.name,
        "team": trial.team.slug,
        "created_by": trial.created_by.username if trial.created_by_id else None,
        "model": trial.model_key,
        "family": trial.family,
        "target": trial.target,
        "params": trial.params,
        "data": trial.data,
        "validation": trial.validation,
        "seed": trial.seed,
        "costs": trial.costs,
        "positions": trial.positions,
        "repeats": trial.repeats,
        "validation_note": validation_note(trial.validation),
        "status": trial.status,
        "progress": float(trial.progress),
        "error": trial.error,
        "metrics": trial.metrics,
        "across_seeds": trial.across_seeds,
        "dsr_computed_at": _moment(trial.dsr_computed_at),
        "folds": trial.folds,
        "data_used": trial.data_used,
        "cancel_requested": trial.cancel_requested,
        "created_at": _moment(trial.created_at),
        "started_at": _moment(trial.started_at),
        "finished_at": _moment(trial.finished_at),
    }


class DataSpecSerializer(serializers.Serializer):
    symbol = serializers.CharField(help_text="a dataset key such as SPX (GET /api/datasets/)")
    start = serializers.DateField(required=False, allow_null=True)
    end = serializers.DateField(required=False, allow_null=True)
    target = serializers.ChoiceField(choices=["direction", "return", "volatility"], required=False)
    horizon = serializers.IntegerField(required=False, min_value=1)
    macro = serializers.ListField(child=serializers.CharField(), required=False)


class ValidationSpecSerializer(serializers.Serializer):
    scheme = serializers.ChoiceField(choices=["walk_forward"], required=False)
    folds = serializers.IntegerField(required=False, min_value=2)
    gap = serializers.IntegerField(required=False, min_value=0)


class TrialSpecSerializer(serializers.Serializer):
    """A trial as submitted (checked in full by trials.services.trial_spec_clean, which names every problem)."""

    model = serializers.CharField(help_text="a catalog key such as random_forest_classifier")
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    team = serializers.CharField(required=False, help_text="the team's slug; default: your first team")
    params = serializers.DictField(required=False, help_text="hyperparameters by name (GET /api/models/{key}/)")
    data = DataSpecSerializer()
    validation = ValidationSpecSerializer(required=False)
    seed = serializers.IntegerField(required=False, min_value=0)


class CompareRowSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    differs = serializers.BooleanField()
    values = serializers.ListField(child=serializers.JSONField(allow_null=True), help_text="one value per trial")


class CompareSectionSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="Trial, Parameters, Data, Validation or Metrics")
    rows = CompareRowSerializer(many=True)


class TrialCompareSerializer(serializers.Serializer):
    """GET /api/trials/compare/?ids=1,2: the trials side by side, in the order asked."""

    ids = serializers.ListField(child=serializers.IntegerField())
    trials = TrialSerializer(many=True)
    sections = CompareSectionSerializer(many=True)
