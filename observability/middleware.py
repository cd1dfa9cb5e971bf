"""Two middlewares: probes answered before anything else, and a request id plus log context for every request."""

import logging
import re
import time
import uuid

from django.http import HttpRequest, HttpResponse

from . import views
from .logging import request_id_var, request_var

request_logger = logging.getLogger("mltrainer.request")

PROBES = {"/healthz": views.healthz, "/readyz": views.readyz, "/metrics": views.metrics_view}
_CLEAN_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class ProbeMiddleware:
    """Answers /healthz, /readyz and /metrics first in the chain (GET and HEAD only).

    Kubelet and Prometheus call pods by IP, over plain HTTP, with whatever Host header they like: these paths
    must not be refused by ALLOWED_HOSTS or redirected to HTTPS. They build no URL from the Host header, which is
    what host validation protects. /metrics keeps its own guard (views.metrics_allowed).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = PROBES.get(request.path_info.rstrip("/") or "/")
        if view is None or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        response = view(request)
        response["Cache-Control"] = "no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response


class RequestContextMiddleware:
    """Gives each request an id (X-Request-ID from the proxy if sane, else a new one), echoes it in the response,
    and puts it and the request in the log context, so every log line of the request carries request_id and
    user_id. Ends with one access line per request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _CLEAN_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        id_token, request_token = request_id_var.set(request_id), request_var.set(request)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            request_logger.info(
                "%s %s %s %.0fms",
                request.method,
                request.path,
                response.status_code,
                (time.monotonic() - started) * 1000,
                extra={"method": request.method, "path": request.path, "status": response.status_code},
            )
            return response
        finally:
            request_id_var.reset(id_token)
            request_var.reset(request_token)
