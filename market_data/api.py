"""REST shell around the dataset selectors and services: datasets, uploads, fetch jobs, watch-list, keys, search.

Every route scopes by the user's teams: another team's dataset, job, watch item or keys answers 404, a viewer's
write 403. Provider keys are write-only: no response ever carries one (only a masked hint)."""

from django.conf import settings
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import team_for_request
from accounts.selectors import team_for_user_or_404
from security.parsers import SafeJSONParser

from . import providers, selectors, services
from .crypto import EncryptionKeyMissing, SecretDecryptError
from .errors import DataSourceAuthError, DataSourceError, DataSourceKeyMissing, FetchInvalid, UploadInvalid
from .models import Dataset, FetchJob, WatchItem

LATEST_ROWS_DEFAULT, LATEST_ROWS_MAX = 20, 500
VALUES_DEFAULT, VALUES_MAX = 500, 10000


class DatasetSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Dataset
        fields = [
            "id",
            "key",
            "name",
            "kind",
            "source",
            "team",
            "frequency",
            "publication_lag_days",
            "adjusted",
            "first_date",
            "last_date",
            "rows",
            "sha256",
            "provenance",
            "created_by",
            "updated_at",
            "last_refresh_at",
            "last_refresh_status",
        ]
        read_only_fields = fields


class FetchJobSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    user = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = FetchJob
        fields = [
            "id",
            "team",
            "user",
            "source",
            "symbol",
            "start",
            "end",
            "multiplier",
            "timespan",
            "adjusted",
            "status",
            "progress",
            "error",
            "dataset",
            "rows_added",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class WatchItemSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = WatchItem
        fields = [
            "id",
            "team",
            "source",
            "symbol",
            "multiplier",
            "timespan",
            "adjusted",
            "start",
            "last_refresh_at",
            "last_status",
            "last_error",
        ]
        read_only_fields = fields


class SeriesRequestSerializer(serializers.Serializer):
    """What a fetch or a watch-list entry asks for; `series_id` is accepted for FRED in place of `symbol`."""

    source = serializers.CharField(max_length=10)
    symbol = serializers.CharField(max_length=64, required=False, allow_blank=True)
    series_id = serializers.CharField(max_length=64, required=False, allow_blank=True)
    start = serializers.DateField()
    end = serializers.DateField(required=False)
    multiplier = serializers.IntegerField(required=False, default=1)
    timespan = serializers.CharField(max_length=10, required=False, default="day")
    adjusted = serializers.BooleanField(required=False, default=True)

    def validate_source(self, value):
        # Checked against the registry at request time: every registered provider is a choice.
        if providers.get(value) is None:
            raise ValidationError(f"must be {providers.sources_text()}, got {value!r}")
        return value

    def validate(self, attrs):
        attrs["symbol"] = attrs.pop("symbol", "") or attrs.pop("series_id", "")
        attrs.pop("series_id", None)
        if not attrs["symbol"]:
            raise ValidationError({"symbol": "is required: a Polygon ticker or a FRED series id"})
        return attrs


class KeyStatusSerializer(serializers.Serializer):
    source = serializers.CharField()
    configured = serializers.BooleanField()
    hint = serializers.CharField(allow_blank=True)


def _int_param(request, name: str, default: int, maximum: int) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError({name: f"must be a whole number, got {raw!r}"}) from None
    if not 1 <= value <= maximum:
        raise ValidationError({name: f"must be between 1 and {maximum}"})
    return value


def _dataset_or_404(request, dataset_id: int) -> Dataset:
    dataset = selectors.dataset_get_for_user(user=request.user, dataset_id=dataset_id)
    if dataset is None:
        raise Http404("No such dataset.")
    return dataset


def _source_or_404(source: str) -> None:
    if providers.get(source) is None:
        raise Http404("No such data source.")


def _provider_problem(exc: Exception) -> Response:
    """A provider or key problem as a response whose message is safe to show (never holds a key)."""
    if isinstance(exc, DataSourceKeyMissing | DataSourceAuthError | EncryptionKeyMissing | SecretDecryptError):
        code = status.HTTP_400_BAD_REQUEST
    else:
        code = status.HTTP_502_BAD_GATEWAY
    message = exc.message if isinstance(exc, DataSourceError) else str(exc)
    return Response({"detail": message}, status=code)


class DatasetListApi(APIView):
    class FilterSerializer(serializers.Serializer):
        kind = serializers.CharField(required=False, allow_blank=True)
        source = serializers.CharField(required=False, allow_blank=True)

    @extend_schema(parameters=[FilterSerializer], responses=DatasetSerializer(many=True))
    def get(self, request):
        datasets = selectors.dataset_list(
            user=request.user, kind=request.query_params.get("kind"), source=request.query_params.get("source")
        )
        return Response(DatasetSerializer(datasets, many=True).data)


class DatasetDetailApi(APIView):
    class FilterSerializer(serializers.Serializer):
        rows = serializers.IntegerField(required=False, min_value=1, max_value=LATEST_ROWS_MAX)

    class OutputSerializer(DatasetSerializer):
        latest_rows = serializers.ListField(child=serializers.DictField(), help_text="newest first")

        class Meta(DatasetSerializer.Meta):
            fields = [*DatasetSerializer.Meta.fields, "latest_rows"]

    @extend_schema(parameters=[FilterSerializer], responses=OutputSerializer)
    def get(self, request, dataset_id: int):
        dataset = _dataset_or_404(request, dataset_id)
        limit = _int_param(request, "rows", LATEST_ROWS_DEFAULT, LATEST_ROWS_MAX)
        return Response(
            {
                **DatasetSerializer(dataset).data,
                "latest_rows": selectors.dataset_latest_rows(dataset=dataset, limit=limit),
            }
        )

    class PatchInputSerializer(serializers.Serializer):
        publication_lag_days = serializers.IntegerField(allow_null=True, min_value=0)

    @extend_schema(request=PatchInputSerializer, responses=DatasetSerializer)
    def patch(self, request, dataset_id: int):
        """{"publication_lag_days": N or null}: when a team's own series' observations are known to trials."""
        dataset = _dataset_or_404(request, dataset_id)
        if not isinstance(request.data, dict) or set(request.data) != {"publication_lag_days"}:
            raise ValidationError({"non_field_errors": 'send exactly {"publication_lag_days": <days or null>}'})
        try:
            dataset = services.dataset_publication_lag_set(
                dataset=dataset, user=request.user, days=request.data["publication_lag_days"]
            )
        except FetchInvalid as exc:
            raise ValidationError(exc.errors) from exc
        return Response(DatasetSerializer(dataset).data)


class DatasetValuesApi(APIView):
    class FilterSerializer(serializers.Serializer):
        limit = serializers.IntegerField(required=False, min_value=1, max_value=VALUES_MAX)

    class OutputSerializer(serializers.Serializer):
        dataset = serializers.IntegerField()
        field = serializers.ChoiceField(choices=["close", "value"])
        points = serializers.ListField(child=serializers.ListField(), help_text="[timestamp, value] pairs")

    @extend_schema(parameters=[FilterSerializer], responses=OutputSerializer)
    def get(self, request, dataset_id: int):
        dataset = _dataset_or_404(request, dataset_id)
        limit = _int_param(request, "limit", VALUES_DEFAULT, VALUES_MAX)
        points = selectors.dataset_values(dataset=dataset, limit=limit)
        return Response(
            {
                "dataset": dataset.pk,
                "field": "close" if dataset.kind == Dataset.Kind.BARS else "value",
                "points": [[ts.isoformat(), value] for ts, value in points],
            }
        )


class DatasetUploadApi(APIView):
    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField()
        key = serializers.CharField()
        kind = serializers.ChoiceField(choices=["bars", "series"])
        team = serializers.CharField(required=False)

    @extend_schema(request={"multipart/form-data": InputSerializer}, responses={201: DatasetSerializer})
    def post(self, request):
        team = team_for_request(request)
        upload = request.FILES.get("file")
        if upload is None:
            return Response({"errors": ["file: attach the CSV as the multipart field 'file'."]}, status=400)
        # Read one byte past the limit: enough to say the file is too large without holding all of it.
        content = upload.read(settings.UPLOAD_MAX_BYTES + 1)
        try:
            dataset = services.dataset_upload(
                team=team,
                user=request.user,
                key=request.data.get("key", ""),
                kind=request.data.get("kind", ""),
                filename=upload.name,
                content=content,
            )
        except UploadInvalid as exc:
            return Response({"errors": exc.errors}, status=status.HTTP_400_BAD_REQUEST)
        return Response(DatasetSerializer(dataset).data, status=status.HTTP_201_CREATED)


class FetchJobCreateApi(APIView):
    @extend_schema(request=SeriesRequestSerializer, responses={201: FetchJobSerializer})
    def post(self, request):
        team = team_for_request(request)
        wanted = SeriesRequestSerializer(data=request.data)
        wanted.is_valid(raise_exception=True)
        try:
            job = services.fetch_job_create(team=team, user=request.user, **wanted.validated_data)
        except FetchInvalid as exc:
            raise ValidationError(exc.errors) from exc
        except (DataSourceError, EncryptionKeyMissing, SecretDecryptError) as exc:
            return _provider_problem(exc)
        return Response(FetchJobSerializer(job).data, status=status.HTTP_201_CREATED)


class FetchJobDetailApi(APIView):
    @extend_schema(responses=FetchJobSerializer)
    def get(self, request, job_id: int):
        job = selectors.fetch_job_get(user=request.user, job_id=job_id)
        if job is None:
            raise Http404("No such fetch job.")
        return Response(FetchJobSerializer(job).data)


class WatchListApi(APIView):
    class FilterSerializer(serializers.Serializer):
        team = serializers.CharField(required=False)

    @extend_schema(parameters=[FilterSerializer], responses=WatchItemSerializer(many=True))
    def get(self, request):
        team = team_for_request(request)
        return Response(WatchItemSerializer(selectors.watch_item_list(team=team), many=True).data)

    @extend_schema(request=SeriesRequestSerializer, responses={201: WatchItemSerializer})
    def post(self, request):
        team = team_for_request(request)
        wanted = SeriesRequestSerializer(data=request.data)
        wanted.is_valid(raise_exception=True)
        fields = dict(wanted.validated_data)
        fields.pop("end", None)
        try:
            item = services.watch_item_add(team=team, user=request.user, **fields)
        except FetchInvalid as exc:
            raise ValidationError(exc.errors) from exc
        return Response(WatchItemSerializer(item).data, status=status.HTTP_201_CREATED)


class WatchItemApi(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request, item_id: int):
        item = selectors.watch_item_get(user=request.user, item_id=item_id)
        if item is None:
            raise Http404("No such watch-list item.")
        services.watch_item_remove(item=item, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TeamApiKeyListApi(APIView):
    @extend_schema(responses=KeyStatusSerializer(many=True))
    def get(self, request, slug: str):
        team = team_for_user_or_404(user=request.user, slug=slug)
        return Response(selectors.team_api_key_status(team=team))


class TeamApiKeyApi(APIView):
    """PUT {"api_key": "..."} stores a key; the answer, like every other, shows only whether one is set."""

    parser_classes = [SafeJSONParser, FormParser, MultiPartParser]

    def _status(self, team, source: str) -> dict:
        [status_of_source] = selectors.team_api_key_status(team=team, source=source)
        return status_of_source

    class InputSerializer(serializers.Serializer):
        api_key = serializers.CharField(write_only=True)

    @extend_schema(request=InputSerializer, responses=KeyStatusSerializer)
    def put(self, request, slug: str, source: str):
        team = team_for_user_or_404(user=request.user, slug=slug)
        _source_or_404(source)
        api_key = request.data.get("api_key") if isinstance(request.data, dict) else None
        if not isinstance(api_key, str):
            raise ValidationError({"api_key": "is required"})
        try:
            services.team_api_key_set(team=team, user=request.user, source=source, api_key=api_key)
        except FetchInvalid as exc:
            raise ValidationError(exc.errors) from exc
        except EncryptionKeyMissing as exc:
            return Response({"detail": f"keys cannot be stored: {exc}"}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        return Response(self._status(team, source))

    @extend_schema(responses=KeyStatusSerializer)
    def delete(self, request, slug: str, source: str):
        team = team_for_user_or_404(user=request.user, slug=slug)
        _source_or_404(source)
        services.team_api_key_delete(team=team, user=request.user, source=source)
        return Response(self._status(team, source))


class DataSearchApi(APIView):
    class FilterSerializer(serializers.Serializer):
        source = serializers.CharField()
        q = serializers.CharField(required=False, allow_blank=True)
        limit = serializers.IntegerField(required=False, min_value=1, max_value=100)
        team = serializers.CharField(required=False)

    class OutputSerializer(serializers.Serializer):
        source = serializers.CharField()
        results = serializers.ListField(child=serializers.DictField())

    @extend_schema(parameters=[FilterSerializer], responses=OutputSerializer)
    def get(self, request):
        team = team_for_request(request)
        source = request.query_params.get("source", "")
        if providers.get(source) is None:
            raise ValidationError({"source": f"must be {providers.sources_text()}"})
        limit = _int_param(request, "limit", 20, 100)
        try:
            results = services.provider_search(
                team=team, source=source, query=request.query_params.get("q", ""), limit=limit
            )
        except FetchInvalid as exc:
            raise ValidationError(exc.errors) from exc
        except (DataSourceError, EncryptionKeyMissing, SecretDecryptError) as exc:
            return _provider_problem(exc)
        return Response({"source": source, "results": results})
