"""Webhooks: only https to public hosts (checked on save, on resolution and on the connected address), no
redirects, a short timeout, retries with backoff, encrypted URLs shown masked, and a delivery log for owners."""

import pytest

from notifications.models import Delivery, Webhook
from notifications.safety import WebhookRefused, _PinnedHTTP, address_check, url_check
from notifications.services import delivery_send, event_emit, webhook_create
from tests.fakes.fake_webhook import FakeWebhook


@pytest.fixture
def fake():
    with FakeWebhook() as server:
        yield server


@pytest.mark.parametrize(
    "url, why",
    [
        ("http://hooks.slack.com/services/x", "only https"),
        ("ftp://example.com/x", "only https"),
        ("https://10.1.2.3/hook", "not a public address"),
        ("https://192.168.0.10/hook", "not a public address"),
        ("https://169.254.169.254/latest/meta-data/", "not a public address"),
        ("https://[::ffff:127.0.0.1]/hook", "not a public address"),
        ("https://[fd00:ec2::254]/hook", "not a public address"),
        ("https://224.0.0.1/hook", "not a public address"),
        ("https://100.64.1.1/hook", "not a public address"),
        ("https://user:pw@example.com/hook", "credentials"),
    ],
)
def test_refused_urls(url, why, settings):
    settings.WEBHOOK_ALLOW_LOOPBACK_FOR_TESTS = False
    with pytest.raises(WebhookRefused, match=why):
        url_check(url)


def test_without_the_test_setting_loopback_and_a_name_resolving_to_it_are_refused(settings, fake):
    settings.WEBHOOK_ALLOW_LOOPBACK_FOR_TESTS = False
    with pytest.raises(WebhookRefused, match="only https"):
        url_check(fake.url)
    with pytest.raises(WebhookRefused, match="127.0.0.1 is not a public address"):
        address_check("127.0.0.1")
    from notifications.safety import resolve

    with pytest.raises(WebhookRefused, match="not a public address"):
        resolve("localhost", 443)  # a public-looking name whose answer is private


def test_the_connected_address_is_checked_again(settings, fake):
    """A DNS answer that changes after the check (rebinding) still meets the check on the socket's peer."""
    settings.WEBHOOK_ALLOW_LOOPBACK_FOR_TESTS = False
    port = int(fake.url.split(":")[2].split("/")[0])
    connection = _PinnedHTTP("hooks.example.com", port, timeout=2)
    connection.address = "127.0.0.1"
    with pytest.raises(WebhookRefused, match="not a public address"):
        connection.connect()
    assert fake.received == []


def _hook(team, user, fake, fmt="slack", events=()):
    return webhook_create(team=team, user=user, url=fake.url, format=fmt, events=list(events))


def _emit(team, key="k1", event="live_drift"):
    event_emit(team=team, event=event, key=key, title="spx v1 drifted", body="live Sharpe below the band")


def test_slack_delivery_with_retry_after_a_5xx(fake, alice, team_a, django_capture_on_commit_callbacks):
    hook = _hook(team_a, alice, fake)
    fake.fail_next(1, status=503)
    with django_capture_on_commit_callbacks(execute=False):
        _emit(team_a)
    delivery = delivery_send(delivery_id=Delivery.objects.get(webhook=hook).pk, sleep=lambda s: None)
    assert delivery.status == "sent" and delivery.attempts == 2 and delivery.response_status == 200
    assert fake.received[-1]["json"] == {"text": "*spx v1 drifted*\nlive Sharpe below the band"}
    assert delivery_send(delivery_id=delivery.pk) is None  # sent once


def test_discord_and_json_formats(fake, alice, team_a, django_capture_on_commit_callbacks):
    discord, plain = _hook(team_a, alice, fake, "discord"), _hook(team_a, alice, fake, "json")
    with django_capture_on_commit_callbacks(execute=False):
        _emit(team_a)
    delivery_send(delivery_id=Delivery.objects.get(webhook=discord).pk)
    delivery_send(delivery_id=Delivery.objects.get(webhook=plain).pk)
    bodies = [r["json"] for r in fake.received]
    assert bodies[0] == {"content": "**spx v1 drifted**\nlive Sharpe below the band"}
    assert bodies[1]["event"] == "live_drift" and bodies[1]["team"] == "team-a"


def test_redirects_are_not_followed(fake, alice, team_a, django_capture_on_commit_callbacks):
    hook = _hook(team_a, alice, fake)
    fake.redirect_next(1)
    with django_capture_on_commit_callbacks(execute=False):
        _emit(team_a)
    delivery = delivery_send(delivery_id=Delivery.objects.get(webhook=hook).pk, sleep=lambda s: None)
    assert delivery.status == "failed" and delivery.response_status == 302 and "not followed" in delivery.error
    assert len(fake.received) == 1


def test_timeout_then_backoff_then_give_up(fake, alice, team_a, settings, django_capture_on_commit_callbacks):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.2
    hook = _hook(team_a, alice, fake)
    fake.delay_next(3, 0.6)
    waits = []
    with django_capture_on_commit_callbacks(execute=False):
        _emit(team_a)
    delivery = delivery_send(delivery_id=Delivery.objects.get(webhook=hook).pk, sleep=waits.append)
    assert delivery.status == "failed" and delivery.attempts == 3 and "timed out" in delivery.error
    assert waits == [settings.WEBHOOK_BACKOFF_SECONDS, 2 * settings.WEBHOOK_BACKOFF_SECONDS]


def test_events_filter_and_one_delivery_per_happening(fake, alice, team_a, django_capture_on_commit_callbacks):
    only_drift = _hook(team_a, alice, fake, events=["live_drift"])
    with django_capture_on_commit_callbacks(execute=False):
        _emit(team_a, key="a")
        _emit(team_a, key="a")  # announced twice
        _emit(team_a, key="b", event="trial_succeeded")
    assert list(Delivery.objects.filter(webhook=only_drift).values_list("key", flat=True)) == ["a"]


def test_url_is_encrypted_and_masked_and_owners_alone_manage_webhooks(fake, alice, bob, charlie, team_a, api_as):
    response = api_as(alice).post(
        "/api/teams/team-a/webhooks/", {"url": fake.url, "format": "slack", "events": []}, format="json"
    )
    assert response.status_code == 201, response.content
    assert "secret" not in response.json()["url"] and response.json()["url"].startswith("••••")
    stored = Webhook.objects.get()
    assert "XXXXsecretXXXX" not in stored.url_encrypted
    assert api_as(bob).post("/api/teams/team-a/webhooks/", {"url": fake.url, "format": "json"},
                            format="json").status_code == 403  # fmt: skip
    assert api_as(charlie).get("/api/teams/team-a/webhooks/").status_code == 404
    assert api_as(charlie).delete(f"/api/teams/team-a/webhooks/{stored.pk}/").status_code == 404
    refused = api_as(alice).post(
        "/api/teams/team-a/webhooks/", {"url": "https://10.0.0.5/x", "format": "json"}, format="json"
    )
    assert refused.status_code == 400 and "not a public address" in refused.json()["url"]


def test_delivery_log_is_for_owners(fake, alice, bob, charlie, team_a, api_as, django_capture_on_commit_callbacks):
    hook = _hook(team_a, alice, fake)
    with django_capture_on_commit_callbacks(execute=False):
        _emit(team_a)
    delivery_send(delivery_id=Delivery.objects.get(webhook=hook).pk)
    log = api_as(alice).get("/api/teams/team-a/webhook-deliveries/")
    assert log.status_code == 200 and log.json()[0]["status"] == "sent"
    assert api_as(bob).get("/api/teams/team-a/webhook-deliveries/").status_code == 403
    assert api_as(charlie).get("/api/teams/team-a/webhook-deliveries/").status_code == 404


def test_owners_add_and_remove_webhooks_on_the_page(fake, alice, bob, charlie, team_a, client):
    """The notifications page's form: the same checks as the API, refusals shown as a message, owners only."""
    client.force_login(alice)
    form = {"url": fake.url, "format": "slack", "events": ["live_drift"]}
    page = client.post("/notifications/team-a/webhooks/", form, follow=True)
    stored = Webhook.objects.get()
    assert (stored.format, stored.events) == ("slack", ["live_drift"]) and "Webhook added" in page.content.decode()
    assert stored.url_masked in page.content.decode() and fake.url not in page.content.decode()
    refused = client.post("/notifications/team-a/webhooks/", {"url": "https://10.0.0.5/x", "format": "json"},
                          follow=True).content.decode()  # fmt: skip
    assert "not a public address" in refused and Webhook.objects.count() == 1
    client.force_login(bob)  # a member, not an owner
    assert (
        "Webhook not added"
        in client.post(
            "/notifications/team-a/webhooks/", {"url": fake.url, "format": "json"}, follow=True
        ).content.decode()
    )
    client.post(f"/notifications/team-a/webhooks/{stored.pk}/delete/")
    assert Webhook.objects.count() == 1
    client.force_login(charlie)
    assert client.post(f"/notifications/team-a/webhooks/{stored.pk}/delete/").status_code == 404
    assert client.post("/notifications/team-a/webhooks/", {"url": fake.url, "format": "json"}).status_code == 404
    client.force_login(alice)
    client.post(f"/notifications/team-a/webhooks/{stored.pk}/delete/")
    assert Webhook.objects.count() == 0
