"""Failed logins lock out per account and per client address on every login form: the API's token endpoint,
/login/ and the admin's. What both an attacker and the account's owner then see: 429, the same words, and
Retry-After, until LOGIN_LOCKOUT_MINUTES have passed or an administrator unlocks the account."""

import importlib

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import clear_url_caches, resolve
from rest_framework.test import APIClient

from security.logins import client_ip

pytestmark = pytest.mark.django_db

LOCKED = (
    "Too many failed logins for this account or from this address. "
    "Try again in 15 minutes, or ask an administrator to unlock it."
)


def token_login(username, password, address="10.0.0.1"):
    return APIClient().post(
        "/api/auth/token/", {"username": username, "password": password}, format="json", REMOTE_ADDR=address
    )


def test_the_token_endpoint_locks_an_account_after_ten_failures(alice):
    codes = [token_login("alice", f"wrong-{n}", address=f"10.0.0.{n}").status_code for n in range(10)]
    # From ten addresses: the account's count still adds up, and the tenth failure already answers 429.
    assert codes == [401] * 9 + [429]
    response = token_login("alice", "alice-pw-123", address="10.9.9.9")  # the right password, too late
    assert response.status_code == 429
    assert response.json() == {"detail": LOCKED}
    assert response["Retry-After"] == "900"
    assert token_login("bob", "anything", address="10.9.9.9").status_code == 401  # other accounts are unaffected


def test_an_address_that_sprays_many_accounts_is_locked_out(alice, bob):
    codes = [token_login(f"user{n}", "Winter2026!", address="10.6.6.6").status_code for n in range(10)]
    assert codes == [401] * 9 + [429]
    assert token_login("alice", "alice-pw-123", address="10.6.6.6").status_code == 429
    assert token_login("alice", "alice-pw-123", address="10.7.7.7").status_code == 200  # alice elsewhere is fine


def test_the_lockout_ends_after_the_cool_off(alice):
    from datetime import timedelta

    from django.utils import timezone

    for n in range(10):
        token_login("alice", f"wrong-{n}")
    assert token_login("alice", "alice-pw-123").status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert token_login("alice", "alice-pw-123").status_code == 200


@pytest.mark.parametrize("path", ["/login/", "/admin/login/"])
def test_the_login_pages_lock_out_too(alice, path):
    browser = Client(REMOTE_ADDR="10.1.1.1")
    codes = [browser.post(path, {"username": "alice", "password": f"wrong-{n}"}).status_code for n in range(10)]
    assert codes == [200] * 9 + [429]  # the form again with its error, then the lockout
    response = browser.post(path, {"username": "alice", "password": "alice-pw-123"})
    assert response.status_code == 429
    assert response.content.decode() == LOCKED + "\n"
    assert "_auth_user_id" not in browser.session


def test_a_success_clears_the_count(alice):
    for n in range(9):
        token_login("alice", f"wrong-{n}")
    assert token_login("alice", "alice-pw-123").status_code == 200
    for n in range(9):
        token_login("alice", f"wrong-{n}")
    assert token_login("alice", "alice-pw-123").status_code == 200


def test_the_client_address_behind_trusted_proxies(rf, settings):
    request = rf.get("/", REMOTE_ADDR="10.244.0.7", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    assert client_ip(request) == "10.244.0.7"  # no proxy trusted: the socket's address, the header ignored
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "203.0.113.9"  # what the ingress saw; 6.6.6.6 is whatever the client claimed
    settings.TRUSTED_PROXY_COUNT = 3
    assert client_ip(request) == "10.244.0.7"  # fewer entries than proxies: not trusted


def test_the_admin_path_is_a_setting(settings):
    import mltrainer_site.urls

    settings.ADMIN_PATH = "ops-7f3a/"
    try:
        importlib.reload(mltrainer_site.urls)
        clear_url_caches()
        assert resolve("/ops-7f3a/login/").url_name == "login"
        assert Client().get("/admin/login/").status_code == 404
    finally:
        settings.ADMIN_PATH = "admin/"
        importlib.reload(mltrainer_site.urls)
        clear_url_caches()


def test_an_administrator_unlocks_an_account_with_the_readmes_command(alice):
    from django.core.management import call_command

    for n in range(10):
        token_login("alice", f"wrong-{n}")
    assert token_login("alice", "alice-pw-123").status_code == 429
    call_command("axes_reset_username", "alice")  # README, Security: "axes_reset_username <username>"
    assert token_login("alice", "alice-pw-123").status_code == 200
