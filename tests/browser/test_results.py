"""What a quant decides with, in a real browser: the tear sheet's charts drawn with data, the compare view and its
"only differences" toggle, the trial table sorted and paged, and the CSV downloads."""

import csv
import io

import pytest

from trials.figures import GROUPS
from trials.models import Trial

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def _drawn(page, selector: str) -> int:
    page.wait_for_selector(f"{selector}[data-drawn] canvas")
    return int(page.get_attribute(selector, "data-drawn"))


def test_tear_sheet_draws_every_chart_with_data(open_browser, site):
    browser = open_browser("alice")
    page = browser.page
    browser.go(f"/trials/{site.trials['logistic']}/")
    for chart in ("equity", "drawdown", "rolling-sharpe", "calibration", "folds"):
        assert _drawn(page, f"#chart-{chart}") > (3 if chart == "folds" else 9), chart
    assert _drawn(page, "#chart-equity") > 1000  # every test bar, not a sample
    page.check("#equity-log")
    assert _drawn(page, "#chart-equity") > 1000
    page.select_option("#fold-metric", "accuracy")
    assert _drawn(page, "#chart-folds") == 4
    assert page.locator("#monthly tbody tr").count() >= 5  # a row per test year
    sharpe = page.locator('#metrics [data-metric="sharpe"]')
    assert "Sharpe ratio" in sharpe.inner_text() and "sharpe" in sharpe.locator(".metric-key").inner_text()
    assert sharpe.locator("abbr").get_attribute("title").startswith("Mean over standard deviation")
    assert page.locator('#metrics [data-metric="accuracy"] td').inner_text().endswith("%")
    groups = [g.get_attribute("data-group") for g in page.locator("#metrics [data-group]").all()]
    assert groups == list(GROUPS)  # every group, in the table's order
    assert "Against buy-and-hold of SPX" in page.inner_text('#metrics [data-group="benchmark"]')
    psr = page.locator('#metrics [data-group="overfitting"] [data-metric="psr"]')
    assert psr.locator("abbr").get_attribute("title").startswith("P(true Sharpe > 0)")
    assert psr.locator("td").inner_text().endswith("%")
    assert "Deflated Sharpe" in page.inner_text("#dsr-status")  # computed, or said to be on its way
    assert page.locator('#folds thead th[data-metric="information_ratio"]').count() == 1
    facts = page.inner_text("#facts")
    assert "Started" in facts and "Finished" in facts and " s" in page.inner_text("#duration")
    browser.shot("tear-sheet")


def test_volatility_and_failed_trials(open_browser, site):
    browser = open_browser("alice")
    browser.go(f"/trials/{site.trials['volatility']}/")
    assert _drawn(browser.page, "#chart-volatility") > 100
    assert browser.page.locator("#chart-equity").count() == 0
    browser.go(f"/trials/{site.trials['failed']}/")
    assert browser.page.is_visible("#error-box")
    assert "too few" in browser.page.inner_text("#error-box")
    assert browser.page.locator("#predictions-csv").count() == 0  # no empty predictions file on offer
    browser.shot("trial-failed")


def _download_text(page, selector: str) -> str:
    with page.expect_download() as download:
        page.click(selector)
    return open(download.value.path(), encoding="utf-8").read()


def test_compare_two_trials_and_show_only_differences(open_browser, site):
    browser = open_browser("alice")
    page = browser.page
    first, second = site.trials["logistic"], site.trials["second"]
    browser.go("/?q=logistic")
    page.check(f'input[name=ids][value="{first}"]')
    assert page.is_disabled("#compare-button")
    page.check(f'input[name=ids][value="{second}"]')
    page.click("#compare-button")
    page.wait_for_url("**/compare/?ids=*")
    assert sorted(page.url.split("ids=")[1].split(",")) == sorted([str(first), str(second)])
    table = page.locator("#compare-table")
    assert table.locator('tr.differs[data-key="C"]').count() == 1
    assert table.locator('tr.differs[data-key="folds"]').count() == 1
    assert table.locator('tr.same[data-key="symbol"]').is_visible()
    assert _drawn(page, "#chart-compare-equity") > 1000 and _drawn(page, "#chart-compare-drawdown") > 1000
    browser.shot("compare")
    page.check("#only-differences")
    assert not table.locator('tr.same[data-key="symbol"]').is_visible()
    assert table.locator('tr.differs[data-key="C"]').is_visible()
    browser.shot("compare-only-differences")
    rows = list(csv.reader(io.StringIO(_download_text(page, "#compare-csv"))))
    assert rows[0][:4] == ["section", "key", "label", "differs"]
    assert ["Parameters", "C", "C", "yes", "0.5", "2.0"] in [row[:6] for row in rows] or any(
        row[:4] == ["Parameters", "C", "C", "yes"] for row in rows
    )


def test_sort_page_and_filter_the_trial_list(open_browser, site):
    browser = open_browser("alice")
    page = browser.page
    total = Trial.objects.filter(team=site.teams["a"]).count()  # team A's, not team B's
    browser.go("/")
    assert page.inner_text("#trial-count") == f"showing 1–50 of {total}"
    page.click("#next-page")
    page.wait_for_url("**page=2*")
    assert page.inner_text("#trial-count") == f"showing 51–{total} of {total}"
    browser.go("/")
    page.click('th[data-column="name"] a')
    page.wait_for_url("**sort=name*")
    names = page.locator("#trial-table tbody tr td:nth-child(3)").all_inner_texts()
    assert names[:3] == sorted(names)[:3] and page.get_attribute('th[data-column="name"]', "aria-sort") == "ascending"
    page.click('th[data-column="sharpe"] a')  # best Sharpe first
    page.wait_for_url("**sort=-sharpe*")
    top = page.locator("#trial-table tbody tr").first.get_attribute("data-trial")
    assert int(top) in (site.trials["logistic"], site.trials["second"])
    succeeded = Trial.objects.filter(team=site.teams["a"], status="succeeded", model_key="logistic_regression")
    browser.go("/?model=Logistic&status=succeeded")  # a part of the model's name, any case
    assert page.inner_text("#trial-count") == f"showing 1–{succeeded.count()} of {succeeded.count()}"
    browser.go("/?q=no+such+name")
    assert "No trials match" in page.inner_text("#no-trials")
    browser.shot("trials-sorted")
    # Pick the metric columns; the choice is remembered for the account.
    page.click("#column-picker summary")
    page.check('#column-picker input[value="sortino"]')
    page.click("#column-picker button[type=submit]")
    assert page.locator('th[data-column="sortino"]').count() == 1
    again = open_browser("alice")
    again.go("/")
    assert again.page.locator('th[data-column="sortino"]').count() == 1


def test_download_the_csvs(open_browser, site):
    browser = open_browser("alice")
    page = browser.page
    browser.go(f"/trials/{site.trials['logistic']}/")
    predictions = list(csv.DictReader(io.StringIO(_download_text(page, "#predictions-csv"))))
    assert len(predictions) == 4 * 402 and {"date", "y_pred", "equity"} <= set(predictions[0])
    browser.go("/?status=succeeded")
    exported = list(csv.DictReader(io.StringIO(_download_text(page, "#export-csv"))))
    expected = Trial.objects.filter(team=site.teams["a"], status="succeeded").count()
    assert {row["status"] for row in exported} == {"succeeded"} and len(exported) == expected
