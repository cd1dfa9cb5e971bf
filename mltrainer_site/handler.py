"""Django's ASGI handler with the middleware chain loaded in its synchronous mode, and request threads reused.

Every view of the site is synchronous and most middlewares are too. Django's own ASGIHandler loads the chain in
async mode, so each switch between a sync-only middleware and an async-capable one (MiddlewareMixin runs its
process_request and process_response through sync_to_async in async mode) and the view itself cost a hop between
the event loop and the request's thread: about ten per API request. Here the whole chain and the view run in one
call in the request's thread, as under WSGI (and as the test client runs them); the event loop only reads the
request and sends the response.

Each request still has a thread of its own, so a slow request does not hold up the others of the process. Django
starts a new thread per request and joins it at the end, blocking the event loop while it does; here the thread
comes from a small pool of idle ones and goes back to it.
"""

from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.base import BaseHandler

IDLE_THREADS = 8  # kept for the next requests; more are started while more requests are in flight


class SyncChainASGIHandler(ASGIHandler):
    def __init__(self):
        BaseHandler.__init__(self)
        self.load_middleware(is_async=False)
        self._idle: list[ThreadPoolExecutor] = []

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        thread = self._idle.pop() if self._idle else ThreadPoolExecutor(1, thread_name_prefix="request")
        try:
            async with ThreadSensitiveContext(executor=thread):
                await self.handle(scope, receive, send)
        finally:
            if len(self._idle) < IDLE_THREADS:
                self._idle.append(thread)
            else:
                thread.shutdown(wait=False)

    async def get_response_async(self, request):
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)
