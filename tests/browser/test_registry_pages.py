"""The registry's pages in a real browser: register a trial with the form, the real worker refits it, promote
it with a reason; the pages load cleanly on a desktop, a 390 px phone and in dark mode; an outsider gets 404."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def test_register_promote_and_read_the_version_page(open_browser, site):
    browser = open_browser("alice")
    browser.go("/registry/")
    browser.page.fill("#register-trial", str(site.trials["logistic"]))
    browser.page.fill("#register-name", "spx-browser")
    browser.page.click("#register-form button[type=submit]")
    browser.page.wait_for_url("**/registry/spx-browser/v1/")
    # No reload by the test: the page follows the refit over its socket and reloads itself when the fit is ready.
    browser.page.wait_for_selector('#version-page[data-status="ready"], #version-page[data-status="failed"]',
                                   timeout=120_000)  # fmt: skip
    assert browser.page.get_attribute("#version-page", "data-status") == "ready", browser.page.inner_text("main")
    browser.page.wait_for_selector("text=Promote to production")  # drawn by the reload the finished fit caused
    browser.page.wait_for_selector("#chart-equity[data-drawn] canvas")  # the source trial's tear sheet, embedded
    assert int(browser.page.get_attribute("#chart-equity", "data-drawn")) > 1000
    assert browser.page.locator("#monthly tbody tr").count() >= 5
    browser.page.fill("#reason", "best Sharpe of the week")
    browser.page.click("text=Promote to production")
    browser.page.wait_for_url("**/registry/spx-browser/v1/")
    assert browser.page.inner_text("#stage") == "production"
    history = browser.page.inner_text("#stage-history")
    assert "promoted" in history and "best Sharpe of the week" in history and "alice" in history
    browser.shot("registry-version")
    browser.go("/registry/")
    assert "spx-browser" in browser.page.inner_text("#registered-models")
    browser.shot("registry-list")

    for name, options in (("phone", {"width": 390}), ("dark", {"dark": True})):
        other = open_browser("bob", **options)
        for path in ("/registry/", "/registry/spx-browser/v1/"):
            other.go(path)
            width = other.page.evaluate("document.documentElement.scrollWidth")
            assert width <= options.get("width", 1280), f"{path} is {width} px wide"
        other.shot(f"registry-version-{name}")

    outsider = open_browser("charlie")
    outsider.watch.allow("/registry/spx-browser/v1/", 404)
    outsider.go("/registry/spx-browser/v1/", status=404)
