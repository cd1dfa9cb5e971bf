"""The web server: uvicorn with WEB_CONCURRENCY worker processes, serving HTTP and WebSockets on one port.

`python -m mltrainer_site.serve --host 0.0.0.0 --port 8000` is what `make run`, the image, docker compose and the
Kubernetes manifests start. Django's synchronous views run one at a time per process under ASGI, so requests are
spread over several processes (one listening socket, shared); WebSockets need no affinity, their events come
through the Redis channel layer. The prometheus multiprocess directory is emptied here, once, before the workers
start (each worker writing its own files into it), instead of by every worker.

With several processes the application (Django and its apps) is imported once, here, and uvicorn's supervisor
forks the workers from this process instead of spawning fresh interpreters that each import it again: every worker
serves as soon as it exists, and they share the imported code's memory pages.
"""

import argparse
import os
import socket
import sys

from observability.multiproc import clean_multiprocess_dir

CLEANED = "MLTRAINER_METRICS_DIR_CLEANED"  # tells mltrainer_site.asgi that this process cleaned the directory


def worker_count(environ=os.environ) -> int:
    raw = environ.get("WEB_CONCURRENCY", "")
    if not raw:
        return max(1, min(4, os.cpu_count() or 1))
    if not raw.isdigit() or not 1 <= int(raw) <= 64:
        raise SystemExit(f"WEB_CONCURRENCY must be a whole number of worker processes from 1 to 64, got {raw!r}")
    return int(raw)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    workers = worker_count()
    clean_multiprocess_dir()
    os.environ[CLEANED] = "1"

    import uvicorn

    config = uvicorn.Config(
        "mltrainer_site.asgi:application",
        host=args.host,
        port=args.port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        ws="websockets-sansio",
        lifespan="off",  # Channels' router has no lifespan protocol
        access_log=False,  # observability.middleware logs one JSON line per request
        # The client's address is the socket's: the app itself reads X-Forwarded-For (TRUSTED_PROXY_COUNT).
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=2,  # then open connections (WebSockets) are closed; make run kills at 1.5 s
    )
    if workers == 1:
        uvicorn.Server(config).run()
    else:
        serve_forked(config)


def serve_forked(config) -> None:
    """Import the application, then run uvicorn's supervisor (which restarts a worker that dies) forking from here."""
    import gc
    import multiprocessing

    from django.db import connections
    from uvicorn import _subprocess
    from uvicorn.supervisors import Multiprocess

    # Imports mltrainer_site.asgi: Django set up, its apps ready. Not the URL conf: Django loads it at a worker's first
    # routed request (0.15 s), which /healthz is not, and the server answers /healthz that much sooner.
    config.load()
    connections.close_all()  # none should be open; a connection must never be shared by two processes
    # What was imported stays out of the collector's sight: its passes would otherwise write to (and so copy) every
    # page of the imported objects in every worker.
    gc.freeze()
    # uvicorn starts its workers with the "spawn" context (a new interpreter each); "fork" keeps what was imported.
    _subprocess.spawn = multiprocessing.get_context("fork")  # type: ignore[assignment]
    if not hasattr(socket, "SO_REUSEPORT"):  # not Linux nor a BSD: one socket, shared
        Multiprocess(config, sockets=[config.bind_socket()]).run()
        return
    probe = _reuse_port_socket(config.host, config.port)  # fails now, not in every worker, if the port is taken
    config.port = probe.getsockname()[1]  # the port the system chose, when asked for port 0
    probe.close()
    Multiprocess(config, sockets=WorkerSockets(config.host, config.port)).run()


def _reuse_port_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


class WorkerSockets(list):
    """The listening socket of each worker process: its own, bound with SO_REUSEPORT when the worker starts
    serving, so that the kernel spreads new connections evenly over the workers.

    One socket shared by all is accepted from by whichever worker wakes first, and a burst of connections goes
    mostly to one (50 users arriving at once: 37 to one worker, 13 to the other); a keep-alive connection never
    moves, so that worker stays the bottleneck. uvicorn's supervisor hands this list to every worker it forks, and
    the worker's server iterates it to listen: the first iteration in a process binds that process's socket. The
    supervisor itself never listens, so a worker that dies takes its socket out of the kernel's choice."""

    def __init__(self, host: str, port: int):
        super().__init__()
        self.host, self.port, self.pid = host, port, 0

    def __iter__(self):
        if self.pid != os.getpid():
            self.clear()
            self.append(_reuse_port_socket(self.host, self.port))
            self.pid = os.getpid()
        return super().__iter__()


if __name__ == "__main__":
    sys.exit(main())
