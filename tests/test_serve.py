"""The web server that make run, the image and the manifests start (mltrainer_site.serve): WEB_CONCURRENCY
processes behind one port, HTTP and WebSockets on it, and a prompt stop."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest
import websockets

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "WEB_CONCURRENCY": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
    }
    (tmp_path / "prometheus").mkdir()
    (tmp_path / "prometheus" / "counter_4242.db").write_text("a previous run's")
    process = subprocess.Popen(
        [sys.executable, "-m", "mltrainer_site.serve", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("the web server did not answer /healthz within 90 s")
    yield process, base, port, tmp_path / "prometheus"
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _workers(process) -> list[psutil.Process]:
    """The worker processes: forked from the server once it imported the application, so they run its command line
    (a spawned worker would be a new interpreter running multiprocessing's spawn_main, importing everything again)."""
    server = psutil.Process(process.pid)
    return [child for child in server.children() if child.cmdline() == server.cmdline()]


def test_several_processes_serve_http_and_websockets_on_one_port_and_stop_promptly(server):
    process, base, port, metrics_dir = server
    deadline = time.monotonic() + 60
    while len(_workers(process)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(_workers(process)) == 2
    assert not (metrics_dir / "counter_4242.db").exists()  # emptied once, by the server, before its workers

    with httpx.Client(base_url=base) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        assert client.get("/api/trials/").status_code == 401

    async def anonymous_handshake():
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with websockets.connect(f"ws://127.0.0.1:{port}/ws/trials/1/", open_timeout=30):
                pass
        return refused.value.response.status_code

    assert asyncio.run(anonymous_handshake()) == 403  # the WebSocket route answered (and refused the anonymous)

    # A worker that dies is replaced by a new fork of the server, which serves at once (nothing to import).
    dead = _workers(process)[0]
    dead.kill()
    dead.wait(timeout=10)
    deadline = time.monotonic() + 30
    while {w.pid for w in _workers(process)} & {dead.pid} or len(_workers(process)) < 2:
        assert time.monotonic() < deadline, "the dead worker was not replaced"
        time.sleep(0.1)
    with httpx.Client(base_url=base) as client:
        assert all(client.get("/healthz").json() == {"status": "ok"} for _ in range(4))

    workers = _workers(process)
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=10)
    gone, alive = psutil.wait_procs(workers, timeout=3)
    assert time.monotonic() - started < 3 and not alive


def test_each_worker_listens_on_a_socket_of_its_own_and_the_supervisor_on_none(server):
    """SO_REUSEPORT: the kernel spreads new connections over the workers' sockets by a hash of the connection. With
    one socket shared by all, the worker that woke first took a burst of them (make bench-load's 50 users: 43 on one
    worker, 7 on the other), and keep-alive connections never move."""
    process, base, port, _ = server
    deadline = time.monotonic() + 60
    while len(_workers(process)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)

    def listening(proc: psutil.Process) -> set[str]:
        return {
            os.readlink(f"/proc/{proc.pid}/fd/{c.fd}")  # socket:[inode]: the socket itself, whoever holds it
            for c in proc.net_connections(kind="tcp")
            if c.status == "LISTEN" and c.laddr.port == port
        }

    per_worker = [listening(worker) for worker in _workers(process)]
    assert [len(sockets) for sockets in per_worker] == [1, 1] and per_worker[0] != per_worker[1]
    assert listening(psutil.Process(process.pid)) == set()
    with socket.create_connection(("127.0.0.1", port)) as connection:  # and it serves
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert connection.recv(65536).startswith(b"HTTP/1.1 200")
