"""A real local HTTP server for provider fakes, with knobs for the failures tests need (5xx, 429, slow answers).

Each fake subclasses FakeApiServer and implements `route(path, params) -> (status, body, headers)`, and may
implement `authorize(params, headers)` to refuse a request before any route sees it (a provider checking a key in
a header). Run it with `with FakePolygon() as server: server.base_url` or start()/stop(). Knobs, all thread-safe:

- fail_next(n, status=500): the next n requests get `status` with the provider's error body.
- rate_limit_next(n, retry_after="1"): the next n requests get 429, with Retry-After unless it is None.
- delay_next(n, seconds) / delay_seconds: answer the next n (or every) request only after a pause.

`requests` logs every request as {"method", "path", "params", "headers", "received_at"}: params exactly as
received and headers by lower-cased name, the API key included (keeping keys out of messages is the client's job,
and tests check that the client sent the key), and `received_at` from time.monotonic() in the server's process.
"""

import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

Response = tuple[int, Any, dict[str, str]]


def send_json(handler: BaseHTTPRequestHandler, status: int, body: Any, headers: dict[str, str]) -> None:
    """Answer with a JSON body; a client that already gave up (a timeout test) gets nothing."""
    payload = json.dumps(body).encode()
    try:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(payload)
        handler.wfile.flush()
    except (BrokenPipeError, ConnectionResetError):
        pass


class FakeApiServer:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.delay_seconds = 0.0
        self._faults: deque[tuple[str, Any]] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # Provider-specific parts.
    def route(self, path: str, params: dict[str, str]) -> Response:
        raise NotImplementedError

    def error_body(self, status: int, message: str) -> Any:
        raise NotImplementedError

    def authorize(self, params: dict[str, str], headers: dict[str, str]) -> Response | None:
        """None lets the request through to `route`; a response refuses it. By default every request goes through."""
        return None

    # Knobs.
    def fail_next(self, n: int, status: int = 500) -> None:
        with self._lock:
            self._faults.extend([("status", status)] * n)

    def rate_limit_next(self, n: int, retry_after: str | None = "1") -> None:
        with self._lock:
            self._faults.extend([("429", retry_after)] * n)

    def delay_next(self, n: int, seconds: float) -> None:
        with self._lock:
            self._faults.extend([("delay", seconds)] * n)

    # Lifecycle.
    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake server is not running; call start() or use it as a context manager")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeApiServer":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            wbufsize = -1  # headers and body leave in one write; two small writes meet Nagle's 40 ms delay

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                fake._handle(self)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass  # keep test output quiet

        self._stopping.clear()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=type(self).__name__, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers pausing for a delay
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    # Plumbing.
    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        path = unquote(parts.path)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        headers = {name.lower(): value for name, value in handler.headers.items()}
        with self._lock:
            self.requests.append(
                {"method": "GET", "path": path, "params": params, "headers": headers, "received_at": time.monotonic()}
            )
            fault = self._faults.popleft() if self._faults else None
        delay = self.delay_seconds
        if fault and fault[0] == "delay":
            delay, fault = fault[1], None
        if delay and self._stopping.wait(delay):
            return
        if fault and fault[0] == "status":
            status, body, headers = fault[1], self.error_body(fault[1], "Internal server error"), {}
        elif fault and fault[0] == "429":
            status = 429
            body = self.error_body(429, "Too Many Requests. Exceeded Rate Limit")
            headers = {"Retry-After": fault[1]} if fault[1] is not None else {}
        else:
            status, body, headers = self.authorize(params, headers) or self.route(path, params)
        send_json(handler, status, body, headers)
