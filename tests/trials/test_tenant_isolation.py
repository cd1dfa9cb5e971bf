"""charlie (team B) can see nothing of alice's team A: every route answers 404 or leaves the trial out."""

import csv
import io

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.test import Client
from rest_framework_simplejwt.tokens import RefreshToken

from mltrainer_site.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def alices_trial(alice, team_a, make_trial):
    return make_trial(alice, team_a, name="alpha-secret")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/trials/{id}/"),
        ("post", "/api/trials/{id}/cancel/"),
        ("get", "/api/trials/{id}/predictions.csv"),
    ],
)
def test_outsider_gets_404_on_trial_routes(alices_trial, charlie, api_as, method, path):
    response = getattr(api_as(charlie), method)(path.format(id=alices_trial.pk))
    assert response.status_code == 404
    alices_trial.refresh_from_db()
    assert alices_trial.status == "queued" and not alices_trial.cancel_requested


def test_outsider_list_and_export_leave_the_trial_out(alices_trial, charlie, bob, api_as):
    assert api_as(charlie).get("/api/trials/").json()["results"] == []
    export = api_as(charlie).get("/api/trials/export.csv")
    assert list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))[1:] == []
    # bob, alice's teammate, sees it in both.
    assert [t["id"] for t in api_as(bob).get("/api/trials/").json()["results"]] == [alices_trial.pk]
    rows = list(
        csv.DictReader(io.StringIO(b"".join(api_as(bob).get("/api/trials/export.csv").streaming_content).decode()))
    )
    assert [r["name"] for r in rows] == ["alpha-secret"]


def test_outsider_gets_404_on_trial_page(alices_trial, charlie):
    client = Client()
    client.force_login(charlie)
    assert client.get(f"/trials/{alices_trial.pk}/").status_code == 404
    assert b"alpha-secret" not in client.get("/").content


async def _connect(trial_id, headers):
    communicator = WebsocketCommunicator(application, f"/ws/trials/{trial_id}/", headers=headers)
    connected, code = await communicator.connect(timeout=5)
    state = await communicator.receive_json_from(timeout=5) if connected else None
    await communicator.disconnect()
    return connected, state


def _bearer(user):
    return [(b"authorization", f"Bearer {RefreshToken.for_user(user).access_token}".encode())]


def test_outsider_websocket_is_refused(alices_trial, charlie, bob):
    connected, _ = async_to_sync(_connect)(alices_trial.pk, _bearer(charlie))
    assert not connected
    connected, state = async_to_sync(_connect)(alices_trial.pk, _bearer(bob))
    assert connected and state["status"] == "queued" and state["trial"] == alices_trial.pk


def test_anonymous_and_bad_token_websocket_is_refused(alices_trial):
    assert async_to_sync(_connect)(alices_trial.pk, [])[0] is False
    assert async_to_sync(_connect)(alices_trial.pk, [(b"authorization", b"Bearer not-a-token")])[0] is False


def test_websocket_accepts_the_session_cookie_from_our_origin_only(alices_trial, bob):
    client = Client()
    client.force_login(bob)
    cookie = (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())
    connected, state = async_to_sync(_connect)(alices_trial.pk, [cookie, (b"origin", b"http://127.0.0.1:8000")])
    assert connected and state["trial"] == alices_trial.pk
    # A page on another site cannot ride on bob's cookie.
    assert async_to_sync(_connect)(alices_trial.pk, [cookie, (b"origin", b"https://evil.example")])[0] is False


def test_a_session_cookie_websocket_receives_the_trials_events(alices_trial, bob):
    """The page's socket authenticates by cookie: its user is Channels' lazy object, and events still arrive."""
    from channels.layers import get_channel_layer

    from trials.events import group_name

    client = Client()
    client.force_login(bob)
    headers = [
        (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()),
        (b"origin", b"http://127.0.0.1:8000"),
    ]

    async def scenario():
        communicator = WebsocketCommunicator(application, f"/ws/trials/{alices_trial.pk}/", headers=headers)
        connected, _ = await communicator.connect(timeout=5)
        assert connected
        await communicator.receive_json_from(timeout=5)  # the current state
        payload = {"type": "trial.status", "trial": alices_trial.pk, "progress": 0.25}
        await get_channel_layer().group_send(group_name(alices_trial.pk), {"type": "trial.event", "payload": payload})
        received = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return received

    assert async_to_sync(scenario)() == {"type": "trial.status", "trial": alices_trial.pk, "progress": 0.25}
