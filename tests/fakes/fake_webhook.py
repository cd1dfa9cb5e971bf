"""A local webhook receiver (Slack, Discord or plain JSON: all POST a JSON body), with knobs for failures.

`received` logs every request as {"path", "headers", "json"}. Knobs: fail_next(n, status=500), redirect_next(n)
(a 302 to another path, which a client must not follow), delay_next(n, seconds). Slack answers "ok" as text."""

import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeWebhook:
    def __init__(self) -> None:
        self.received: list[dict] = []
        self._faults: deque[tuple[str, Any]] = deque()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def fail_next(self, n: int, status: int = 500) -> None:
        with self._lock:
            self._faults.extend([("status", status)] * n)

    def redirect_next(self, n: int) -> None:
        with self._lock:
            self._faults.extend([("redirect", None)] * n)

    def delay_next(self, n: int, seconds: float) -> None:
        with self._lock:
            self._faults.extend([("delay", seconds)] * n)

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/services/T000/B000/XXXXsecretXXXX"

    def start(self) -> "FakeWebhook":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                with fake._lock:
                    fake.received.append({"path": self.path, "headers": dict(self.headers), "json": json.loads(raw)})
                    fault = fake._faults.popleft() if fake._faults else None
                status, headers, body = 200, {}, b"ok"
                if fault and fault[0] == "delay":
                    time.sleep(fault[1])
                elif fault and fault[0] == "status":
                    status, body = fault[1], b"server error"
                elif fault and fault[0] == "redirect":
                    status, headers, body = 302, {"Location": "http://127.0.0.1:9/elsewhere"}, b""
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()
