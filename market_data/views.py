"""Data pages: the datasets a team can train on."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .selectors import dataset_list


@login_required
def datasets(request):
    return render(request, "market_data/datasets.html", {"datasets": dataset_list(user=request.user)})
