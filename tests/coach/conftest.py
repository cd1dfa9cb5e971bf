"""Fixtures for the coach: the local fake Anthropic API with settings pointing the real SDK at it, a conversation
of team A, and a valid propose_trial input."""

import copy

import pytest

from tests.fakes import fake_anthropic

PROPOSAL = {
    "name": "SPX forest probe",
    "model": "random_forest_classifier",
    "params": {"n_estimators": 50, "max_depth": 3},
    "data": {"symbol": "SPX", "start": "2010-01-01", "end": "2015-12-31", "target": "direction", "horizon": 1},
    "validation": {"folds": 4, "gap": 2},
    "seed": 7,
    "rationale": "A shallow forest checks whether the momentum features carry any signal before tuning.",
}


@pytest.fixture
def fake_claude(settings):
    with fake_anthropic.FakeAnthropic() as server:
        settings.ANTHROPIC_API_KEY = fake_anthropic.VALID_KEY
        settings.ANTHROPIC_BASE_URL = server.base_url
        settings.COACH_MODEL = "claude-sonnet-5-5"
        settings.COACH_TIMEOUT_SECONDS = 5
        yield server


@pytest.fixture
def proposal_input():
    return copy.deepcopy(PROPOSAL)


@pytest.fixture
def conversation(alice, team_a, bundled):
    from coach.services import conversation_start

    return conversation_start(
        team=team_a, user=alice, goal="Find a direction model for SPX with a stable out-of-sample Sharpe", title=""
    )


@pytest.fixture
def say(api_as):
    """POST a message to a conversation as `user`, then answer it as the worker would (the Celery task, run here);
    returns the message as GET /api/coach/asks/<id>/ shows it afterwards (status answered with the reply, or failed
    with the error), or the POST's response when it was not accepted (not 202)."""
    from coach.tasks import answer_ask

    def send(user, conversation, text="What should we try next?"):
        client = api_as(user)
        posted = client.post(f"/api/coach/conversations/{conversation.pk}/messages/", {"text": text}, format="json")
        if posted.status_code != 202:
            return posted
        answer_ask.apply(args=[posted.json()["id"]], throw=True)
        return client.get(f"/api/coach/asks/{posted.json()['id']}/")

    return send
