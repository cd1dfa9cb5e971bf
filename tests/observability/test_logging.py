"""JSON logs: every line of a request carries its id and user, a trial's lines carry the trial id, no secrets."""

import io
import json
import logging

import pytest
from django.conf import settings as django_settings
from rest_framework_simplejwt.tokens import RefreshToken

from observability.logging import ContextFilter, JsonFormatter
from trials.tasks import run_trial

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_lines():
    """Everything logged during the test, formatted as production formats it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_production_logs_are_json_with_the_configured_level():
    assert django_settings.LOGGING["handlers"]["console"]["formatter"] == "json"  # DEBUG is off in tests
    assert django_settings.LOGGING["root"]["level"] == django_settings.LOG_LEVEL


def test_request_lines_carry_the_request_id_and_user_and_no_token(client, alice, team_a, json_lines):
    access = str(RefreshToken.for_user(alice).access_token)
    response = client.get(
        "/api/trials/?status=queued", HTTP_AUTHORIZATION=f"Bearer {access}", HTTP_X_REQUEST_ID="req-abc.123"
    )
    assert response.status_code == 200
    assert response["X-Request-ID"] == "req-abc.123"
    lines = json_lines()
    (access_line,) = [line for line in lines if line["logger"] == "mltrainer.request"]
    assert access_line["message"].startswith("GET /api/trials/ 200 ")
    assert access_line["request_id"] == "req-abc.123"
    assert access_line["user_id"] == alice.pk  # authenticated by DRF's JWT, not the session
    assert access_line["level"] == "INFO" and access_line["timestamp"]
    assert access_line["trial_id"] is None
    assert not any(access in json.dumps(line) for line in lines)


def test_an_unusable_request_id_is_replaced(client, json_lines):
    response = client.get("/login/", HTTP_X_REQUEST_ID="bad id\nwith newline")
    generated = response["X-Request-ID"]
    assert len(generated) == 32 and generated.isalnum()
    (line,) = [line for line in json_lines() if line["logger"] == "mltrainer.request"]
    assert line["request_id"] == generated and line["user_id"] is None


def test_lines_logged_while_a_trial_runs_carry_its_id(alice, team_a, make_trial, json_lines):
    trial = make_trial(alice, team_a)
    run_trial(trial.pk)
    trial_lines = [line for line in json_lines() if line["logger"] == "trials.services"]
    assert [line["message"] for line in trial_lines][-1] == f"trial {trial.pk} succeeded"
    assert all(line["trial_id"] == trial.pk for line in trial_lines)
