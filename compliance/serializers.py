"""How audit records look in the API."""

from rest_framework import serializers

from .models import Decision


class DecisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Decision
        fields = [
            "id",
            "trial",
            "outcome",
            "stage",
            "reasons",
            "rules",
            "username",
            "team_slug",
            "spec",
            "automated",
            "created_at",
        ]
        read_only_fields = fields
