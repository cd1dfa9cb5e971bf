"""The coach pages: list and start form, transcript with proposal cards, errors shown on the page."""

import pytest
from django.test import Client

from coach.models import Ask, Conversation
from coach.tasks import answer_ask
from tests.fakes.fake_anthropic import text, tool_use

pytestmark = pytest.mark.django_db


def browser_for(username):
    client = Client()
    assert client.post("/login/", {"username": username, "password": f"{username}-pw-123"}).status_code == 302
    return client


def test_nav_links_the_coach_and_the_start_form_creates_a_conversation(alice, bundled, fake_claude):
    browser = browser_for("alice")
    assert 'href="/coach/"' in browser.get("/").content.decode()

    response = browser.post("/coach/", {"goal": "Find a volatility model for SPX", "title": ""})

    conversation = Conversation.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/coach/{conversation.pk}/"
    assert conversation.goal == "Find a volatility model for SPX" and conversation.user == alice
    assert "Find a volatility model for SPX" in browser.get("/coach/").content.decode()


def test_a_message_posted_from_the_page_shows_the_reply_and_a_proposal_card(
    alice, conversation, fake_claude, proposal_input
):
    proposal_input["model"] = "no_such_model"
    fake_claude.reply(text("Two ideas."), tool_use({**proposal_input, "model": "random_forest_classifier"}))
    fake_claude.reply(tool_use(proposal_input))
    fake_claude.reply(text("Pick one."))
    browser = browser_for("alice")

    response = browser.post(f"/coach/{conversation.pk}/", {"text": "What next?"})
    assert response.status_code == 302
    waiting = browser.get(f"/coach/{conversation.pk}/").content.decode()
    assert "What next?" in waiting and "The coach is answering…" in waiting  # kept while the worker answers
    answer_ask.apply(args=[Ask.objects.get().pk], throw=True)
    page = browser.get(f"/coach/{conversation.pk}/").content.decode()

    assert "What next?" in page and "Two ideas." in page and "Pick one." in page
    assert "SPX forest probe" in page and "random_forest_classifier" in page
    assert "2010-01-01 → 2015-12-31" in page and proposal_input["rationale"] in page
    assert page.count("Launch trial") == 1  # the invalid proposal has none
    assert "unknown or disabled catalog model" in page
    assert "/api/coach/proposals/" in page and "coach/coach.js" in page


def test_the_page_says_when_the_coach_is_not_configured(alice, conversation, settings):
    settings.ANTHROPIC_API_KEY = ""
    browser = browser_for("alice")

    shown = browser.get(f"/coach/{conversation.pk}/").content.decode()
    posted = browser.post(f"/coach/{conversation.pk}/", {"text": "hello?"})

    assert "The AI coach is not configured: set ANTHROPIC_API_KEY" in shown
    assert posted.status_code == 503
    assert "The AI coach is not configured: set ANTHROPIC_API_KEY" in posted.content.decode()
    assert "hello?" in posted.content.decode()  # the draft is kept


def test_viewers_see_no_message_box_or_launch_button(victor, conversation, fake_claude, proposal_input, alice, say):
    fake_claude.reply(tool_use(proposal_input))
    fake_claude.reply(text("Ok."))
    say(alice, conversation, "go")

    page = browser_for("victor").get(f"/coach/{conversation.pk}/").content.decode()

    assert "SPX forest probe" in page
    assert "Launch trial" not in page and 'id="message-form"' not in page


def test_charlie_gets_404_on_the_page(charlie, conversation):
    assert browser_for("charlie").get(f"/coach/{conversation.pk}/").status_code == 404


def test_a_failed_message_shows_with_retry_and_discard(alice, conversation, fake_claude, say):
    fake_claude.fail_next(3, status=529)
    say(alice, conversation, "Anything on IXIC?")

    page = browser_for("alice").get(f"/coach/{conversation.pk}/").content.decode()

    assert "Anything on IXIC?" in page and "Not answered: Anthropic is overloaded (529), try again" in page
    ask = Ask.objects.get()
    assert f'data-retry="/api/coach/asks/{ask.pk}/retry/"' in page
    assert f'data-discard="/api/coach/asks/{ask.pk}/discard/"' in page
