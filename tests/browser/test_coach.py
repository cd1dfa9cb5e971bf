"""The coach page in a real browser: a message sent from the page is answered by the real worker, the reply streams
into the same document (tokens and the tool step as they happen), then the stored reply shows with its proposal
card; a failed reply shows the message with a Retry button that asks again with one click."""

import pytest

from tests.fakes.fake_anthropic import text, tool_use

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def test_a_reply_streams_into_the_page_and_a_failure_is_retried(open_browser, site):
    claude = site.claude
    claude.event_delay = 0.1  # the pieces arrive one by one, as from Claude (slowly enough to watch them come)
    browser = open_browser("alice")
    page = browser.page
    browser.go("/coach/")
    page.fill("textarea[name=goal]", "Find out whether momentum on SPX survives costs")
    page.click("form:has(textarea[name=goal]) button[type=submit]")
    page.wait_for_selector("#message-form")
    page.wait_for_selector('#connection[data-state="live"]', state="attached")

    claude.reply(
        text("Momentum on SPX has been tried before and lost money once costs were counted. Let me propose a probe. "),
        tool_use({"name": "momentum probe", "model": "quantum_oracle", "data": {"symbol": "SPX"}}),
    )
    claude.reply(text("That model is not in the catalog, so nothing can be launched yet."))
    page.evaluate("window.__sameDocument = true")
    page.fill("textarea[name=text]", "Is momentum worth a trial?")
    page.click("#message-form button[type=submit]")
    # Streamed into this document, before the page reloads with the stored reply.
    browser.wait_until("window.__sameDocument === true && window.__coach.tokens > 5")
    live = "document.getElementById('live-reply').innerText"
    browser.wait_until(
        "window.__sameDocument === true && window.__coach.tools.includes('propose_trial') && "
        f"{live}.includes('proposed momentum probe: invalid') && {live}.includes('Momentum on SPX has been tried')"
    )
    # Then the page shows the stored reply (it reloads itself once the reply is stored).
    page.wait_for_selector(".message .proposal", timeout=60_000)
    page.wait_for_load_state("load")
    assert page.evaluate("window.__sameDocument") is None
    transcript = page.inner_text("#transcript")
    assert "Is momentum worth a trial?" in transcript and "nothing can be launched yet" in transcript
    assert "unknown or disabled catalog model" in transcript
    browser.shot("coach-conversation")

    # A failure: the message stays, with a Retry button; one click asks again.
    claude.event_delay = 0
    claude.fail_next(3, status=529)
    page.fill("textarea[name=text]", "And on IXIC?")
    page.click("#message-form button[type=submit]")
    page.wait_for_selector("button[data-retry]", timeout=60_000)
    page.wait_for_timeout(1500)  # the page reloads itself once after the error event; let it settle
    page.wait_for_selector("button[data-retry]")
    assert "Not answered: Anthropic is overloaded (529), try again" in page.inner_text("#transcript")
    browser.shot("coach-failed")
    claude.reply(text("IXIC behaves much like SPX here."))
    page.click("button[data-retry]")
    answered = "document.getElementById('transcript').innerText.includes('IXIC behaves much like SPX')"
    browser.wait_until(f"document.querySelector('button[data-retry]') === null && {answered}")
    url = page.url

    for width, dark, name in ((390, False, "coach-phone"), (1280, True, "coach-dark")):
        other = open_browser("alice", width=width, dark=dark)
        other.go(url.removeprefix(site.url))
        other.page.wait_for_selector('#connection[data-state="live"]', state="attached")
        other.shot(name)
        if width == 390:  # nothing wider than the phone
            assert other.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_charlie_cannot_open_team_as_conversations(open_browser, site):
    from coach.models import Conversation

    conversation = Conversation.objects.filter(team=site.teams["a"]).first()
    if conversation is None:
        pytest.skip("the streaming test makes team A's conversation")
    browser = open_browser("charlie")
    browser.watch.allow(f"/coach/{conversation.pk}/", 404)
    browser.go(f"/coach/{conversation.pk}/", status=404)
