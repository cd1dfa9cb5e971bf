"""REST shell around the dataset selectors and services."""

from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import Dataset
from .selectors import dataset_list


class DatasetSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True)

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
            "adjusted",
            "first_date",
            "last_date",
            "rows",
            "sha256",
            "provenance",
            "updated_at",
        ]
        read_only_fields = fields


class DatasetListApi(APIView):
    def get(self, request):
        datasets = dataset_list(user=request.user)
        for field in ("kind", "source"):
            if request.query_params.get(field):
                datasets = datasets.filter(**{field: request.query_params[field]})
        return Response(DatasetSerializer(datasets, many=True).data)
