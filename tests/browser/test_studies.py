"""A study as a person follows it: the worker runs its evaluations while the page draws the optimisation history
with the best so far, Optuna's parameter importances and parallel coordinates; once finished, no Cancel."""

import pytest

from trials.models import Study

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def test_study_page_draws_history_importances_and_parallel_coordinates(open_browser, site):
    browser = open_browser("alice")
    page = browser.page
    browser.go(f"/studies/{site.trials['study']}/")
    browser.wait_until("document.getElementById('progress').textContent === '3/3'", timeout=150)
    assert page.inner_text("#status") == "succeeded"
    assert page.locator("#cancel").count() == 0  # a finished study offers no Cancel
    assert int(page.get_attribute("#chart-history", "data-drawn") or 0) == 3
    page.wait_for_selector("#chart-importances[data-drawn] canvas")
    assert page.locator("#chart-parallel svg polyline").count() == 3
    assert page.locator("#trials tbody tr").count() == 3
    best = Study.objects.get(pk=site.trials["study"]).best_value
    assert page.inner_text("#best-value") == f"{best:.2f}"
    pbo = page.inner_text("#pbo")  # three evaluations: too few for the probability of backtest overfitting
    assert "Probability of backtest overfitting" in pbo and "computed once 8 evaluations have finished" in pbo
    assert "in-sample best" in page.inner_text("#pbo-definition")
    browser.shot("study")
    browser.go("/studies/")
    assert "3/3" in page.inner_text("#studies")
    browser.shot("studies")


def test_viewers_see_no_launch_or_cancel_buttons(open_browser, site):
    victor = open_browser("victor")
    victor.go("/studies/")
    assert victor.page.locator("#study-form").count() == 0
    victor.go("/trials/new/")
    assert victor.page.locator("#trial-form button[type=submit]").count() == 0
    victor.go(f"/trials/{site.trials['waiting']}/")
    assert victor.page.locator("#cancel").count() == 0 and victor.page.locator("#run-again").count() == 0
