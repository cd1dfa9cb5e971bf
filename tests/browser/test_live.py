"""A trial launched from the form runs on the real worker while its page follows it live: the invalid value's
message, the queued notice leaving once it runs, fold rows with their dates, the progress bar reaching 100 %
without a reload, and a lost WebSocket shown and reconnected."""

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def test_new_trial_form_then_live_progress_without_reload(open_browser, site):
    browser = open_browser("alice")
    page = browser.page
    browser.go("/trials/new/")
    page.select_option("select[name=model]", "random_forest_classifier")
    page.wait_for_selector("#param-fields [name=param-n_estimators]")  # typed inputs from the model's schema
    page.fill("input[name=name]", "live forest")
    page.fill("input[name=start]", "2010-01-01")
    page.fill("input[name=end]", "2016-12-31")
    page.fill("input[name=folds]", "4")
    # Only the chosen scheme's fields show, with what its results are.
    assert page.is_visible("input[name=folds]") and not page.is_visible("input[name=groups]")
    page.select_option("select[name=scheme]", "cpcv")
    assert page.is_visible("input[name=groups]") and not page.is_visible("input[name=folds]")
    assert "not a tradable backtest" in page.inner_text("#scheme-note")
    page.select_option("select[name=scheme]", "purged_kfold")
    assert page.is_visible("input[name=embargo]") and page.is_visible("input[name=folds]")
    page.select_option("select[name=scheme]", "walk_forward")
    assert not page.is_visible("input[name=embargo]") and "tradable backtest" in page.inner_text("#scheme-note")
    # A volatility target has no strategy: its inputs are turned off, and back on for a direction target.
    page.select_option("select[name=target]", "volatility")
    assert page.is_disabled("select[name=positions]") and page.is_visible("#strategy-note")
    page.select_option("select[name=target]", "direction")
    assert page.is_enabled("select[name=positions]") and not page.is_visible("#strategy-note")
    page.select_option("select[name=positions]", "long_short")
    page.select_option("select[name=benchmark]", "IXIC")
    page.fill("input[name=commission_bps]", "600")  # over the limit: the API's own message, next to the field
    page.fill("input[name=slippage_bps]", "2")
    page.fill("textarea[name=params]", '{"n_estimators": -5}')
    page.click("#trial-form button[type=submit]")
    page.wait_for_load_state("load")
    assert "n_estimators: must be at least" in page.inner_text("#trial-form")  # the message next to the field
    commission = page.inner_text('[data-field="commission_bps"]')
    assert "commission_bps: must be a number from 0 to 500, got 600.0" in commission
    assert page.input_value("select[name=benchmark]") == "IXIC"  # what was typed is kept
    browser.shot("new-trial-error")
    page.fill("input[name=commission_bps]", "5")

    # The typed inputs show the bad value too (the browser itself flags it); correcting them rewrites the JSON.
    assert page.input_value("[name=param-n_estimators]") == "-5"
    page.fill("[name=param-n_estimators]", "60")
    page.fill("[name=param-max_depth]", "4")
    assert '"n_estimators": 60' in page.input_value("textarea[name=params]")
    page.click("#trial-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/trials/\d+/$"))
    page.evaluate("window.__sameDocument = true")
    # The bar reaches 100 % in this document: no reload happened on the way.
    browser.wait_until("window.__sameDocument === true && document.getElementById('bar').value >= 1", timeout=120)
    rows = page.locator("#folds tbody tr")
    assert rows.count() == 4 and re.search(r"\d{4}-\d{2}-\d{2} → \d{4}-\d{2}-\d{2}", rows.nth(3).inner_text())
    assert page.locator(".messages .trial-queued").count() == 0  # "queued" is gone once it runs
    # Finished: the page reloads itself and draws the tear sheet.
    page.wait_for_selector("#chart-equity[data-drawn] canvas", timeout=60_000)
    assert page.inner_text("#status") == "succeeded"
    # The costs, positions and benchmark it was launched with, and their figures: net beside gross, against IXIC.
    strategy = page.inner_text("#strategy-text")
    assert "long or short" in strategy and "5 bps commission + 2 bps slippage" in strategy
    assert page.locator('#metrics [data-metric="sharpe"] td.gross [data-metric="gross_sharpe"]').count() == 1
    assert "Against IXIC" in page.inner_text('#metrics [data-group="benchmark"]')
    assert page.locator('#folds thead th[data-metric="alpha"]').count() == 1
    browser.shot("trial-live-finished")
    page.click("#run-again")  # "Run again with changes": the form holds everything it was run with
    page.wait_for_selector("#trial-form")
    assert page.input_value("input[name=commission_bps]") == "5.0"
    assert page.input_value("select[name=benchmark]") == "IXIC"
    assert page.input_value("select[name=positions]") == "long_short" and page.input_value("input[name=folds]") == "4"


def test_a_lost_websocket_is_shown_and_reconnects(open_browser, site):
    browser = open_browser("alice")
    page = browser.page
    sockets = []

    def through(route):
        route.connect_to_server()
        sockets.append(route)

    page.route_web_socket(re.compile(r"/ws/trials/\d+/$"), through)
    browser.go(f"/trials/{site.trials['waiting']}/")
    page.wait_for_selector('#connection[data-state="live"]')
    sockets[0].close(code=1006, reason="network gone")
    page.wait_for_selector('#connection[data-state="lost"]')
    assert "connection lost" in page.inner_text("#connection")
    browser.shot("trial-connection-lost")
    page.wait_for_selector('#connection[data-state="live"]', timeout=20_000)
    assert len(sockets) == 2
