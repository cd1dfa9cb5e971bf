"""REST shell around the catalog selectors."""

from django.http import Http404
from rest_framework.response import Response
from rest_framework.views import APIView

from .selectors import family_counts, spec_get_enabled, spec_list


class ModelListApi(APIView):
    def get(self, request):
        query = request.query_params
        specs = spec_list(
            search=query.get("search", ""),
            family=query.get("family", ""),
            task=query.get("task", ""),
            library=query.get("library", ""),
        )
        return Response(
            {"count": len(specs), "families": family_counts(specs), "results": [spec.as_dict() for spec in specs]}
        )


class ModelDetailApi(APIView):
    def get(self, request, key: str):
        spec = spec_get_enabled(key=key)
        if spec is None:
            raise Http404("No such model in the catalog.")
        return Response(spec.as_dict())
