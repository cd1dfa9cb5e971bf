"""REST shell around the catalog selectors."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .selectors import definition_get_enabled, definition_list, family_counts


class ParamOutputSerializer(serializers.Serializer):
    name = serializers.CharField()
    type = serializers.CharField()
    default = serializers.JSONField(allow_null=True)
    min = serializers.JSONField(allow_null=True)
    max = serializers.JSONField(allow_null=True)
    choices = serializers.ListField(child=serializers.JSONField())
    log = serializers.BooleanField()
    help = serializers.CharField(allow_blank=True)


class ModelOutputSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    family = serializers.CharField()
    library = serializers.CharField()
    targets = serializers.ListField(child=serializers.CharField())
    description = serializers.CharField(allow_blank=True)
    params = ParamOutputSerializer(many=True)


class ModelListApi(APIView):
    class FilterSerializer(serializers.Serializer):
        search = serializers.CharField(required=False, allow_blank=True)
        family = serializers.CharField(required=False, allow_blank=True)
        target = serializers.CharField(required=False, allow_blank=True)
        library = serializers.CharField(required=False, allow_blank=True)

    class OutputSerializer(serializers.Serializer):
        count = serializers.IntegerField()
        families = serializers.DictField(child=serializers.IntegerField())
        results = ModelOutputSerializer(many=True)

    @extend_schema(operation_id="models_list", parameters=[FilterSerializer], responses=OutputSerializer)
    def get(self, request):
        query = request.query_params
        definitions = definition_list(
            search=query.get("search", ""),
            family=query.get("family", ""),
            target=query.get("target", ""),
            library=query.get("library", ""),
        )
        return Response(
            {
                "count": len(definitions),
                "families": family_counts(definitions),
                "results": [definition.as_dict() for definition in definitions],
            }
        )


class ModelDetailApi(APIView):
    @extend_schema(responses=ModelOutputSerializer)
    def get(self, request, key: str):
        definition = definition_get_enabled(key=key)
        if definition is None:
            raise Http404("No such model in the catalog.")
        return Response(definition.as_dict())
