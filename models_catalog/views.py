"""The catalog page: every model grouped by family (one model's page, with its trials, is trials/catalog_views.py)."""

from itertools import groupby

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .selectors import definition_list, family_counts


@login_required
def catalog(request):
    query = {key: request.GET.get(key, "") for key in ("search", "family", "target", "library")}
    definitions = sorted(definition_list(**query), key=lambda definition: (definition.family, definition.key))
    all_definitions = definition_list()
    return render(
        request,
        "models_catalog/catalog.html",
        {
            "groups": [
                (family, list(items))
                for family, items in groupby(definitions, key=lambda definition: definition.family)
            ],
            "count": len(definitions),
            "query": query,
            "families": family_counts(all_definitions),
            "libraries": sorted({definition.library for definition in all_definitions}),
        },
    )
