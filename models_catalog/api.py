"""REST shell around the catalog selectors."""

from django.http import Http404
from rest_framework.response import Response
from rest_framework.views import APIView

from .selectors import definition_get_enabled, definition_list, family_counts


class ModelListApi(APIView):
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
    def get(self, request, key: str):
        definition = definition_get_enabled(key=key)
        if definition is None:
            raise Http404("No such model in the catalog.")
        return Response(definition.as_dict())
