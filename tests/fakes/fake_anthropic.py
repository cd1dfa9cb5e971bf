"""A local stand-in for Anthropic's Messages API, for the AI coach's tests through the real `anthropic` SDK.

Speaks `POST /v1/messages` as documented: the key in `x-api-key` (the documented header) or as
`Authorization: Bearer <key>` (what the anthropic SDK 2.x sends), an `anthropic-version` date header (the SDK
sends its own pinned version, so any YYYY-MM-DD is accepted and recorded), a JSON body with `model`,
`max_tokens`, `system`, `messages` and `tools`; answers a Message object {"id", "type": "message", "role":
"assistant", "model", "content": [text and tool_use blocks], "stop_reason", "stop_sequence", "usage"} and errors
as {"type": "error", "error": {"type": ..., "message": ...}} (401 authentication_error for a wrong key, 529
overloaded_error, ...). Like the real API it refuses (400) a history in which an assistant's tool_use is not
answered by tool_result blocks at the start of the next user turn, so tests prove the coach keeps history valid.

Replies are scripted per test: `reply(text("..."), tool_use({...}))` queues one answer, `reply_error(500)` an
error in its place; with none queued the fake says a short text and ends its turn. `requests` records every
request: {"method", "path", "headers" (lower-case names), "body"}. Knobs from FakeApiServer: fail_next(n, status),
rate_limit_next(n), delay_next(n, seconds).
"""

import itertools
import json
import re
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .base import FakeApiServer, send_json

VALID_KEY = "sk-ant-api03-fake-test-key-0123456789abcdefghijklmnopqrstuvwxyz"
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


def text(value: str) -> dict:
    return {"type": "text", "text": value}


_ids = itertools.count(1)


def tool_use(tool_input: Any, *, name: str = "propose_trial", block_id: str | None = None) -> dict:
    return {"type": "tool_use", "id": block_id or f"toolu_fake{next(_ids):06d}", "name": name, "input": tool_input}


class FakeAnthropic(FakeApiServer):
    def __init__(self, *, api_key: str = VALID_KEY) -> None:
        super().__init__()
        self.api_key = api_key
        self.event_delay = 0.0
        self.cache_read_tokens = 0  # reported as cache_read_input_tokens in every answer's usage
        self._replies: deque[tuple[list[dict], str | int | None, str | None]] = deque()

    # Scripting.
    def reply(self, *content: dict, stop_reason: str | None = None, fail_midway: str | None = None) -> None:
        """Queue the next answer; stop_reason defaults to tool_use when it calls a tool, else end_turn.
        `fail_midway` (an error type such as overloaded_error): a streamed answer sends its content blocks, then an
        SSE error event in place of message_delta and message_stop (as the API does when it fails mid-stream)."""
        with self._lock:
            self._replies.append((list(content), stop_reason, fail_midway))

    def reply_error(self, status: int, *, times: int = 1) -> None:
        """Queue an error answer in the script (e.g. a follow-up request failing after a good first answer); the
        SDK retries 408, 409, 429 and 5xx twice, so `times=3` makes it give up."""
        with self._lock:
            self._replies.extend([([], status, None)] * times)

    def pending(self) -> int:
        """Scripted answers not yet used."""
        with self._lock:
            return len(self._replies)

    @property
    def bodies(self) -> list[dict]:
        return [request["body"] for request in self.requests]

    def error_body(self, status: int, message: str) -> dict:
        return {"type": "error", "error": {"type": ERROR_TYPES.get(status, "api_error"), "message": message}}

    # The protocol.
    @staticmethod
    def key_sent(headers: dict[str, str]) -> str | None:
        if "x-api-key" in headers:
            return headers["x-api-key"]
        scheme, _, token = headers.get("authorization", "").partition(" ")
        return token if scheme.lower() == "bearer" else None

    def messages(self, headers: dict[str, str], body: Any) -> tuple[int, Any, dict[str, str]] | tuple[str, dict, str]:
        """A JSON response (status, body, headers), or ("stream", message, fail_midway) for a streamed one."""
        if self.key_sent(headers) != self.api_key:
            return 401, self.error_body(401, "invalid x-api-key"), {}
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", headers.get("anthropic-version", "")):
            return 400, self.error_body(400, "anthropic-version: header is required"), {}
        problem = self._invalid(body)
        if problem:
            return 400, self.error_body(400, problem), {}
        with self._lock:
            content, stop_reason, fail_midway = (
                self._replies.popleft() if self._replies else ([text("Noted.")], None, None)
            )
        if isinstance(stop_reason, int):
            message = "Overloaded" if stop_reason == 529 else "Internal server error"
            return stop_reason, self.error_body(stop_reason, message), {}
        if stop_reason is None:
            stop_reason = "tool_use" if any(block["type"] == "tool_use" for block in content) else "end_turn"
        output_tokens = sum(len(json.dumps(block)) for block in content) // 4
        message = {
            "id": f"msg_fake{next(_ids):06d}",
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": {
                "input_tokens": len(json.dumps(body)) // 4,
                "output_tokens": output_tokens,
                "cache_read_input_tokens": self.cache_read_tokens,
                "cache_creation_input_tokens": 0,
            },
        }
        if body.get("stream") is True:
            return "stream", message, fail_midway
        return 200, message, {"request-id": f"req_fake{next(_ids):06d}"}

    @staticmethod
    def stream_events(message: dict, fail_midway: str | None = None) -> list[tuple[str, dict]]:
        """The server-sent events of a streamed answer, in the documented order."""
        usage = message["usage"]
        start = {**message, "content": [], "stop_reason": None, "usage": {**usage, "output_tokens": 1}}
        events: list[tuple[str, dict]] = [("message_start", {"type": "message_start", "message": start})]
        for index, block in enumerate(message["content"]):
            if block["type"] == "text":
                opening, pieces = {"type": "text", "text": ""}, re.findall(r"\S+\s*|\s+", block["text"])
                deltas = [{"type": "text_delta", "text": piece} for piece in pieces]
            elif block["type"] == "tool_use":
                opening = {**block, "input": {}}
                raw = json.dumps(block["input"])
                deltas = [{"type": "input_json_delta", "partial_json": raw[i : i + 16]} for i in range(0, len(raw), 16)]
            else:
                opening, deltas = block, []
            events.append(
                ("content_block_start", {"type": "content_block_start", "index": index, "content_block": opening})
            )
            if index == 0:
                events.append(("ping", {"type": "ping"}))
            events += [
                ("content_block_delta", {"type": "content_block_delta", "index": index, "delta": d}) for d in deltas
            ]
            events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
        if fail_midway:
            error = {"type": "error", "error": {"type": fail_midway, "message": "Overloaded"}}
            return [*events, ("error", error)]
        delta = {"stop_reason": message["stop_reason"], "stop_sequence": None}
        events.append(
            (
                "message_delta",
                {"type": "message_delta", "delta": delta, "usage": {"output_tokens": usage["output_tokens"]}},
            )
        )
        events.append(("message_stop", {"type": "message_stop"}))
        return events

    @staticmethod
    def _invalid(body: Any) -> str | None:
        if not isinstance(body, dict):
            return "the body must be a JSON object"
        for field in ("model", "max_tokens", "messages"):
            if field not in body:
                return f"{field}: Field required"
        messages = body["messages"]
        if not isinstance(messages, list) or not messages or messages[0].get("role") != "user":
            return "messages: the first message must use the user role"
        for index, message in enumerate(messages):
            if index and message["role"] == messages[index - 1]["role"]:
                return f"messages.{index}: roles must alternate between user and assistant"
            content = message["content"]
            blocks = [text(content)] if isinstance(content, str) else content
            if message["role"] != "assistant":
                continue
            called = [block["id"] for block in blocks if block.get("type") == "tool_use"]
            if not called:
                continue
            following = messages[index + 1]["content"] if index + 1 < len(messages) else []
            answered = []
            for block in following if isinstance(following, list) else []:
                if block.get("type") != "tool_result":
                    break
                answered.append(block.get("tool_use_id"))
            if sorted(answered) != sorted(called):
                return (
                    f"messages.{index + 1}: `tool_use` ids were found without `tool_result` blocks immediately "
                    f"after: {', '.join(sorted(set(called) - set(answered)))}. Each `tool_use` block must have a "
                    "corresponding `tool_result` block in the next message."
                )
        return None

    # Plumbing: FakeApiServer's lifecycle and fault knobs, with POST and JSON bodies.
    def start(self) -> "FakeAnthropic":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            wbufsize = -1

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                fake._handle_post(self)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self._stopping.clear()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="FakeAnthropic", daemon=True
        )
        self._thread.start()
        return self

    def _handle_post(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length)
        headers = {name.lower(): value for name, value in handler.headers.items()}
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            body = None
        with self._lock:
            self.requests.append(
                {
                    "method": "POST",
                    "path": handler.path,
                    "headers": headers,
                    "body": body,
                    "received_at": time.monotonic(),
                }
            )
            fault = self._faults.popleft() if self._faults else None
        delay = self.delay_seconds
        if fault and fault[0] == "delay":
            delay, fault = fault[1], None
        if delay and self._stopping.wait(delay):
            return
        if fault and fault[0] == "status":
            message = "Overloaded" if fault[1] == 529 else "Internal server error"
            status, payload, extra = fault[1], self.error_body(fault[1], message), {}
        elif fault and fault[0] == "429":
            status, payload = 429, self.error_body(429, "Number of request tokens has exceeded your rate limit")
            extra = {"retry-after": fault[1]} if fault[1] is not None else {}
        elif handler.path.split("?")[0] != "/v1/messages":
            status, payload, extra = 404, self.error_body(404, f"Not found: {handler.path}"), {}
        else:
            answer = self.messages(headers, body)
            if answer[0] == "stream":
                self._send_stream(handler, self.stream_events(answer[1], answer[2]))
                return
            status, payload, extra = answer
        send_json(handler, status, payload, extra)

    def _send_stream(self, handler: BaseHTTPRequestHandler, events: list[tuple[str, dict]]) -> None:
        def chunk(data: bytes) -> None:
            handler.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            handler.wfile.flush()

        try:
            handler.send_response(200)
            handler.send_header("Content-Type", "text/event-stream; charset=utf-8")
            handler.send_header("Cache-Control", "no-cache")
            handler.send_header("Transfer-Encoding", "chunked")
            handler.send_header("request-id", f"req_fake{next(_ids):06d}")
            handler.end_headers()
            handler.wfile.flush()
            for name, data in events:
                if self.event_delay and self._stopping.wait(self.event_delay):
                    return
                chunk(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())
            chunk(b"")
        except (BrokenPipeError, ConnectionResetError):
            pass
