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
    Multiprocess(config, sockets=[config.bind_socket()]).run()


if __name__ == "__main__":
    sys.exit(main())
