"""The catalog's page of one model, with the user's latest trials of it: a trials page, since trials builds on
the catalog and the catalog never imports trials."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from models_catalog.selectors import definition_get_enabled

from .selectors import trial_list


@login_required
def model_detail(request, key: str):
    definition = definition_get_enabled(key=key)
    if definition is None:
        raise Http404("No such model in the catalog.")
    trials = trial_list(user=request.user, filters={"model": key})[:20]
    return render(request, "models_catalog/detail.html", {"definition": definition, "trials": trials})
