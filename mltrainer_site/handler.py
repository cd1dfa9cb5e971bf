"""Django's ASGI handler with the middleware chain loaded in its synchronous mode, and request threads reused.

Every view of the site is synchronous and most middlewares are too. Django's own ASGIHandler loads the chain in
async mode, so each switch between a sync-only middleware and an async-capable one (MiddlewareMixin runs its
process_request and process_response through sync_to_async in async mode) and the view itself cost a hop between
the event loop and the request's thread: about ten per API request. Here the whole chain and the view run in one
call in the request's thread, as under WSGI (and as the test client runs them); the event loop only reads the
request and sends the response.

Each request still has a thread of its own, so a slow request does not hold up the others of the process. Django
starts a new thread per request and joins it at the end, blocking the event loop while it does; here the thread
comes from a small pool of idle ones and goes back to it. At most WEB_THREADS views run at once in a process; the
requests beyond wait their turn, in order, before their view starts (a streamed body, such as an export's, goes on
outside that count). One process runs one thread of Python at a time: more threads than a few only take turns on
its lock, in no particular order, and each holds a database connection (with 50 users at once, 25 requests in one
process's views made its pool of SQLite connections run dry: each new one cost 2.5 ms).

A request crosses to its thread once: Django's handler also sends request_started (through sync_to_async) before
the view and closes the response (request_finished: old database connections closed) after it is sent, in two more
crossings that the client waits for. Here request_started is sent in the same call as the view, and the close is
queued on the request's thread once the response is sent: it runs before anything else that thread does, and the
client has its answer meanwhile. What the request deferred until after its response (mltrainer_site.after_response)
runs in that same call, just before the close.
"""

import asyncio
import contextlib
import logging
from concurrent.futures import Future, ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.http import FileResponse
from django.urls import set_script_prefix

from . import after_response

logger = logging.getLogger(__name__)

IDLE_THREADS = 8  # kept for the next requests; more are started while more requests are in flight


class SyncChainASGIHandler(ASGIHandler):
    def __init__(self):
        BaseHandler.__init__(self)
        self.load_middleware(is_async=False)
        self._idle: list[ThreadPoolExecutor] = []
        self._views = asyncio.Semaphore(settings.WEB_THREADS)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        thread = self._idle.pop() if self._idle else ThreadPoolExecutor(1, thread_name_prefix="request")
        try:
            async with ThreadSensitiveContext(executor=thread):
                await self._handle(scope, receive, send, thread)
        finally:
            if len(self._idle) < IDLE_THREADS:
                self._idle.append(thread)
            else:
                thread.shutdown(wait=False)

    def _respond(self, scope, body_file):
        """In the request's thread: request_started, the request, the middleware chain and the view."""
        signals.request_started.send(sender=self.__class__, scope=scope)
        after_response.collect()
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
        response._handler_class = self.__class__
        if isinstance(response, FileResponse):
            response.block_size = self.chunk_size  # the ASGI server does the low-level chunking
        return response

    async def _handle(self, scope, receive, send, thread: ThreadPoolExecutor) -> None:
        """ASGIHandler.handle with one crossing to the request's thread (see the module's docstring)."""
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))

        async def process_request():
            async with self._views:
                response = await sync_to_async(self._respond, thread_sensitive=True)(scope, body_file)
            with contextlib.suppress(asyncio.CancelledError):  # the client left while the response was being sent
                await self.send_response(response, send)
            return response

        # As Django's: a disconnect while the response is made or streamed cancels it (an export stops).
        listening, processing = (
            asyncio.create_task(self.listen_for_disconnect(receive)),
            asyncio.create_task(process_request()),
        )
        await asyncio.wait([listening, processing], return_when=asyncio.FIRST_COMPLETED)
        for task in (listening, processing):
            if task.done():
                try:
                    task.result()
                except RequestAborted:
                    pass
                except AssertionError:
                    body_file.close()
                    raise
            else:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        try:
            response = processing.result()
        except asyncio.CancelledError:
            await signals.request_finished.asend(sender=self.__class__)
            body_file.close()
            thread.submit(after_response.run_collected).add_done_callback(_log_failure)  # once its view has ended
            return
        thread.submit(self._close, response, body_file).add_done_callback(_log_failure)

    @staticmethod
    def _close(response, body_file) -> None:
        try:
            after_response.run_collected()
            response.close()
        finally:
            body_file.close()


def _log_failure(done: Future) -> None:
    if done.exception() is not None:
        logger.error("closing a response failed", exc_info=done.exception())
