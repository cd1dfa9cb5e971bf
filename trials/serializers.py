"""How trials look in the API."""

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
