"""The goal pages in a real browser: a member sets a goal from the form and lands on its page, with its targets,
budget and edit form; only an owner sees the autopilot switch, which turns on (with a budget) and stops; another
team's goal is a 404. Phone width and dark mode fit."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def test_set_a_goal_edit_it_and_run_it_on_autopilot(open_browser, site):
    bob = open_browser("bob")
    page = bob.page
    bob.go("/coach/goals/")
    page.fill("#goal-form textarea[name=objective]", "A trend model on SPX that beats buy-and-hold net of costs")
    page.fill("#goal-form input[name=sharpe_min]", "0.8")
    page.fill("#goal-form input[name=dsr_min]", "0.95")
    page.fill("#goal-form input[name=symbols]", "SPX")
    page.click("#goal-form button[type=submit]")
    page.wait_for_url("**/coach/goals/*/")
    goal_path = page.url.removeprefix(site.url)
    targets = page.inner_text("#goal-progress")
    assert "Net Sharpe" in targets or "Sharpe" in targets, targets
    assert "≥ 0.8" in targets and "≥ 0.95" in targets
    assert "SPX" in page.inner_text("main")
    # A member edits the goal but does not see the autopilot switch (owners only).
    assert page.locator("#autopilot button").count() == 0
    page.fill("#goal-form input[name=trial_budget]", "5")
    page.click("#goal-form button[type=submit]")
    page.wait_for_load_state("load")
    assert "of 5 launched" in page.inner_text("main")

    alice = open_browser("alice")
    alice.go(goal_path)
    alice.page.click("#autopilot button[value=on]")
    alice.page.wait_for_load_state("load")
    assert "On, as alice" in alice.page.inner_text("#autopilot")
    alice.shot("goal-autopilot-on")
    alice.page.click("#autopilot button[value=off]")
    alice.page.wait_for_load_state("load")
    assert "stopped by alice" in alice.page.inner_text("#autopilot")

    for width, dark, name in ((390, False, "goal-phone"), (1280, True, "goal-dark")):
        other = open_browser("alice", width=width, dark=dark)
        other.go(goal_path)
        other.shot(name)
        if width == 390:
            assert other.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    charlie = open_browser("charlie")
    charlie.watch.allow(goal_path, 404)
    charlie.go(goal_path, status=404)
