"""The ASGI handler (mltrainer_site.handler): the middleware chain and the view run in one thread per request, the
threads are reused, and requests in flight at the same time still have threads of their own."""

import asyncio
import threading

import pytest
from asgiref.sync import iscoroutinefunction
from asgiref.testing import ApplicationCommunicator
from django.http import HttpResponse
from django.urls import path

from mltrainer_site import after_response
from mltrainer_site.asgi import application, django_asgi_app

_second_arrived = threading.Event()


def _whose_thread(request):
    return HttpResponse(f"{threading.current_thread().name} {request.request_id}")  # request_id: from a middleware


def _waits_for_the_second(request):
    arrived = _second_arrived.wait(timeout=5)
    return HttpResponse("second arrived" if arrived else "never arrived")


def _second(request):
    _second_arrived.set()
    return HttpResponse("second")


urlpatterns = [
    path("thread/", _whose_thread),
    path("waits/", _waits_for_the_second),
    path("second/", _second),
]


@pytest.fixture(autouse=True)
def _these_routes(settings):
    settings.ROOT_URLCONF = __name__


async def _get(path_: str, app=application, timeout: float = 10) -> tuple[int, bytes]:
    scope = {
        "type": "http", "http_version": "1.1", "method": "GET", "path": path_, "raw_path": path_.encode(),
        "query_string": b"", "headers": [(b"host", b"testserver")], "client": ("127.0.0.1", 40000),
        "server": ("testserver", 80),
    }  # fmt: skip
    communicator = ApplicationCommunicator(app, scope)
    await communicator.send_input({"type": "http.request", "body": b""})
    start = await communicator.receive_output(timeout=timeout)
    body = (await communicator.receive_output(timeout=timeout))["body"]
    await communicator.wait(timeout=timeout)
    return start["status"], body


def test_the_middleware_chain_is_loaded_synchronous():
    """No middleware runs in async mode, so none of them costs a hop between the event loop and a thread."""
    assert not iscoroutinefunction(django_asgi_app._middleware_chain)


def test_requests_one_after_another_reuse_one_thread_off_the_event_loop():
    async def two():
        return [await _get("/thread/"), await _get("/thread/")]

    (status_1, body_1), (status_2, body_2) = asyncio.run(two())
    assert status_1 == status_2 == 200
    (thread_1, request_1), (thread_2, request_2) = body_1.split(), body_2.split()
    assert thread_1 == thread_2 != threading.current_thread().name.encode()
    assert request_1 != request_2


def test_a_request_in_flight_does_not_hold_up_the_next():
    _second_arrived.clear()

    async def both():
        waiting = asyncio.create_task(_get("/waits/"))
        await asyncio.sleep(0.2)  # the first is in its view, waiting
        second = await _get("/second/")
        return await waiting, second

    (first_status, first_body), (_, second_body) = asyncio.run(both())
    assert (first_status, first_body, second_body) == (200, b"second arrived", b"second")


def test_request_started_and_finished_are_sent_once_each_in_the_request_s_thread():
    """Both signals run where the view ran (database connections are per thread): request_started in the same
    crossing as the view, request_finished (the response's close) queued on that thread once the response is sent,
    before the thread's next request."""
    from django.core import signals

    seen: list[tuple[str, str]] = []

    def started(**_):
        seen.append(("started", threading.current_thread().name))

    def finished(**_):
        seen.append(("finished", threading.current_thread().name))

    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    try:
        # An earlier test's last close may still be queued on a request thread: let it run, then count from here.
        asyncio.run(_get("/thread/"))
        threading.Event().wait(0.3)
        seen.clear()

        async def two():
            return [await _get("/thread/"), await _get("/thread/")]

        (_, body_1), (_, body_2) = asyncio.run(two())
        for _ in range(100):  # the second close may still be running on the request's thread
            if len(seen) == 4:
                break
            threading.Event().wait(0.01)
    finally:
        signals.request_started.disconnect(started)
        signals.request_finished.disconnect(finished)
    view_threads = {body_1.split()[0].decode(), body_2.split()[0].decode()}
    assert [event for event, _ in seen] == ["started", "finished", "started", "finished"]
    assert {thread for _, thread in seen} == view_threads != {threading.current_thread().name}


_in_view = threading.Semaphore(0)
_leave_view = threading.Event()
_at_once: list[int] = []
_running = [0]
_running_lock = threading.Lock()


def _counted(request, n: int):
    with _running_lock:
        _running[0] += 1
        _at_once.append(_running[0])
    _in_view.release()
    _leave_view.wait(timeout=5)
    with _running_lock:
        _running[0] -= 1
    return HttpResponse(request.path)


urlpatterns.append(path("counted/<int:n>/", _counted))


def test_at_most_web_threads_views_run_at_once_and_the_rest_wait_their_turn(settings):
    from mltrainer_site.handler import SyncChainASGIHandler

    settings.WEB_THREADS = 2
    handler = SyncChainASGIHandler()
    _leave_view.clear()
    _at_once.clear()

    async def five():
        requests = [asyncio.create_task(_get(f"/counted/{n}/", handler)) for n in range(5)]
        for _ in range(2):
            await asyncio.to_thread(_in_view.acquire, timeout=5)  # two views are running
        await asyncio.sleep(0.2)  # time for a third to start, were it allowed to
        running_before = len(_at_once)
        _leave_view.set()
        return running_before, await asyncio.gather(*requests)

    running_before, bodies = asyncio.run(five())
    assert running_before == 2 and max(_at_once) == 2
    assert bodies == [(200, f"/counted/{n}/".encode()) for n in range(5)]


_gate = threading.Event()
_deferred: list[str] = []


def _defers(request):
    def fails():
        raise RuntimeError("a deferred call that fails")

    def waits_for_the_client():  # the client opens the gate once it has the whole response
        _deferred.append("after the response" if _gate.wait(timeout=5) else "before the response")

    after_response.defer(fails)
    after_response.defer(waits_for_the_client)
    return HttpResponse("deferred")


urlpatterns.append(path("defers/", _defers))


def test_what_a_view_defers_runs_on_its_thread_after_the_response_is_sent_and_before_the_close(caplog):
    """after_response.defer: the client has its answer first; the calls run in order (a failure logged, the next
    still run), then request_finished closes the request (its database connection is still there for them)."""
    from django.core import signals

    def finished(**_):
        _deferred.append("request_finished")

    asyncio.run(_get("/thread/"))  # an earlier test's queued close runs first
    threading.Event().wait(0.3)
    _gate.clear()
    _deferred.clear()

    async def one():
        answer = await _get("/defers/", timeout=3)  # well before the deferred call gives up (5 s)
        _gate.set()  # the application has ended; its close, queued on the request's thread, waits for this
        return answer

    signals.request_finished.connect(finished)
    try:
        assert asyncio.run(one()) == (200, b"deferred")
        for _ in range(200):
            if len(_deferred) == 2:
                break
            threading.Event().wait(0.01)
    finally:
        signals.request_finished.disconnect(finished)
    assert _deferred == ["after the response", "request_finished"]
    assert "work deferred until after the response failed" in caplog.text
    assert "a deferred call that fails" in caplog.text


def test_outside_a_request_a_deferred_call_runs_at_once():
    ran = []
    after_response.defer(lambda: ran.append(threading.current_thread().name))
    assert ran == [threading.current_thread().name]
