"""Catalog pages: every model grouped by family, and one model with its parameters and the team's trials."""

from itertools import groupby

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from trials.selectors import trial_list

from .selectors import definition_get_enabled, definition_list, family_counts


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


@login_required
def model_detail(request, key: str):
    definition = definition_get_enabled(key=key)
    if definition is None:
        raise Http404("No such model in the catalog.")
    trials = trial_list(user=request.user, filters={"model": key})[:20]
    return render(request, "models_catalog/detail.html", {"definition": definition, "trials": trials})
