"""Catalog pages: every model grouped by family, and one model with its parameters and the team's trials."""

from itertools import groupby

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from trials.selectors import trial_list

from .selectors import family_counts, spec_get_enabled, spec_list


@login_required
def catalog(request):
    query = {key: request.GET.get(key, "") for key in ("search", "family", "task", "library")}
    specs = sorted(spec_list(**query), key=lambda spec: (spec.family, spec.key))
    all_specs = spec_list()
    return render(
        request,
        "models_catalog/catalog.html",
        {
            "groups": [(family, list(items)) for family, items in groupby(specs, key=lambda spec: spec.family)],
            "count": len(specs),
            "query": query,
            "families": family_counts(all_specs),
            "libraries": sorted({spec.library for spec in all_specs}),
        },
    )


@login_required
def model_detail(request, key: str):
    spec = spec_get_enabled(key=key)
    if spec is None:
        raise Http404("No such model in the catalog.")
    trials = trial_list(user=request.user, filters={"model": key})[:20]
    return render(request, "models_catalog/detail.html", {"spec": spec, "trials": trials})
