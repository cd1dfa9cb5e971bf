"""The trial page: what it offers whom, a failed trial's error, and "Run again with changes" pre-filling the form."""

import re

import pytest
from django.test import Client

from trials.models import Trial

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_run_again_prefills_everything_the_trial_was_run_with(alice, team_a, make_trial):
    trial = make_trial(alice, team_a, name="momentum probe", seed=7, data={"macro": ["DCOILWTICO"], "horizon": 2},
                       validation={"folds": 4, "gap": 3})  # fmt: skip
    page = _client(alice).get(f"/trials/new/?from={trial.pk}").content.decode()
    assert '<option value="logistic_regression" selected>' in page
    assert 'value="momentum probe"' in page and 'name="seed" value="7"' in page
    assert 'name="start" value="2012-01-01"' in page and 'name="end" value="2016-12-31"' in page
    assert 'name="folds" value="4"' in page and 'name="gap" value="3"' in page and 'name="horizon" value="2"' in page
    assert '<option value="DCOILWTICO" selected>' in page
    assert re.search(r'<textarea name="params"[^>]*>\s*\{\s*&quot;C&quot;: 0.5', page)  # HTML-escaped JSON


def test_run_again_from_another_teams_trial_is_404(alice, charlie, team_a, make_trial):
    trial = make_trial(alice, team_a)
    assert _client(charlie).get(f"/trials/new/?from={trial.pk}").status_code == 404
    assert _client(alice).get("/trials/new/?from=abc").status_code == 404


def test_a_failed_trial_shows_its_error_and_no_predictions_file(alice, team_a, make_trial):
    trial = make_trial(alice, team_a)
    Trial.objects.filter(pk=trial.pk).update(status="failed", error="ValueError: 39 usable rows are too few")
    page = _client(alice).get(f"/trials/{trial.pk}/").content.decode()
    assert 'id="error-box" role="alert"' in page and "39 usable rows are too few" in page
    assert "predictions.csv" not in page


def test_viewers_see_no_cancel_and_no_run_again(alice, victor, team_a, make_trial):
    trial = make_trial(alice, team_a)
    owner = _client(alice).get(f"/trials/{trial.pk}/").content.decode()
    assert 'id="cancel"' in owner and 'id="run-again"' in owner
    viewer = _client(victor).get(f"/trials/{trial.pk}/").content.decode()
    assert 'id="cancel"' not in viewer and 'id="run-again"' not in viewer


def _section(page: str, group: str) -> str:
    found = re.search(rf'<div data-group="{group}">(.*?)</table>', page, re.S)
    assert found is not None, f"no {group} group on the page"
    return found.group(1)


def _finished(trial, **fields) -> Trial:
    """The trial as if it had run (no predictions, so no charts: the metric tables are what is tested here)."""
    from django.utils import timezone

    now = timezone.now()
    Trial.objects.filter(pk=trial.pk).update(status="succeeded", started_at=now, finished_at=now, progress=1, **fields)
    return Trial.objects.get(pk=trial.pk)


METRICS = {"sharpe": 0.69, "gross_sharpe": 0.91, "annual_return": 0.126, "gross_annual_return": 0.177,
           "alpha": 0.095, "beta": 0.41, "information_ratio": 0.15, "tracking_error": 0.219,
           "psr": 0.991, "dsr": 0.968, "trials_in_question": 5, "accuracy": 0.54}  # fmt: skip


def test_net_beside_gross_the_benchmark_and_the_overfitting_guards(alice, team_a, make_trial):
    from datetime import UTC, datetime

    from django.utils.html import escape

    from trials.figures import FIGURES

    trial = make_trial(alice, team_a, costs={"commission_bps": 5, "slippage_bps": 2}, data={"benchmark": "IXIC"})
    _finished(trial, metrics=METRICS, dsr_computed_at=datetime(2026, 3, 4, 5, 6, tzinfo=UTC))
    page = _client(alice).get(f"/trials/{trial.pk}/").content.decode()
    strategy = _section(page, "strategy")
    sharpe = re.search(r'<tr data-metric="sharpe">(.*?)</tr>', strategy, re.S).group(1)
    assert '<td class="num">0.69</td>' in sharpe and ">0.91</span>" in sharpe and "gross_sharpe" in sharpe
    assert '<tr data-metric="gross_sharpe">' not in strategy  # shown beside the net figure, not as its own row
    assert "net of 5 bps commission + 2 bps slippage per unit of position change" in strategy
    benchmark = _section(page, "benchmark")
    assert "Against IXIC" in benchmark and f'title="{escape(FIGURES["alpha"].definition)}"' in benchmark
    assert re.search(r'<tr data-metric="alpha">.*?9\.5 %', benchmark, re.S)
    guards = _section(page, "overfitting")
    for key, shown in (("psr", "99.1 %"), ("dsr", "96.8 %"), ("trials_in_question", "5")):
        row = re.search(rf'<tr data-metric="{key}">(.*?)</tr>', guards, re.S).group(1)
        assert f'<span class="metric-key">{key}</span>' in row and f">{shown}</td>" in row
        assert f'title="{escape(FIGURES[key].definition)}"' in row
    assert "Deflated Sharpe computed 2026-03-04 05:06 UTC over the question's 5 trials" in guards


def test_without_costs_there_is_no_gross_column(alice, team_a, make_trial):
    trial = _finished(make_trial(alice, team_a), metrics={"sharpe": 0.5, "psr": 0.7})
    page = _client(alice).get(f"/trials/{trial.pk}/").content.decode()
    assert "gross" not in _section(page, "strategy") and "no costs" in _section(page, "strategy")
    assert re.search(r'id="benchmark-text">buy-and-hold of SPX<', page)
    assert "the worker computes it once the trial has joined its research question" in _section(page, "overfitting")


def test_a_purged_scheme_is_labelled_not_a_tradable_backtest(alice, team_a, make_trial):
    from trials.walkforward import NOT_TRADABLE

    walk = _client(alice).get(f"/trials/{make_trial(alice, team_a).pk}/").content.decode()
    assert 'id="validation-note"' not in walk and "walk-forward, 3 folds, gap 1" in walk
    trial = make_trial(alice, team_a, validation={"scheme": "purged_kfold", "embargo": 2})
    page = _client(alice).get(f"/trials/{trial.pk}/").content.decode()
    note = re.search(r'<p class="notice" id="validation-note">(.*?)</p>', page, re.S)
    assert note is not None and NOT_TRADABLE in note.group(1)
    assert "purged k-fold, 3 folds, gap 1, embargo 2" in page


def test_each_fold_shows_its_benchmark_figures(alice, team_a, make_trial):
    fold = {"fold": 0, "train_start": "2012-01-03", "train_end": "2013-12-31", "test_start": "2014-01-02",
            "test_end": "2014-12-31", "n_train": 500, "n_test": 250,
            "metrics": {"sharpe": 1.2, "alpha": -0.031, "beta": 0.8, "information_ratio": -0.4}}  # fmt: skip
    trial = _finished(make_trial(alice, team_a), metrics={"sharpe": 1.2}, folds=[fold])
    page = _client(alice).get(f"/trials/{trial.pk}/").content.decode()
    table = re.search(r'<table id="folds">(.*?)</table>', page, re.S).group(1)
    headers = re.findall(r'<th class="num" data-metric="(\w+)"', table)
    assert {"sharpe", "alpha", "beta", "information_ratio"} <= set(headers)
    cells = re.findall(r'<td class="num">([^<]*)</td>', table.split("<tbody>")[1])
    assert cells[headers.index("alpha") + 2] == "-3.1 %" and cells[headers.index("beta") + 2] == "0.80"


def test_several_seeds_show_each_metrics_mean_and_std(alice, team_a, make_trial):
    seeds = {"seeds": [0, 1, 2], "deterministic": False, "mean": {"sharpe": 0.57}, "std": {"sharpe": 0.11}}
    trial = _finished(make_trial(alice, team_a, repeats=3), metrics={"sharpe": 0.65}, across_seeds=seeds)
    page = _client(alice).get(f"/trials/{trial.pk}/").content.decode()
    row = re.search(r'<tr data-metric="sharpe">(.*?)</tr>', page, re.S).group(1)
    assert '<td class="num seeds">0.57 ± 0.11</td>' in row and "mean ± std over seeds 0, 1, 2" in page
    once = {"seeds": [0], "deterministic": True, "note": "seed+1 gave exactly the same predictions"}
    Trial.objects.filter(pk=trial.pk).update(across_seeds=once)
    page = _client(alice).get(f"/trials/{trial.pk}/").content.decode()
    assert "Ran once: seed+1 gave exactly the same predictions." in page


def test_templates_compare_trial_statuses_through_the_vocabulary():
    from pathlib import Path

    from trials.vocabulary import TRIAL_STATUSES

    assert tuple(Trial.Status.values) == TRIAL_STATUSES
    root = Path(__file__).resolve().parents[2] / "templates"
    literal = re.compile(r'trial\.status\s*[!=]=\s*"')
    assert [str(p.relative_to(root)) for p in root.rglob("*.html") if literal.search(p.read_text())] == []


def test_next_returns_are_each_dates_close_to_the_next_bars(alice, team_a, bundled):
    """What the tear sheet draws buy-and-hold (and a benchmark) from: read through the cursor, times parsed by
    pandas, they must still land on the trial's dates (a time-zone slip would leave them all missing)."""
    import pandas as pd

    from market_data.models import Bar
    from trials.selectors import next_returns

    bars = list(Bar.objects.filter(dataset__key="SPX", dataset__team__isnull=True).order_by("ts")[1000:1010])
    dates = pd.DatetimeIndex([bar.ts for bar in bars[:9]])
    got = next_returns(trial=type("T", (), {"team": team_a})(), symbol="SPX", dates=dates)
    expected = [later.close / bar.close - 1 for bar, later in zip(bars[:9], bars[1:], strict=True)]
    assert got is not None and got.to_numpy().tolist() == pytest.approx(expected, rel=1e-12)
