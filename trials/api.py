"""REST shell around the trial services and selectors."""

from django.http import Http404
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import team_for_request
from compliance.services import ApprovalDenied, ComplianceRejected
from security.limits import submission_check

from . import selectors, services
from .exports import PREDICTION_HEADER, TRIAL_COLUMNS, csv_response, prediction_row, trial_row
from .models import Trial
from .serializers import TrialSerializer


class TrialFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Trial.Status.choices, required=False, allow_blank=True)
    model = serializers.CharField(required=False, allow_blank=True, max_length=100)
    team = serializers.CharField(required=False, allow_blank=True, max_length=100)


def _filters(request) -> dict:
    """The list's filters, checked before any query runs (an export's stream must not start on bad input)."""
    filters = TrialFilterSerializer(data=request.query_params)
    filters.is_valid(raise_exception=True)
    return filters.validated_data


def get_trial_or_404(request, trial_id: int):
    trial = selectors.trial_get(user=request.user, trial_id=trial_id)
    if trial is None:
        raise Http404("No such trial.")
    return trial


class TrialListCreateApi(APIView):
    class Pagination(LimitOffsetPagination):
        default_limit = 50
        max_limit = 500

    def get(self, request):
        trials = selectors.trial_list(user=request.user, filters=_filters(request))
        paginator = self.Pagination()
        page = paginator.paginate_queryset(trials, request, view=self)
        return paginator.get_paginated_response(TrialSerializer(page, many=True).data)

    def post(self, request):
        if not isinstance(request.data, dict):
            raise ValidationError({"non_field_errors": "send a JSON object"})
        team = team_for_request(request)
        submission_check(user=request.user)
        try:
            trial = services.trial_create(team=team, user=request.user, payload=request.data)
        except services.TrialSpecInvalid as exc:
            raise ValidationError(exc.errors) from exc
        except ComplianceRejected as exc:
            return Response({"compliance": exc.as_list()}, status=status.HTTP_400_BAD_REQUEST)
        return Response(TrialSerializer(trial).data, status=status.HTTP_201_CREATED)


class TrialDetailApi(APIView):
    def get(self, request, trial_id: int):
        return Response(TrialSerializer(get_trial_or_404(request, trial_id)).data)


class TrialCancelApi(APIView):
    def post(self, request, trial_id: int):
        trial = get_trial_or_404(request, trial_id)
        trial = services.trial_cancel(trial=trial, user=request.user)
        return Response(TrialSerializer(trial).data)


class TrialExportApi(APIView):
    def get(self, request):
        trials = selectors.trial_list(user=request.user, filters=_filters(request))
        return csv_response("trials.csv", TRIAL_COLUMNS, (trial_row(t) for t in trials.iterator(chunk_size=500)))


class TrialPredictionsExportApi(APIView):
    def get(self, request, trial_id: int):
        trial = get_trial_or_404(request, trial_id)
        rows = (prediction_row(row) for row in selectors.prediction_rows(trial=trial))
        return csv_response(f"trial-{trial.pk}-predictions.csv", PREDICTION_HEADER, rows)


class _TrialDecisionApi(APIView):
    def _respond(self, call):
        try:
            trial = call()
        except ApprovalDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        except services.ApprovalConflict as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(TrialSerializer(trial).data)


class TrialApproveApi(_TrialDecisionApi):
    def post(self, request, trial_id: int):
        trial = get_trial_or_404(request, trial_id)
        return self._respond(lambda: services.trial_approve(trial=trial, user=request.user))


class TrialRejectApi(_TrialDecisionApi):
    def post(self, request, trial_id: int):
        trial = get_trial_or_404(request, trial_id)
        reason = request.data.get("reason", "") if isinstance(request.data, dict) else ""
        reason = reason if isinstance(reason, str) else ""
        return self._respond(lambda: services.trial_reject(trial=trial, user=request.user, reason=reason))
