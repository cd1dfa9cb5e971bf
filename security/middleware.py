"""Middleware that keeps bad requests from reaching views and broken responses from wedging the process."""

import logging
import time

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.core.handlers.asgi import ASGIRequest
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse

from .inputs import text_problem

logger = logging.getLogger(__name__)

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_PAGE_METHODS = ("GET", "HEAD", "POST", "OPTIONS")


def _refuse(request: HttpRequest, status: int, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=status)
    return HttpResponse(message + "\n", status=status, content_type="text/plain; charset=utf-8")


class InputGuardMiddleware:
    """400 for a NUL byte or a lone surrogate in the path, a query parameter or a form field (JSON bodies are
    checked by security.parsers.SafeJSONParser), and 405 for PUT, PATCH and DELETE on pages (only the API has
    such verbs)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def _problem(self, request: HttpRequest) -> str | None:
        problem = text_problem(request.path)
        if problem:
            return f"the URL path {problem}"
        sources = [("query parameter", request.GET)]
        if request.method == "POST" and request.content_type in _FORM_TYPES:
            sources.append(("form field", request.POST))
        for kind, values in sources:
            for name, items in values.lists():
                problem = text_problem(name) or next(filter(None, map(text_problem, items)), None)
                if problem:
                    return f"{kind} {name!r} {problem}"
        return None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/") and request.method not in _PAGE_METHODS:
            response = _refuse(request, 405, f"{request.method} is not allowed on pages")
            response["Allow"] = ", ".join(_PAGE_METHODS)
            return response
        problem = self._problem(request)
        if problem:
            return _refuse(request, 400, problem.replace("\x00", "\\x00"))
        return self.get_response(request)


def _guarded(parts, path: str):
    """A streamed body that ends cleanly when producing it fails: the error is logged and a last line says the
    file is incomplete. Raising instead would skip the response's close(), so the request would never finish
    and its database connection would never return to the pool."""
    try:
        yield from parts
    except Exception:  # noqa: BLE001 - the headers are out; all that is left is to end the body honestly
        logger.exception("streamed response for %s failed part way; ending it", path)
        yield b"\r\n# error: the server failed while producing this file; it is incomplete\r\n"


async def _aguarded(parts, path: str):
    try:
        async for part in parts:
            yield part
    except Exception:  # noqa: BLE001 - as in _guarded
        logger.exception("streamed response for %s failed part way; ending it", path)
        yield b"\r\n# error: the server failed while producing this file; it is incomplete\r\n"


STREAM_BATCH_BYTES = 64 * 1024  # what the ASGI handler sends per message anyway


class _Batches:
    """A synchronous stream's parts joined up to STREAM_BATCH_BYTES at a time; b"" once it is exhausted. A part
    that fails is raised after the parts before it have been handed out, as the unbatched stream would."""

    def __init__(self, content):
        self.parts = iter(content)
        self.error: Exception | None = None

    def next(self) -> bytes:
        if self.error is not None:
            error, self.error = self.error, None
            raise error
        batch, size = [], 0
        try:
            for part in self.parts:
                batch.append(part)
                size += len(part)
                if size >= STREAM_BATCH_BYTES:
                    break
        except Exception as exc:  # noqa: BLE001 - raised again at the next call, once this batch is out
            if not batch:
                raise
            self.error = exc
        return b"".join(batch)


async def _nothing():
    return
    yield  # an async generator that yields nothing: an empty body Django need not read synchronously


async def _pulled(content):
    """A synchronous stream served asynchronously, a batch at a time. Under ASGI Django reads a synchronous
    iterator whole before it sends the first byte (and holds all of it in memory); this pulls it in the request's
    own thread (thread_sensitive: where its database cursor lives), so the first rows go out while the rest are
    still being read and memory stays one batch deep. The response's close() still closes the original iterator
    (in that thread too), however the stream ends."""
    batches = _Batches(content)
    pull = sync_to_async(batches.next, thread_sensitive=True)
    while batch := await pull():
        yield batch


class ResponseGuardMiddleware:
    """HEAD responses carry no body (ASGI servers send what they are given, and a body after a HEAD corrupts the
    next response on a keep-alive connection); every streamed body is guarded by _guarded, and under ASGI a
    synchronous one is served by _pulled, so it streams."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method == "HEAD":
            if response.streaming:  # the original iterator is closed with the response, unread
                response.streaming_content = _nothing() if isinstance(request, ASGIRequest) else []
            else:
                response.content = b""
        elif response.streaming:
            content = response.streaming_content
            if response.is_async:
                response.streaming_content = _aguarded(content, request.path)
            elif isinstance(request, ASGIRequest):
                response.streaming_content = _aguarded(_pulled(content), request.path)
            else:
                response.streaming_content = _guarded(content, request.path)
        return response


RENEWED_AT = "_idle_renewed_at"


class SessionIdleMiddleware:
    """Sessions end SESSION_COOKIE_AGE (SESSION_IDLE_MINUTES) after the last request. Rather than saving the session
    on every request (a write per page), it is renewed once a twentieth of that time has passed since the last
    renewal, so the idle timeout holds to within 5% and most requests write nothing. Goes after
    AuthenticationMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and "_auth_user_id" in request.session:
            now = int(time.time())
            if now - request.session.get(RENEWED_AT, 0) >= settings.SESSION_COOKIE_AGE / 20:
                request.session[RENEWED_AT] = now  # modified: SessionMiddleware saves it with a new expiry
        return self.get_response(request)


@receiver(user_logged_in)
def _session_renewed_at_login(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is not None and "_auth_user_id" in session:  # a page login (a token login has no session)
        session[RENEWED_AT] = int(time.time())
