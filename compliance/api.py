"""REST shell around the audit trail (read-only: no write verb exists)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.views import APIView

from accounts.api import page_of

from . import selectors
from .exports import DECISION_HEADER, decision_csv_response
from .models import Decision
from .serializers import DecisionSerializer


class DecisionFilterSerializer(serializers.Serializer):
    trial = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    outcome = serializers.ChoiceField(choices=Decision.Outcome.choices, required=False, allow_blank=True)
    stage = serializers.ChoiceField(choices=Decision.Stage.choices, required=False, allow_blank=True)
    team = serializers.CharField(required=False, allow_blank=True, max_length=100)


class PageSerializer(serializers.Serializer):
    limit = serializers.IntegerField(required=False, min_value=1)
    offset = serializers.IntegerField(required=False, min_value=0)


DecisionPageSerializer = page_of(DecisionSerializer, "DecisionPageSerializer")


def _filters(request) -> dict:
    """The audit trail's filters, checked before any query runs (so before an export's stream starts)."""
    filters = DecisionFilterSerializer(data=request.query_params)
    filters.is_valid(raise_exception=True)
    return filters.validated_data


class DecisionListApi(APIView):
    class Pagination(LimitOffsetPagination):
        default_limit = 100
        max_limit = 1000

    @extend_schema(parameters=[DecisionFilterSerializer, PageSerializer], responses=DecisionPageSerializer)
    def get(self, request):
        decisions = selectors.decision_list(user=request.user, filters=_filters(request))
        paginator = self.Pagination()
        page = paginator.paginate_queryset(decisions, request, view=self)
        return paginator.get_paginated_response(DecisionSerializer(page, many=True).data)


class DecisionExportApi(APIView):
    @extend_schema(
        parameters=[DecisionFilterSerializer],
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV, streamed")},
    )
    def get(self, request):
        decisions = selectors.decision_list(user=request.user, filters=_filters(request))
        return decision_csv_response(decisions, header=DECISION_HEADER)
