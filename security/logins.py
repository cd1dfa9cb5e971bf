"""Failed-login lockout (django-axes) around every login: /login/, the admin's login and /api/auth/token/.

Failures are counted per account and per client address; past LOGIN_FAILURE_LIMIT of either, every login
for that account, or from that address, is refused for LOGIN_LOCKOUT_MINUTES, correct password or not."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse


def client_ip(request: HttpRequest) -> str:
    """The client's address: the socket's, or, behind TRUSTED_PROXY_COUNT proxies that each append the address
    they saw to X-Forwarded-For, the entry the outermost trusted proxy appended (anything left of it is whatever
    the client chose to send)."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    hops = settings.TRUSTED_PROXY_COUNT
    if hops:
        forwarded = [item.strip() for item in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if item.strip()]
        if len(forwarded) >= hops:
            candidate = forwarded[-hops]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass
    return remote


def lockout_message() -> str:
    return (
        "Too many failed logins for this account or from this address. "
        f"Try again in {settings.LOGIN_LOCKOUT_MINUTES} minutes, or ask an administrator to unlock it."
    )


def lockout_response(request: HttpRequest, *args) -> HttpResponse:
    """What a locked-out login gets, attacker and account owner alike: 429, the same words, Retry-After."""
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": lockout_message()}, status=429)
    else:
        response = HttpResponse(lockout_message() + "\n", status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(settings.LOGIN_LOCKOUT_MINUTES * 60)
    return response
