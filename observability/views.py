"""/healthz, /readyz and /metrics. ProbeMiddleware calls these before host checks and the HTTPS redirect."""

import hmac
import ipaddress
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from . import health, metrics

logger = logging.getLogger(__name__)

# Headers a reverse proxy adds. A request carrying one came through the ingress, so its socket address is the
# proxy's, not the client's: the network allowance must not apply to it.
_PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_FORWARDED")


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers and is not wedged (its database pool is not held by leaked connections).
    Touches no dependency, so an outage elsewhere never restarts the pod."""
    wedged = health.database_pool_wedged()
    if wedged:
        logger.error("not alive: %s", wedged)
        return JsonResponse({"status": "wedged", "reason": wedged}, status=503)
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness. Which dependency is down is public; why (the error text) only for the metrics token or an
    allowed network (see metrics_allowed), since error messages describe the inside of the deployment."""
    ready, checks = health.readiness()
    detail = {"checks": checks} if metrics_allowed(request) else {}
    if not ready:
        down = sorted(name for name, result in checks.items() if not result.startswith("ok"))
        logger.warning("not ready: %s", "; ".join(f"{name} {checks[name]}" for name in down))
        return JsonResponse({"status": "unavailable", "down": down, **detail}, status=503)
    return JsonResponse({"status": "ok", **detail})


def _bearer_token(request: HttpRequest) -> str | None:
    scheme, _, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _from_allowed_network(request: HttpRequest) -> bool:
    networks = settings.METRICS_ALLOWED_NETWORKS
    if not networks or any(header in request.META for header in _PROXY_HEADERS):
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in networks)


def metrics_allowed(request: HttpRequest) -> bool:
    token = _bearer_token(request)
    if settings.METRICS_TOKEN and token is not None:
        return hmac.compare_digest(token.encode(), settings.METRICS_TOKEN.encode())
    if _from_allowed_network(request):
        return True
    # Nothing configured: open only on a developer's machine.
    return settings.DEBUG and not settings.METRICS_TOKEN and not settings.METRICS_ALLOWED_NETWORKS


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not metrics_allowed(request):
        response = HttpResponse("metrics need a bearer token or an allowed network\n", status=401)
        response["Content-Type"] = "text/plain; charset=utf-8"
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body = generate_latest(metrics.scrape_registry(with_state=True))
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
