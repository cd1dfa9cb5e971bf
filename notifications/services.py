"""Everything that announces or configures notifications: events go to team members' bells (and email, for
those who chose it) and to the team's webhooks, delivered by the worker with retries and a log."""

import http.client
import json
import logging
import time

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Membership, Team, User
from accounts.services import OWNERS, membership_require, user_preference_set
from market_data.crypto import decrypt_secret, encrypt_secret, mask_secret
from mltrainer_site.broker import BrokerDown, send_task

from .models import Delivery, Event, Notification, Webhook
from .safety import WebhookRefused, post_json, resolve, url_check

logger = logging.getLogger(__name__)

PREFERENCE = "notifications"  # User.preferences[PREFERENCE] = {"muted": [...events], "email": [...events]}


def preferences_of(user: User) -> dict:
    chosen = (user.preferences or {}).get(PREFERENCE) or {}
    return {"muted": list(chosen.get("muted") or []), "email": list(chosen.get("email") or [])}


def preferences_set(*, user: User, muted: list[str], email: list[str]) -> dict:
    unknown = (set(muted) | set(email)) - set(Event.values)
    if unknown:
        raise ValueError(f"unknown events: {', '.join(sorted(unknown))}")
    user_preference_set(user=user, key=PREFERENCE, value={"muted": sorted(set(muted)), "email": sorted(set(email))})
    return preferences_of(user)


def event_emit(*, team: Team, event: str, key: str, title: str, body: str = "", url: str = "", data=None) -> None:
    """Announce `event` to `team`: a notification for each member who has not muted it (email too for those who
    chose it) and a delivery to each enabled webhook that takes it, sent by the worker after commit. `key`
    names the happening, so announcing it twice makes one of each."""
    members = Membership.objects.filter(team=team).select_related("user")
    for membership in members:
        user = membership.user
        chosen = preferences_of(user)
        if event in chosen["muted"]:
            continue
        try:
            with transaction.atomic():
                Notification.objects.create(user=user, team=team, event=event, key=key, title=title[:300],
                                            body=body, url=url)  # fmt: skip
        except IntegrityError:
            continue  # already announced
        if event in chosen["email"] and user.email:
            _email_after_commit(address=user.email, subject=f"[mlTrainer] {title}"[:200], text=body or title)
    payload = {"event": event, "team": team.slug, "title": title, "body": body, "url": url, "data": data or {}}
    for webhook in Webhook.objects.filter(team=team, enabled=True):
        if webhook.events and event not in webhook.events:
            continue
        delivery, created = Delivery.objects.get_or_create(
            webhook=webhook, key=key, defaults={"event": event, "payload": payload}
        )
        if created:
            _deliver_after_commit(delivery_id=delivery.pk)


def _email_after_commit(*, address: str, subject: str, text: str) -> None:
    transaction.on_commit(lambda: send_mail(subject, text, None, [address], fail_silently=True))


def _deliver_after_commit(*, delivery_id: int) -> None:
    transaction.on_commit(lambda: _send("notifications.tasks.deliver", delivery_id))


def _send(task: str, argument: int) -> None:
    try:
        send_task(task, args=[argument])
    except BrokerDown as exc:
        logger.warning("broker unreachable, %s(%s) not sent: %s", task, argument, exc)


def notifications_read(*, user: User, ids: list[int] | None = None) -> int:
    """Mark the user's notifications read (all of them when `ids` is None); returns how many changed."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())


# --- Webhooks ------------------------------------------------------------------------------------------------


def webhook_create(*, team: Team, user: User, url: str, format: str, events: list[str]) -> Webhook:
    """An owner adds a webhook; the URL is checked (https, a public host) and stored encrypted."""
    membership_require(user=user, team=team, roles=OWNERS, action="add webhooks")
    if format not in Webhook.Format.values:
        raise ValueError(f"format must be one of {', '.join(Webhook.Format.values)}")
    unknown = set(events) - set(Event.values)
    if unknown:
        raise ValueError(f"unknown events: {', '.join(sorted(unknown))}")
    _, host, port, _ = url_check(url)
    resolve(host, port)
    return Webhook.objects.create(
        team=team,
        format=format,
        url_encrypted=encrypt_secret(url.strip(), keys=settings.MLTRAINER_ENCRYPTION_KEYS),
        url_masked=mask_secret(url.strip()),
        events=sorted(set(events)),
        created_by=user,
    )


def webhook_delete(*, webhook: Webhook, user: User) -> None:
    membership_require(user=user, team=webhook.team, roles=OWNERS, action="remove webhooks")
    webhook.delete()


def _body(webhook: Webhook, payload: dict) -> bytes:
    line = f"*{payload['title']}*" + (f"\n{payload['body']}" if payload.get("body") else "")
    if webhook.format == Webhook.Format.SLACK:
        message: dict = {"text": line}
    elif webhook.format == Webhook.Format.DISCORD:
        message = {"content": line.replace("*", "**")[:2000]}
    else:
        message = payload
    return json.dumps(message).encode()


def delivery_send(*, delivery_id: int, sleep=time.sleep) -> Delivery | None:
    """Send one delivery: up to WEBHOOK_ATTEMPTS tries with exponential backoff on a timeout, a connection
    error or a 5xx/429; a refused host or another 4xx/3xx ends it at once. Safe to call twice (claims it)."""
    claimed = Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.FAILED, error="sending"
    )
    if not claimed:
        return None
    delivery = Delivery.objects.select_related("webhook").get(pk=delivery_id)
    webhook = delivery.webhook
    status, code, error, attempts = Delivery.Status.FAILED, None, "", 0
    try:
        url = decrypt_secret(webhook.url_encrypted, keys=settings.MLTRAINER_ENCRYPTION_KEYS)
    except Exception as exc:  # noqa: BLE001 - a key problem is this delivery's failure, logged
        url, error = "", f"cannot decrypt the URL: {exc}"
    body = _body(webhook, delivery.payload)
    while url and attempts < settings.WEBHOOK_ATTEMPTS:
        attempts += 1
        try:
            code = post_json(url, body, timeout=settings.WEBHOOK_TIMEOUT_SECONDS)
        except WebhookRefused as exc:
            status, error = Delivery.Status.REFUSED, str(exc)
            break
        except (OSError, http.client.HTTPException) as exc:
            error = f"{type(exc).__name__}: {exc}"
        else:
            if 200 <= code < 300:
                status, error = Delivery.Status.SENT, ""
                break
            error = f"HTTP {code}" + (" (redirects are not followed)" if 300 <= code < 400 else "")
            if code < 500 and code != 429:
                break
        if attempts < settings.WEBHOOK_ATTEMPTS:
            sleep(settings.WEBHOOK_BACKOFF_SECONDS * 2 ** (attempts - 1))
    Delivery.objects.filter(pk=delivery_id).update(
        status=status, response_status=code, error=error[:1000], attempts=attempts, finished_at=timezone.now()
    )
    delivery.refresh_from_db()
    if status != Delivery.Status.SENT:
        logger.warning("webhook %s delivery %s %s: %s", webhook.pk, delivery_id, status, error)
    return delivery
