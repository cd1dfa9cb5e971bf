"""HEAD against real servers on one keep-alive connection: the HEAD answer carries headers and no body, so the GET
sent after it on the same connection is read intact. Checked for a streamed CSV export and for a response over
64 KiB (the API schema), the two cases that used to corrupt the next response, on the production server
(`python -m mltrainer_site.serve`: uvicorn, as `make run`, the image and the manifests start it) and on daphne
(the browser tests' server)."""

import json
import os
import select
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework_simplejwt.tokens import RefreshToken

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db(transaction=True)  # the server process must see the cast


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


SERVERS = {
    "serve": lambda port: ["mltrainer_site.serve", "--host", "127.0.0.1", "--port", str(port)],
    "daphne": lambda port: ["daphne", "-b", "127.0.0.1", "-p", str(port), "mltrainer_site.asgi:application"],
}


@pytest.fixture(scope="module", params=sorted(SERVERS))  # one server for both tests
def server_port(request):
    port = _free_port()
    env = {**os.environ, "MLTRAINER_TEST_RUN": str(settings.MLTRAINER_TEST_RUN), "MLTRAINER_TEST_SERVER": "1"}
    env.update(DJANGO_SETTINGS_MODULE="tests.settings", WEB_CONCURRENCY="1")
    server = subprocess.Popen(
        [sys.executable, "-m", *SERVERS[request.param](port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError(f"{request.param} did not start") from None
                time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


class Connection:
    """One TCP connection, read byte by byte as HTTP/1.1 frames it: nothing a library could drop or buffer."""

    def __init__(self, port: int, token: str):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.token = token
        self.buffer = b""

    def send(self, method: str, path: str) -> None:
        request = (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {self.token}\r\n"
            "Accept: application/json, text/csv, */*\r\nConnection: keep-alive\r\n\r\n"
        )
        self.sock.sendall(request.encode())

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buffer += chunk

    def _take(self, n: int) -> bytes:
        while len(self.buffer) < n:
            self._fill()
        taken, self.buffer = self.buffer[:n], self.buffer[n:]
        return taken

    def _line(self) -> bytes:
        while b"\r\n" not in self.buffer:
            self._fill()
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def head_part(self) -> tuple[str, dict[str, str]]:
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        raw, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status, *lines = raw.decode("latin-1").split("\r\n")
        return status, {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}

    def body(self, headers: dict[str, str]) -> bytes:
        if headers.get("transfer-encoding") == "chunked":
            body = b""
            while size := int(self._line().split(b";")[0], 16):
                body += self._take(size)
                assert self._take(2) == b"\r\n"
            assert self._line() == b""  # no trailers
            return body
        return self._take(int(headers.get("content-length", "0")))

    def pending(self, wait: float = 1.0) -> bytes:
        """Whatever else arrives within `wait` seconds: after a HEAD answer, nothing may."""
        deadline = time.monotonic() + wait
        while (left := deadline - time.monotonic()) > 0:
            readable, _, _ = select.select([self.sock], [], [], left)
            if not readable:
                break
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            self.buffer += chunk
        return self.buffer

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def connection(server_port, alice):
    conn = Connection(server_port, str(RefreshToken.for_user(alice).access_token))
    yield conn
    conn.close()


def test_head_on_a_streamed_export_then_get_on_the_same_connection(connection, alice, team_a, make_trial):
    trial = make_trial(alice, team_a, name="=HYPERLINK(1)")
    connection.send("HEAD", "/api/trials/export.csv")
    status, headers = connection.head_part()
    assert status == "HTTP/1.1 200 OK" and headers["content-type"] == "text/csv"
    assert connection.pending() == b"", "the HEAD answer carried a body"

    connection.send("GET", "/api/trials/export.csv")
    status, headers = connection.head_part()
    assert status == "HTTP/1.1 200 OK" and headers["content-type"] == "text/csv"
    lines = connection.body(headers).decode().splitlines()
    assert lines[0].startswith("id,name,team,model,")
    assert lines[1].startswith(f"{trial.pk},'=HYPERLINK(1),team-a,logistic_regression,") and len(lines) == 2


def test_head_on_a_large_response_then_get_on_the_same_connection(connection):
    connection.send("HEAD", "/api/schema/?format=json")
    status, headers = connection.head_part()
    assert status == "HTTP/1.1 200 OK"
    assert int(headers["content-length"]) > 64 * 1024  # what HEAD describes is the large body it leaves out
    assert connection.pending() == b"", "the HEAD answer carried a body"

    connection.send("GET", "/api/schema/?format=json")
    status, headers = connection.head_part()
    assert status == "HTTP/1.1 200 OK"
    schema = json.loads(connection.body(headers))
    assert schema["info"]["title"] == "mlTrainer API" and "/api/trials/" in schema["paths"]

    connection.send("GET", "/api/trials/")  # and the connection still serves a third request
    status, headers = connection.head_part()
    assert status == "HTTP/1.1 200 OK" and isinstance(json.loads(connection.body(headers)), dict | list)
