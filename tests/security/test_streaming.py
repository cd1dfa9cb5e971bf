"""Streamed responses: bad input is refused before a stream starts, a stream that fails part way still ends (so
its request finishes and its database connection goes back), and HEAD never carries a body."""

import threading

import pytest
from django.core.signals import request_finished

from ..asgi import asgi_request

pytestmark = pytest.mark.django_db


def test_export_refuses_a_nul_byte_in_a_filter_before_streaming(api_as, alice):
    for path in ("/api/trials/export.csv", "/api/compliance/decisions/export.csv"):
        response = api_as(alice).get(path, {"status": "a\x00b", "outcome": "a\x00b"})
        assert response.status_code == 400, path
        assert not response.streaming
        assert "NUL" in response.json()["detail"]


def test_export_refuses_an_unknown_status_before_streaming(api_as, alice):
    response = api_as(alice).get("/api/trials/export.csv", {"status": "finished"})
    assert response.status_code == 400 and not response.streaming
    assert response.json() == {"status": ['"finished" is not a valid choice.']}
    response = api_as(alice).get("/api/compliance/decisions/export.csv", {"stage": "later"})
    assert response.status_code == 400 and response.json() == {"stage": ['"later" is not a valid choice.']}


@pytest.mark.urls("tests.security.stream_urls")
def test_a_stream_that_fails_part_way_ends_and_finishes_its_request(caplog):
    finished = []

    def on_finished(sender, **kwargs):
        finished.append(sender)

    request_finished.connect(on_finished, weak=False, dispatch_uid="test-stream-finished")
    try:
        response = asgi_request("GET", "/test/failing-stream.csv")
        for _ in range(500):  # the close is queued on the request's thread once the response is out
            if finished:
                break
            threading.Event().wait(0.01)
    finally:
        request_finished.disconnect(dispatch_uid="test-stream-finished")
    assert response["status"] == 200
    body = response["body"].decode()
    assert body.startswith("id,name\r\n") and body.splitlines()[1].endswith(",first")
    assert body.rstrip().endswith("# error: the server failed while producing this file; it is incomplete")
    # request_finished is what closes the request's database connections (returns them to the pool).
    assert finished, "the request never finished, so its database connection was never released"
    assert "streamed response for /test/failing-stream.csv failed part way" in caplog.text


def test_head_carries_no_body(alice, settings):
    settings.DEBUG = False
    for path in ("/login/", "/healthz"):
        response = asgi_request("HEAD", path)
        assert response["status"] == 200, path
        assert response["body"] == b"", path


@pytest.mark.django_db(transaction=True)  # the ASGI application's own connection must see alice
def test_head_on_a_streamed_export_carries_no_body(alice, team_a):
    from rest_framework_simplejwt.tokens import RefreshToken

    token = f"Bearer {RefreshToken.for_user(alice).access_token}".encode()
    get = asgi_request("GET", "/api/trials/export.csv", headers=[(b"authorization", token)])
    head = asgi_request("HEAD", "/api/trials/export.csv", headers=[(b"authorization", token)])
    assert get["status"] == head["status"] == 200
    assert get["body"].startswith(b"id,name,team")
    assert head["body"] == b""
    # A response over 64 KiB (more than one ASGI body message): the whole catalog.
    get = asgi_request("GET", "/api/models/", headers=[(b"authorization", token)])
    head = asgi_request("HEAD", "/api/models/", headers=[(b"authorization", token)])
    assert len(get["body"]) > 65536 and head["status"] == 200 and head["body"] == b""
