"""How the registry looks in the API (Output serializers; the views declare their own Input serializers)."""

from rest_framework import serializers

from .models import LiveSignal, ModelVersion, RegisteredModel, StageChange


class StageChangeSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = StageChange
        fields = ["action", "from_stage", "to_stage", "user", "reason", "decision_id", "created_at"]
        read_only_fields = fields


class VersionSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="registered_model.name", read_only=True)
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    promotion_requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    version = serializers.IntegerField(source="number", read_only=True)
    trial = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = ModelVersion
        fields = [
            "name", "version", "team", "trial", "spec", "created_by", "created_at", "status", "progress", "error",
            "fit_started_at", "fit_finished_at", "fit_rows", "feature_columns", "data_used", "packages",
            "artifact_sha256", "artifact_bytes", "stage", "promoted_at", "promotion_requested_by",
            "promotion_requested_at", "promotion_reason", "live_record", "drift_flagged_at", "drift_reason",
        ]  # fmt: skip
        read_only_fields = fields


class VersionDetailSerializer(VersionSerializer):
    stage_history = StageChangeSerializer(source="stage_changes", many=True, read_only=True)

    class Meta(VersionSerializer.Meta):
        fields = [*VersionSerializer.Meta.fields, "stage_history"]
        read_only_fields = fields


class VersionSummarySerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(source="number", read_only=True)
    trial = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = ModelVersion
        fields = ["version", "trial", "status", "stage", "created_at", "promoted_at", "drift_flagged_at"]
        read_only_fields = fields


class RegisteredModelSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    versions = VersionSummarySerializer(many=True, read_only=True)
    production = serializers.SerializerMethodField()

    def get_production(self, model: RegisteredModel) -> int | None:
        """The number of the version in production, if any."""
        return next((v.number for v in model.versions.all() if v.stage == ModelVersion.Stage.PRODUCTION), None)

    class Meta:
        model = RegisteredModel
        fields = ["name", "team", "created_at", "production", "versions"]
        read_only_fields = fields


class PredictionSerializer(serializers.Serializer):
    date = serializers.DateTimeField()
    prediction = serializers.FloatField()
    proba = serializers.FloatField(allow_null=True, help_text="P(up), direction targets only")
    position = serializers.FloatField(allow_null=True, help_text="what the trial's rule would hold for the next bar")


class SignalSerializer(serializers.ModelSerializer):
    class Meta:
        model = LiveSignal
        fields = ["date", "prediction", "proba", "position", "close", "next_return", "cost", "net_return", "created_at"]
        read_only_fields = fields


SIGNAL_COLUMNS = ["date", "prediction", "proba", "position", "close", "next_return", "cost", "net_return"]
