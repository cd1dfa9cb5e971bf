"""Every main page in a real browser: it loads without a console error or a failed request, fits a 390 px phone
without scrolling sideways, follows dark mode, and an outsider's direct URL answers 404."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db]  # django_db: the run creates its test database


def _pages(site) -> dict[str, str]:
    from market_data.models import Dataset

    t = site.trials
    spx = Dataset.objects.get(key="SPX", team__isnull=True).pk  # the bundled series, whatever loaded it first
    return {
        "trials": "/",
        "trial": f"/trials/{t['logistic']}/",
        "trial-volatility": f"/trials/{t['volatility']}/",
        "trial-failed": f"/trials/{t['failed']}/",
        "new-trial": "/trials/new/",
        "studies": "/studies/",
        "study": f"/studies/{t['study']}/",
        "catalog": "/models/",
        "model": "/models/random_forest_classifier/",
        "data": "/data/",
        "series": f"/data/{spx}/",
        "upload": "/data/upload/",
        "audit": "/compliance/",
        "coach": "/coach/",
        "goals": "/coach/goals/",
        "registry": "/registry/",
        "notifications": "/notifications/",
    }


def test_log_in_with_the_form(open_browser, site):
    browser = open_browser(None)
    browser.go("/")  # redirected to the login form
    assert "/login/" in browser.page.url
    browser.shot("login")
    browser.page.fill("input[name=username]", "alice")
    browser.page.fill("input[name=password]", "wrong password")
    browser.page.click("button[type=submit]")
    assert "did not match" in browser.page.inner_text("main")
    browser.page.fill("input[name=username]", "alice")
    browser.page.fill("input[name=password]", "browser-pw-123")
    browser.page.click("button[type=submit]")
    browser.page.wait_for_url(site.url + "/")
    assert "alice" in browser.page.inner_text("header")


def test_every_page_fits_a_phone(open_browser, site):
    browser = open_browser("alice", width=390)
    for name, path in _pages(site).items():
        browser.go(path)
        width = browser.page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{name} ({path}) is {width} px wide at 390 px"
        browser.shot(f"phone-{name}")
    # The navigation is collapsed behind the menu button, and opens.
    nav = browser.page.locator("#main-nav")
    assert not nav.is_visible()
    browser.page.click("#nav-toggle")
    assert nav.is_visible()
    browser.shot("phone-menu-open")


UNLABELLED = """() => [...document.querySelectorAll("input, select, textarea")]
  .filter((f) => f.type !== "hidden" && !f.hidden && !f.labels.length && !f.getAttribute("aria-label"))
  .map((f) => f.name || f.id || f.outerHTML.slice(0, 60))"""


def test_desktop_screenshots_every_field_labelled_and_a_visible_focus_ring(open_browser, site):
    browser = open_browser("alice")
    for name, path in _pages(site).items():
        browser.go(path)
        assert browser.page.evaluate(UNLABELLED) == [], name
        browser.shot(f"desktop-{name}")
    # Keyboard: Tab reaches the page's controls, and the focused one shows a ring.
    browser.go("/")
    for _ in range(3):
        browser.page.keyboard.press("Tab")
    outline = browser.page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert browser.page.evaluate("document.activeElement.tagName") in ("A", "BUTTON", "INPUT", "SELECT")
    assert outline == "solid"
    browser.shot("desktop-focus-ring")


def test_dark_mode_follows_the_system_and_the_toggle_is_remembered(open_browser, site):
    light = open_browser("alice")
    light.go("/")
    background = light.page.evaluate("getComputedStyle(document.body).backgroundColor")
    light.page.click("#theme-toggle")
    dark_background = light.page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert dark_background != background
    light.go(f"/trials/{site.trials['logistic']}/")
    assert light.page.evaluate("document.documentElement.dataset.theme") == "dark"  # remembered
    assert light.page.evaluate("getComputedStyle(document.body).backgroundColor") == dark_background

    system_dark = open_browser("alice", dark=True)
    for name, path in _pages(site).items():
        system_dark.go(path)
        assert system_dark.page.evaluate("getComputedStyle(document.body).backgroundColor") == dark_background
        system_dark.shot(f"dark-{name}")


def test_the_api_docs_render_under_the_csp(open_browser, site):
    """Swagger UI draws every operation with no CSP violation (a violation is a console error, which fails)."""
    browser = open_browser("alice")
    browser.go("/api/docs/")
    browser.page.wait_for_selector(".swagger-ui .opblock")
    assert browser.page.locator(".swagger-ui .opblock").count() > 20
    browser.shot("api-docs")


def test_an_outsiders_direct_url_is_404(open_browser, site):
    charlie = open_browser("charlie")
    for path in (
        f"/trials/{site.trials['logistic']}/",
        f"/compare/?ids={site.trials['logistic']},{site.trials['outsider']}",
    ):
        charlie.watch.allow(path.split("?")[0], 404)
        charlie.go(path, status=404)
    # ...while alice's teammate sees the same trial.
    bob = open_browser("bob")
    bob.go(f"/trials/{site.trials['logistic']}/")
