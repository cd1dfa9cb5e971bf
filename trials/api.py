"""REST shell around the trial services and selectors."""

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from accounts.api import membership_for_request
from compliance.services import ApprovalDenied, ComplianceRejected
from models_catalog.definition import TARGETS
from security.limits import submission_check
from security.openapi import CONFLICT, RATE_LIMITED

from . import selectors, services
from .compare import CompareInvalid, compare_csv_rows, compare_ids, compare_sections
from .exports import TRIAL_COLUMNS, csv_lines_response, csv_response, predictions_csv_response, trial_lines
from .models import Trial
from .serializers import (
    TrialCompareSerializer,
    TrialListSerializer,
    TrialSerializer,
    TrialSpecSerializer,
    trial_dict,
    trial_json,
    trial_list_json,
)


class TrialFilterSerializer(serializers.Serializer):
    """The trial list's filters, the same as the trial table page's (trials.forms.TrialFilterForm)."""

    q = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text="part of the name")
    status = serializers.ChoiceField(choices=Trial.Status.choices, required=False, allow_blank=True)
    model = serializers.CharField(
        required=False, allow_blank=True, max_length=100, help_text="a catalog key, or part of a model's name"
    )
    family = serializers.CharField(required=False, allow_blank=True, max_length=50)
    symbol = serializers.CharField(required=False, allow_blank=True, max_length=40)
    target = serializers.ChoiceField(choices=TARGETS, required=False, allow_blank=True)
    study = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    created_by = serializers.CharField(required=False, allow_blank=True, max_length=150, help_text="a username")
    since = serializers.DateField(required=False, help_text="created on or after")
    until = serializers.DateField(required=False, help_text="created on or before")
    team = serializers.CharField(required=False, allow_blank=True, max_length=100)
    metric = serializers.RegexField(selectors.METRIC_NAME, required=False, allow_blank=True)
    metric_min = serializers.FloatField(required=False)
    metric_max = serializers.FloatField(required=False)

    def validate(self, attrs):
        if (attrs.get("metric_min") is not None or attrs.get("metric_max") is not None) and not attrs.get("metric"):
            raise ValidationError({"metric": "name the metric that metric_min and metric_max bound, e.g. sharpe"})
        return attrs


class TrialPageSerializer(serializers.Serializer):
    sort = serializers.CharField(required=False, default="-created_at", max_length=50)
    cursor = serializers.CharField(required=False, allow_blank=True, max_length=500)
    limit = serializers.IntegerField(required=False, default=50, min_value=1, max_value=1000)


class TrialListOutputSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = TrialListSerializer(many=True)


CSV = OpenApiResponse(OpenApiTypes.STR, description="CSV, streamed")


def _filters(request) -> dict:
    """The list's filters, checked before any query runs (an export's stream must not start on bad input)."""
    filters = TrialFilterSerializer(data=request.query_params)
    filters.is_valid(raise_exception=True)
    return {name: value for name, value in filters.validated_data.items() if value not in ("", None)}


def get_trial_or_404(request, trial_id: int):
    trial = selectors.trial_get(user=request.user, trial_id=trial_id)
    if trial is None:
        raise Http404("No such trial.")
    return trial


class TrialListCreateApi(APIView):
    @extend_schema(
        operation_id="trials_list",
        parameters=[TrialFilterSerializer, TrialPageSerializer],
        responses=TrialListOutputSerializer,
    )
    def get(self, request):
        """One page (`limit`, at most 1,000) by keyset: follow `next` and `previous`; `sort` is -created_at (the
        default), created_at, or a metric name such as -sharpe. Lists leave out `folds` and `data_used`."""
        filters = _filters(request)
        paging = TrialPageSerializer(data=request.query_params)
        paging.is_valid(raise_exception=True)
        try:
            page = selectors.trial_page(user=request.user, filters=filters, rows=True, **paging.validated_data)
        except selectors.BadListRequest as exc:
            raise ValidationError({exc.field: str(exc)}) from exc
        url = remove_query_param(request.build_absolute_uri(), "cursor")

        def link(cursor):
            return replace_query_param(url, "cursor", cursor) if cursor else None

        body = trial_list_json(page.trials, next_url=link(page.next_cursor), previous_url=link(page.previous_cursor))
        return HttpResponse(body, content_type="application/json")

    @extend_schema(request=TrialSpecSerializer, responses={201: TrialSerializer, 429: RATE_LIMITED})
    def post(self, request):
        if not isinstance(request.data, dict):
            raise ValidationError({"non_field_errors": "send a JSON object"})
        membership = membership_for_request(request)
        submission_check(user=request.user)
        try:
            trial = services.trial_create(
                team=membership.team, user=request.user, payload=request.data, membership=membership
            )
        except services.TrialSpecInvalid as exc:
            raise ValidationError(exc.errors) from exc
        except ComplianceRejected as exc:
            return Response({"compliance": exc.as_list()}, status=status.HTTP_400_BAD_REQUEST)
        return Response(trial_dict(trial), status=status.HTTP_201_CREATED)


class TrialDetailApi(APIView):
    @extend_schema(responses=TrialSerializer)
    def get(self, request, trial_id: int):
        row = selectors.trial_get_row(user=request.user, trial_id=trial_id)
        if row is None:
            raise Http404("No such trial.")
        return HttpResponse(trial_json(row), content_type="application/json")


class TrialCancelApi(APIView):
    @extend_schema(request=None, responses=TrialSerializer)
    def post(self, request, trial_id: int):
        trial = get_trial_or_404(request, trial_id)
        trial = services.trial_cancel(trial=trial, user=request.user)
        return Response(trial_dict(trial))


class TrialExportApi(APIView):
    @extend_schema(parameters=[TrialFilterSerializer], responses={(200, "text/csv"): CSV})
    def get(self, request):
        trials = selectors.trial_list(user=request.user, filters=_filters(request))
        return csv_lines_response("trials.csv", TRIAL_COLUMNS, trial_lines(selectors.trial_export_rows(trials)))


class TrialPredictionsExportApi(APIView):
    @extend_schema(responses={(200, "text/csv"): CSV})
    def get(self, request, trial_id: int):
        trial = get_trial_or_404(request, trial_id)
        return predictions_csv_response(trial.pk, selectors.prediction_frame(trial=trial))


class _TrialDecisionApi(APIView):
    def _respond(self, call):
        try:
            trial = call()
        except ApprovalDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        except services.ApprovalConflict as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(trial_dict(trial))


class TrialApproveApi(_TrialDecisionApi):
    @extend_schema(request=None, responses={200: TrialSerializer, 409: CONFLICT})
    def post(self, request, trial_id: int):
        trial = get_trial_or_404(request, trial_id)
        return self._respond(lambda: services.trial_approve(trial=trial, user=request.user))


class TrialRejectApi(_TrialDecisionApi):
    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(required=False, allow_blank=True, max_length=500)

    @extend_schema(request=InputSerializer, responses={200: TrialSerializer, 409: CONFLICT})
    def post(self, request, trial_id: int):
        trial = get_trial_or_404(request, trial_id)
        reason = request.data.get("reason", "") if isinstance(request.data, dict) else ""
        reason = reason if isinstance(reason, str) else ""
        return self._respond(lambda: services.trial_reject(trial=trial, user=request.user, reason=reason))


COMPARE_IDS = OpenApiParameter(
    "ids", int, many=True, required=True, description="2 to 10 trial ids, repeated or separated by commas"
)


def compare_trials_or_404(request) -> list:
    """The trials `?ids=` names (2 to 10), all of the user's teams; 400 naming the problem, 404 if any is not."""
    try:
        ids = compare_ids(request.GET.getlist("ids"))
    except CompareInvalid as exc:
        raise ValidationError({"ids": str(exc)}) from exc
    trials = selectors.trial_list_by_ids(user=request.user, ids=ids)
    if trials is None:
        raise Http404("No such trial.")
    return trials


class TrialCompareApi(APIView):
    serializer_class = TrialCompareSerializer

    @extend_schema(parameters=[COMPARE_IDS], responses=TrialCompareSerializer)
    def get(self, request):
        trials = compare_trials_or_404(request)
        data = TrialSerializer(trials, many=True).data
        sections = [
            {"name": name, "rows": [{"key": r.key, "label": r.label, "differs": r.differs, "values": r.values}
                                    for r in rows]}
            for name, rows in compare_sections(data)
        ]  # fmt: skip
        return Response(
            TrialCompareSerializer({"ids": [t.pk for t in trials], "trials": trials, "sections": sections}).data
        )


class TrialCompareExportApi(APIView):
    @extend_schema(parameters=[COMPARE_IDS], responses={(200, "text/csv"): CSV})
    def get(self, request):
        trials = compare_trials_or_404(request)
        header, rows = compare_csv_rows(TrialSerializer(trials, many=True).data)
        return csv_response("compare-" + "-".join(str(t.pk) for t in trials) + ".csv", header, rows)
