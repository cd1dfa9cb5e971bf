"""JWT for the API: obtain, refresh with rotation, and a used refresh token is blacklisted."""

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_token_refresh_rotates_and_blacklists_the_old_refresh(alice):
    client = APIClient()
    tokens = client.post("/api/auth/token/", {"username": "alice", "password": "alice-pw-123"}, format="json").json()
    assert set(tokens) == {"access", "refresh"}

    refreshed = client.post("/api/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert refreshed.status_code == 200
    assert refreshed.json()["refresh"] != tokens["refresh"]

    reused = client.post("/api/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert reused.status_code == 401
    assert "blacklisted" in reused.json()["detail"]

    client.credentials(HTTP_AUTHORIZATION=f"Bearer {refreshed.json()['access']}")
    assert client.get("/api/trials/").status_code == 200


def test_wrong_password_gets_no_token(alice):
    response = APIClient().post("/api/auth/token/", {"username": "alice", "password": "nope"}, format="json")
    assert response.status_code == 401
    assert "access" not in response.json()
