"""REST shell around the audit trail (read-only: no write verb exists) and the four-eyes approval."""

from django.http import Http404
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from trials import selectors as trial_selectors
from trials.serializers import TrialSerializer

from . import selectors, services
from .exports import DECISION_HEADER, decision_csv_response
from .models import Decision
from .serializers import DecisionSerializer


class DecisionFilterSerializer(serializers.Serializer):
    trial = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    outcome = serializers.ChoiceField(choices=Decision.Outcome.choices, required=False, allow_blank=True)
    stage = serializers.ChoiceField(choices=Decision.Stage.choices, required=False, allow_blank=True)
    team = serializers.CharField(required=False, allow_blank=True, max_length=100)


def _filters(request) -> dict:
    """The audit trail's filters, checked before any query runs (so before an export's stream starts)."""
    filters = DecisionFilterSerializer(data=request.query_params)
    filters.is_valid(raise_exception=True)
    return filters.validated_data


class DecisionListApi(APIView):
    class Pagination(LimitOffsetPagination):
        default_limit = 100
        max_limit = 1000

    def get(self, request):
        decisions = selectors.decision_list(user=request.user, filters=_filters(request))
        paginator = self.Pagination()
        page = paginator.paginate_queryset(decisions, request, view=self)
        return paginator.get_paginated_response(DecisionSerializer(page, many=True).data)


class DecisionExportApi(APIView):
    def get(self, request):
        decisions = selectors.decision_list(user=request.user, filters=_filters(request))
        return decision_csv_response(decisions, header=DECISION_HEADER)


class _TrialDecisionApi(APIView):
    def _trial(self, request, trial_id: int):
        trial = trial_selectors.trial_get(user=request.user, trial_id=trial_id)
        if trial is None:
            raise Http404("No such trial.")
        return trial

    def _respond(self, call):
        try:
            trial = call()
        except services.ApprovalDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        except services.ApprovalConflict as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(TrialSerializer(trial).data)


class TrialApproveApi(_TrialDecisionApi):
    def post(self, request, trial_id: int):
        trial = self._trial(request, trial_id)
        return self._respond(lambda: services.trial_approve(trial=trial, user=request.user))


class TrialRejectApi(_TrialDecisionApi):
    def post(self, request, trial_id: int):
        trial = self._trial(request, trial_id)
        reason = request.data.get("reason", "") if isinstance(request.data, dict) else ""
        reason = reason if isinstance(reason, str) else ""
        return self._respond(lambda: services.trial_reject(trial=trial, user=request.user, reason=reason[:500]))
