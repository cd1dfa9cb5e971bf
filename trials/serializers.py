"""How trials look in the API."""

from rest_framework import serializers

from .models import Trial


class TrialSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    model = serializers.CharField(source="model_key")

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
            "status",
            "progress",
            "error",
            "metrics",
            "folds",
            "data_used",
            "cancel_requested",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields
