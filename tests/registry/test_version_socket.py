"""WebSocket /ws/registry/versions/<id>/: team members get the refit's state, outsiders are refused."""

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import RefreshToken

from mltrainer_site.asgi import application
from registry.services import version_register

pytestmark = pytest.mark.django_db(transaction=True)  # the consumer reads the database from another thread


def _bearer(user):
    return [(b"authorization", f"Bearer {RefreshToken.for_user(user).access_token}".encode())]


async def _connect(version_id, headers):
    communicator = WebsocketCommunicator(application, f"/ws/registry/versions/{version_id}/", headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    state = await communicator.receive_json_from(timeout=5) if connected else None
    await communicator.disconnect()
    return connected, state


def test_member_gets_the_state_and_outsider_is_refused(succeeded_trial, alice, bob, charlie, team_a):
    version = version_register(team=team_a, user=alice, trial=succeeded_trial(), name="spx-ws")  # no worker: queued
    connected, state = async_to_sync(_connect)(version.pk, _bearer(bob))
    assert connected and state == {"type": "version.state", "version": version.pk, "status": "queued",
                                    "progress": 0.0, "error": ""}  # fmt: skip
    assert async_to_sync(_connect)(version.pk, _bearer(charlie)) == (False, None)
