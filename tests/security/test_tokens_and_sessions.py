"""Tokens and sessions: one use per refresh token, a password change ends every login, a login has an absolute
lifetime, sessions end when idle, and a WebSocket stops as soon as its user may no longer see the trial."""

import threading
import time
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async as database_sync
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.models import Membership, User
from mltrainer_site.asgi import application
from trials.events import group_name

pytestmark = pytest.mark.django_db


def login(username: str, password: str) -> dict:
    response = APIClient().post("/api/auth/token/", {"username": username, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def refresh(token: str):
    return APIClient().post("/api/auth/token/refresh/", {"refresh": token}, format="json")


@pytest.mark.django_db(transaction=True)  # ten requests on ten connections, each in its own transaction
def test_ten_concurrent_uses_of_one_refresh_token_one_wins(alice):
    for _ in range(3):
        token = login("alice", "alice-pw-123")["refresh"]
        barrier, results = threading.Barrier(10), []

        def use(barrier=barrier, results=results, token=token):
            barrier.wait()
            try:
                results.append(refresh(token))
            finally:
                connection.close()  # this thread's connection back to the pool

        threads = [threading.Thread(target=use) for _ in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        codes = sorted(response.status_code for response in results)
        assert codes == [200] + [401] * 9, codes
        (winner,) = [response for response in results if response.status_code == 200]
        assert refresh(winner.json()["refresh"]).status_code == 200  # the winner's new token works, once
        assert refresh(winner.json()["refresh"]).status_code == 401


def test_a_password_change_ends_tokens_and_sessions(alice, team_a):
    tokens = login("alice", "alice-pw-123")
    browser = Client()
    assert browser.post("/login/", {"username": "alice", "password": "alice-pw-123"}).status_code == 302
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert api.get("/api/trials/").status_code == 200
    time.sleep(1.01)  # token times have whole seconds
    user = User.objects.get(username="alice")
    user.set_password("a-new-long-password-7")
    user.save()
    response = api.get("/api/trials/")
    assert response.status_code == 401
    assert response.json()["detail"] == "The token was issued before a password change: log in again."
    response = refresh(tokens["refresh"])
    assert response.status_code == 401 and "password change" in response.json()["detail"]
    assert browser.get("/").status_code == 302  # Django's session auth hash: the session is gone
    fresh = login("alice", "a-new-long-password-7")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {fresh['access']}")
    assert api.get("/api/trials/").status_code == 200


def test_a_login_has_an_absolute_lifetime_however_often_it_is_refreshed(alice, settings):
    settings.JWT_LOGIN_MAX_DAYS = 2
    first = RefreshToken(login("alice", "alice-pw-123")["refresh"])
    assert first["auth_time"] == first["iat"]
    rotated = RefreshToken(refresh(str(first)).json()["refresh"])
    assert rotated["auth_time"] == first["auth_time"]  # rotation keeps when the login began
    assert rotated["exp"] <= first["auth_time"] + 2 * 86400
    old = RefreshToken.for_user(alice)
    old["auth_time"] = int(time.time()) - 2 * 86400 - 5  # a login that began more than two days ago
    response = refresh(str(old))
    assert response.status_code == 401 and response.json()["detail"] == "The login has expired: log in again."
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {old.access_token}")
    assert api.get("/api/trials/").status_code == 401


def test_an_access_token_verified_before_still_expires_on_time(alice, team_a):
    """A process checks a token's signature once and keeps it: its expiry is checked again at every request."""
    token = AccessToken.for_user(alice)
    # exp is a whole second: a 2 s lifetime leaves 1-2 s of validity (1 s left between 0 and 1, and failed once).
    token.set_exp(lifetime=timedelta(seconds=2))
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get("/api/trials/").status_code == 200
    assert api.get("/api/trials/").status_code == 200  # the kept verification
    time.sleep(max(0.0, token["exp"] - time.time()) + 0.1)
    expired = api.get("/api/trials/")
    assert expired.status_code == 401 and expired.json()["code"] == "token_not_valid"
    tampered = APIClient()
    tampered.credentials(HTTP_AUTHORIZATION=f"Bearer {str(token)[:-2]}xx")
    assert tampered.get("/api/trials/").status_code == 401


def test_sessions_end_after_the_idle_timeout_and_requests_renew_them(alice, settings):
    assert settings.SESSION_COOKIE_AGE == 120 * 60
    from django.contrib.sessions.models import Session

    browser = Client()
    browser.post("/login/", {"username": "alice", "password": "alice-pw-123"})
    session = Session.objects.get()
    Session.objects.filter(pk=session.pk).update(expire_date=session.expire_date.replace(year=2000))
    assert browser.get("/").status_code == 302  # idle past the timeout: logged out
    Session.objects.all().delete()
    settings.SESSION_COOKIE_AGE = 20  # renewed once a twentieth of it (1 s) has passed
    browser.post("/login/", {"username": "alice", "password": "alice-pw-123"})
    before = Session.objects.get().expire_date
    assert browser.get("/").status_code == 200
    assert Session.objects.get().expire_date == before  # within the twentieth: no write
    time.sleep(1.05)
    assert browser.get("/").status_code == 200
    assert Session.objects.get().expire_date > before  # renewed


@pytest.mark.parametrize("password", ["1", "bob-the-builder", "password123"])
def test_add_member_runs_the_password_validators(monkeypatch, password):
    from django.core.management import CommandError, call_command

    monkeypatch.setenv("MLTRAINER_PASSWORD", password)
    with pytest.raises(CommandError, match="password refused"):
        call_command("add_member", "Rates Desk", "bob-the-builder")
    assert not User.objects.filter(username="bob-the-builder").exists()


def _bearer(user) -> list:
    return [(b"authorization", f"Bearer {RefreshToken.for_user(user).access_token}".encode())]


def test_a_deactivated_or_deleted_users_token_is_refused_at_the_next_api_request(alice, bob):
    """The user behind a token is read on every request (not cached), so a deactivation or a deletion applies at
    once; a token naming no user at all is refused too."""
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(alice).access_token}")
    assert api.get("/api/trials/").status_code == 200
    User.objects.filter(pk=alice.pk).update(is_active=False)
    response = api.get("/api/trials/")
    assert (response.status_code, response.json()["code"]) == (401, "user_inactive")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(bob).access_token}")
    assert api.get("/api/trials/").status_code == 200
    User.objects.filter(pk=bob.pk).delete()
    response = api.get("/api/trials/")
    assert (response.status_code, response.json()["code"]) == (401, "user_not_found")
    nobody = RefreshToken.for_user(alice).access_token
    del nobody["user_id"]
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {nobody}")
    response = api.get("/api/trials/")
    assert response.status_code == 401 and response.json()["detail"] == (
        "Token contained no recognizable user identification"
    )


def test_a_deactivated_users_token_is_refused_cleanly_on_the_websocket(alice, team_a, make_trial):
    trial = make_trial(alice, team_a)
    headers = _bearer(alice)
    User.objects.filter(pk=alice.pk).update(is_active=False)

    async def connect():
        communicator = WebsocketCommunicator(application, f"/ws/trials/{trial.pk}/", headers=headers)
        connected, code = await communicator.connect(timeout=5)
        await communicator.disconnect()
        return connected, code

    assert async_to_sync(connect)() == (False, 4404)


@pytest.mark.django_db(
    transaction=True
)  # the membership is deleted while the consumer's thread holds its own connection
def test_a_member_removed_from_the_team_stops_receiving_its_events(alice, bob, team_a, make_trial):
    trial = make_trial(alice, team_a)
    headers = _bearer(bob)

    async def scenario():
        layer = get_channel_layer()
        communicator = WebsocketCommunicator(application, f"/ws/trials/{trial.pk}/", headers=headers)
        connected, _ = await communicator.connect(timeout=5)
        assert connected
        assert (await communicator.receive_json_from(timeout=5))["type"] == "trial.state"
        event = {"type": "trial.event", "payload": {"type": "trial.status", "trial": trial.pk, "progress": 0.5}}
        await layer.group_send(group_name(trial.pk), event)
        received = await communicator.receive_json_from(timeout=5)
        await database_sync(lambda: Membership.objects.filter(user=bob, team=team_a).delete())()
        await layer.group_send(group_name(trial.pk), event)
        closed = await communicator.receive_output(timeout=5)
        await communicator.disconnect()
        return received, closed

    received, closed = async_to_sync(scenario)()
    assert received == {"type": "trial.status", "trial": trial.pk, "progress": 0.5}
    assert closed == {"type": "websocket.close", "code": 4403}
