"""REST shell around the registry's services and selectors: /api/registry/..."""

import math

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import DetailSerializer, team_for_request
from compliance.services import ApprovalDenied
from trials.exports import csv_response
from trials.selectors import trial_get

from . import selectors, services
from .artifacts import ArtifactTampered
from .pipeline import DataUnavailable
from .serializers import (
    SIGNAL_COLUMNS,
    PredictionSerializer,
    RegisteredModelSerializer,
    SignalSerializer,
    VersionDetailSerializer,
    VersionSerializer,
)

TEAM = OpenApiParameter("team", str, required=False, description="team slug, when you are in several teams")
CSV = OpenApiResponse(OpenApiTypes.STR, description="CSV")
CONFLICT = {409: DetailSerializer}


def _version_or_404(request, name: str, number: int | None):
    version = selectors.version_get(
        user=request.user, name=name, number=number, team_slug=request.query_params.get("team")
    )
    if version is None:
        raise Http404("No such model version." if number is not None else "No version of it is in production.")
    return version


def _refused(call):
    """Service errors as HTTP: 400 for a bad request, 403 for the wrong person, 409 for the wrong state."""
    try:
        return call()
    except ApprovalDenied as exc:
        raise PermissionDenied(str(exc)) from exc
    except services.RegistryConflict as exc:
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    except (ArtifactTampered, DataUnavailable) as exc:
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    except services.RegistryError as exc:
        raise ValidationError({"detail": str(exc)}) from exc


class RegistryListApi(APIView):
    class InputSerializer(serializers.Serializer):
        trial = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="a succeeded trial of the team")
        name = serializers.CharField(max_length=100, help_text="e.g. spx-momentum-lgbm: new or existing")
        team = serializers.CharField(required=False, allow_blank=True, max_length=100)

    @extend_schema(parameters=[TEAM], responses=RegisteredModelSerializer(many=True))
    def get(self, request):
        models = selectors.registered_model_list(user=request.user, team_slug=request.query_params.get("team"))
        return Response(RegisteredModelSerializer(models, many=True).data)

    @extend_schema(request=InputSerializer, responses={202: VersionSerializer})
    def post(self, request):
        """Register a succeeded trial as the next version of `name`; the refit runs in the worker (follow its
        `status` and `progress` on the version)."""
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        team = team_for_request(request)
        trial = trial_get(user=request.user, trial_id=data.validated_data["trial"])
        if trial is None or trial.team_id != team.pk:
            raise ValidationError({"trial": f"no trial {data.validated_data['trial']} in {team.name}"})

        def register():
            version = services.version_register(
                team=team, user=request.user, trial=trial, name=data.validated_data["name"]
            )
            return Response(VersionSerializer(version).data, status=status.HTTP_202_ACCEPTED)

        return _refused(register)


class RegisteredModelApi(APIView):
    @extend_schema(parameters=[TEAM], responses=RegisteredModelSerializer)
    def get(self, request, name: str):
        model = selectors.registered_model_get(user=request.user, name=name, team_slug=request.query_params.get("team"))
        if model is None:
            raise Http404("No such registered model.")
        return Response(RegisteredModelSerializer(model).data)


class VersionApi(APIView):
    @extend_schema(parameters=[TEAM], responses=VersionDetailSerializer)
    def get(self, request, name: str, number: int):
        return Response(VersionDetailSerializer(_version_or_404(request, name, number)).data)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=services.REASON_MAX, default="")


class _StageApi(APIView):
    def _run(self, request, name: str, number: int, call):
        version = _version_or_404(request, name, number)
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reason = data.validated_data["reason"]
        return _refused(lambda: Response(VersionDetailSerializer(call(version, reason)).data))


class VersionPromoteApi(_StageApi):
    @extend_schema(request=ReasonSerializer, parameters=[TEAM], responses={200: VersionDetailSerializer, **CONFLICT})
    def post(self, request, name: str, number: int):
        """Promote to production: at once, or waiting for a second owner when a four-eyes promotion rule applies
        (`promotion_requested_at` is then set). The decision is in the audit trail."""
        return self._run(
            request, name, number, lambda v, why: services.version_promote(version=v, user=request.user, reason=why)
        )


class VersionApproveApi(_StageApi):
    @extend_schema(request=ReasonSerializer, parameters=[TEAM], responses={200: VersionDetailSerializer, **CONFLICT})
    def post(self, request, name: str, number: int):
        """An owner other than the registrant approves a waiting promotion."""
        return self._run(
            request,
            name,
            number,
            lambda v, why: services.version_promotion_decide(version=v, user=request.user, approved=True, reason=why),
        )


class VersionRejectApi(_StageApi):
    @extend_schema(request=ReasonSerializer, parameters=[TEAM], responses={200: VersionDetailSerializer, **CONFLICT})
    def post(self, request, name: str, number: int):
        """An owner other than the registrant rejects a waiting promotion."""
        return self._run(
            request,
            name,
            number,
            lambda v, why: services.version_promotion_decide(version=v, user=request.user, approved=False, reason=why),
        )


class VersionArchiveApi(_StageApi):
    @extend_schema(request=ReasonSerializer, parameters=[TEAM], responses={200: VersionDetailSerializer, **CONFLICT})
    def post(self, request, name: str, number: int):
        return self._run(
            request, name, number, lambda v, why: services.version_archive(version=v, user=request.user, reason=why)
        )


class PredictApi(APIView):
    class InputSerializer(serializers.Serializer):
        start = serializers.DateField(required=False)
        end = serializers.DateField(required=False)
        latest = serializers.BooleanField(required=False, default=False)

        def validate(self, attrs):
            if attrs["latest"] and (attrs.get("start") or attrs.get("end")):
                raise ValidationError({"latest": "ask for the latest bar or a date range, not both"})
            if not attrs["latest"] and not (attrs.get("start") or attrs.get("end")):
                raise ValidationError({"start": 'give a date range (start and/or end) or "latest": true'})
            if attrs.get("start") and attrs.get("end") and attrs["start"] > attrs["end"]:
                raise ValidationError({"end": "must not be before start"})
            return attrs

    class OutputSerializer(serializers.Serializer):
        name = serializers.CharField()
        version = serializers.IntegerField()
        stage = serializers.CharField()
        target = serializers.CharField()
        predictions = PredictionSerializer(many=True)

    @extend_schema(request=InputSerializer, parameters=[TEAM], responses={200: OutputSerializer, **CONFLICT})
    def post(self, request, name: str, number: int | None = None):
        """Per date in the range (or the latest bar): the prediction, P(up) for direction models and the
        position the trial's rule would take, from the team's current data with the trial's features."""
        version = _version_or_404(request, name, number)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        query = data.validated_data

        def predict():
            frame = services.version_predict(
                version=version, start=query.get("start"), end=query.get("end"), latest=query["latest"]
            )
            rows = [
                {
                    "date": stamp.tz_localize("UTC").to_pydatetime(),
                    "prediction": float(row.prediction),
                    "proba": None if math.isnan(row.proba) else float(row.proba),
                    "position": None if math.isnan(row.position) else float(row.position),
                }
                for stamp, row in frame.iterrows()
            ]
            out = {"name": name, "version": version.number, "stage": version.stage,
                   "target": version.spec["target"], "predictions": rows}  # fmt: skip
            return Response(self.OutputSerializer(out).data)

        return _refused(predict)


class SignalListApi(APIView):
    @extend_schema(parameters=[TEAM], responses=SignalSerializer(many=True))
    def get(self, request, name: str, number: int):
        """The version's live signals since promotion, oldest first."""
        version = _version_or_404(request, name, number)
        return Response(SignalSerializer(selectors.signal_list(version=version), many=True).data)


class SignalExportApi(APIView):
    @extend_schema(parameters=[TEAM], responses={(200, "text/csv"): CSV})
    def get(self, request, name: str, number: int):
        version = _version_or_404(request, name, number)
        rows = selectors.signal_list(version=version).values_list(*SIGNAL_COLUMNS)
        return csv_response(
            f"{name}-v{number}-signals.csv",
            SIGNAL_COLUMNS,
            ((day.isoformat(), *rest) for day, *rest in rows.iterator()),
        )
