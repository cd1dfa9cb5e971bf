"""REST shell around the study services: create, list, follow, cancel and export hyperparameter searches."""

from django.http import Http404
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import team_for_request
from security.limits import submission_check

from . import selectors, studies
from .exports import TRIAL_COLUMNS, csv_response, trial_row
from .models import Study


class StudySerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
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


def _get_study_or_404(request, study_id: int, *, with_trials: bool = True) -> Study:
    study = selectors.study_get(user=request.user, study_id=study_id, with_trials=with_trials)
    if study is None:
        raise Http404("No such study.")
    return study


class StudyListCreateApi(APIView):
    def get(self, request):
        studies = selectors.study_list(user=request.user, with_trials=True)[:100]
        return Response(StudySerializer(studies, many=True).data)

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
    def get(self, request, study_id: int):
        return Response(StudySerializer(_get_study_or_404(request, study_id)).data)


class StudyCancelApi(APIView):
    def post(self, request, study_id: int):
        studies.study_cancel(study=_get_study_or_404(request, study_id, with_trials=False), user=request.user)
        return Response(StudySerializer(_get_study_or_404(request, study_id)).data)


class StudyExportApi(APIView):
    def get(self, request, study_id: int):
        study = _get_study_or_404(request, study_id, with_trials=False)
        trials = selectors.study_trial_list(study=study)
        return csv_response(f"study-{study.pk}-trials.csv", TRIAL_COLUMNS, (trial_row(t) for t in trials.iterator()))
