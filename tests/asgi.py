"""Requests through the real ASGI application, for tests that need the web server's own path (its handler, the
streaming middleware, what runs after the response) rather than Django's test client."""

import asyncio

from asgiref.testing import ApplicationCommunicator

from mltrainer_site.asgi import application


def asgi_request(method: str, path: str, *, query: bytes = b"", headers=(), body: bytes = b"") -> dict:
    """One request through the real ASGI application (as the web server serves it); status, headers and the whole
    body."""

    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 40000),
        "server": ("testserver", 80),
    }

    async def call():
        communicator = ApplicationCommunicator(application, scope)
        await communicator.send_input({"type": "http.request", "body": body})
        start = await communicator.receive_output(timeout=10)
        answer = b""
        while True:  # until the message that ends the body: a request that never ends times out here
            message = await communicator.receive_output(timeout=10)
            answer += message.get("body", b"")
            if not message.get("more_body"):
                break
        await communicator.wait(timeout=10)
        return {"status": start["status"], "headers": start["headers"], "body": answer}

    return asyncio.run(call())
