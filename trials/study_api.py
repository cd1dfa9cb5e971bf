"""REST shell around the study services: create, list, follow, cancel and export hyperparameter searches."""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import team_for_request
from security.limits import submission_check
from security.openapi import RATE_LIMITED

from . import selectors, studies
from .exports import TRIAL_COLUMNS, csv_lines_response, trial_lines
from .models import Study
from .serializers import DataSpecSerializer, ValidationSpecSerializer


class StudySerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    models = serializers.JSONField(source="model_keys")
    best = serializers.SerializerMethodField()
    trials = serializers.SerializerMethodField()

    class Meta:
        model = Study
        fields = [
            "id", "name", "team", "created_by", "models", "fixed_params", "data", "validation", "seed", "costs",
            "positions", "repeats", "metric", "direction", "budget", "parallelism", "status", "best", "pbo",
            "pbo_evaluations", "pbo_computed_at", "trials", "error", "created_at", "finished_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_best(self, study: Study) -> dict | None:
        trial = study.best_trial
        if trial is None:
            return None
        return {"trial": trial.pk, "value": study.best_value, "model": trial.model_key, "params": trial.params}

    def get_trials(self, study: Study) -> list[dict]:
        # study.trials is prefetched by the selector (with_trials=True): no query per study.
        return [
            {
                "id": trial.pk,
                "status": trial.status,
                "model": trial.model_key,
                "params": trial.params,
                "value": (trial.metrics or {}).get(study.metric),
            }
            for trial in study.trials.all()
        ]


class StudySpecSerializer(serializers.Serializer):
    """A study as submitted (checked in full by trials.studies.study_spec_clean)."""

    model = serializers.CharField(required=False, help_text="one catalog key, or a list of them in `models`")
    models = serializers.ListField(child=serializers.CharField(), required=False)
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    team = serializers.CharField(required=False)
    data = DataSpecSerializer()
    validation = ValidationSpecSerializer(required=False)
    seed = serializers.IntegerField(required=False, min_value=0)
    metric = serializers.CharField(required=False)
    direction = serializers.ChoiceField(choices=Study.Direction.choices, required=False)
    budget = serializers.IntegerField(required=False, min_value=1)
    parallelism = serializers.IntegerField(required=False, min_value=1)
    fixed_params = serializers.DictField(child=serializers.DictField(), required=False)


def _get_study_or_404(request, study_id: int, *, with_trials: bool = True) -> Study:
    study = selectors.study_get(user=request.user, study_id=study_id, with_trials=with_trials)
    if study is None:
        raise Http404("No such study.")
    return study


class StudyListCreateApi(APIView):
    @extend_schema(responses=StudySerializer(many=True))
    def get(self, request):
        studies = selectors.study_list(user=request.user, with_trials=True)[:100]
        return Response(StudySerializer(studies, many=True).data)

    @extend_schema(request=StudySpecSerializer, responses={201: StudySerializer, 429: RATE_LIMITED})
    def post(self, request):
        if not isinstance(request.data, dict):
            raise ValidationError({"non_field_errors": "send a JSON object"})
        team = team_for_request(request)
        submission_check(user=request.user)
        try:
            study = studies.study_create(team=team, user=request.user, payload=request.data)
        except studies.StudySpecInvalid as exc:
            raise ValidationError(exc.errors) from exc
        return Response(StudySerializer(study).data, status=status.HTTP_201_CREATED)


class StudyDetailApi(APIView):
    @extend_schema(responses=StudySerializer)
    def get(self, request, study_id: int):
        return Response(StudySerializer(_get_study_or_404(request, study_id)).data)


class StudyCancelApi(APIView):
    @extend_schema(request=None, responses=StudySerializer)
    def post(self, request, study_id: int):
        studies.study_cancel(study=_get_study_or_404(request, study_id, with_trials=False), user=request.user)
        return Response(StudySerializer(_get_study_or_404(request, study_id)).data)


class StudyExportApi(APIView):
    @extend_schema(responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV, streamed")})
    def get(self, request, study_id: int):
        study = _get_study_or_404(request, study_id, with_trials=False)
        trials = selectors.study_trial_list(study=study)
        lines = trial_lines(selectors.trial_export_rows(trials))
        return csv_lines_response(f"study-{study.pk}-trials.csv", TRIAL_COLUMNS, lines)


class ParamImportanceSerializer(serializers.Serializer):
    name = serializers.CharField()
    importance = serializers.FloatField(help_text="share of the metric's variance the parameter explains (fANOVA)")


class StudyImportancesSerializer(serializers.Serializer):
    study = serializers.IntegerField()
    params = ParamImportanceSerializer(many=True, help_text="most important first; empty until two evaluations")


class StudyImportancesApi(APIView):
    """GET /api/studies/<id>/importances/: Optuna's parameter importances of the study so far."""

    serializer_class = StudyImportancesSerializer

    def get(self, request, study_id: int):
        study = _get_study_or_404(request, study_id, with_trials=False)
        ranked = studies.study_param_importances(study=study)
        params = [{"name": name, "importance": value} for name, value in ranked.items()]
        return Response(StudyImportancesSerializer({"study": study.pk, "params": params}).data)
