"""ASGI entry point: Django for HTTP, Channels for WebSockets (notifications).

Run with `uvicorn config.asgi:application`. Django is set up (get_asgi_application) before anything
that imports models, such as the WebSocket routes.
"""

import asyncio
import contextlib
import gc
import importlib
import inspect
import json
import os
import threading
import time
import weakref
from collections.abc import Awaitable, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import django
from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import HttpRequest, HttpResponseBase
from django.urls import set_script_prefix

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
django.setup(set_prefix=False)

from notifications.services import pushes_sent_by  # noqa: E402 - models need setup() first

_T = TypeVar("_T")


class SyncChainASGIHandler(ASGIHandler):
    """Django's ASGI handler with the middleware and the view run as one synchronous call.

    Every middleware of ours is synchronous, and so is every view. Django's handler builds the
    chain for async mode: it enters the request's thread for the synchronous middleware, comes
    back to the event loop to resolve the URL and then enters the thread again for the view
    (four crossings, each a hand-over between threads and the GIL). Here the chain is built
    for sync mode and entered once, `request_started` sent there too (Django sends it in a
    crossing of its own); an async view would still work (Django runs it with async_to_sync).
    The body is read, and the answer sent, on the event loop as before.
    """

    def __init__(self) -> None:
        from django.conf import settings

        super(ASGIHandler, self).__init__()
        self.load_middleware(is_async=False)
        self.threads = RequestThreads()
        self.gate = RequestGate(
            settings.REQUEST_SLOTS,
            settings.REQUEST_SLOT_HOLD_MS / 1000,
            most=settings.REQUEST_SLOT_MOST_MS / 1000,
        )

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        executor = self.threads.take()
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            self.threads.give(executor)

    async def handle(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Django's `ASGIHandler.handle` (5.2), except that `request_started` is sent in the
        request's thread with the middleware and view (`get_response_async`), not in a thread
        crossing of its own before them."""
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        request, error_response = self.create_request(scope, body_file)
        if request is None:
            body_file.close()
            await sync_to_async(self._started)(scope)
            await self.send_response(error_response, send)
            await sync_to_async(error_response.close)()
            return

        async def process_request(request: HttpRequest, send: Any) -> HttpResponseBase:
            response = await self.run_get_response(request)
            with contextlib.suppress(asyncio.CancelledError):  # the client went away meanwhile
                await self.send_response(response, send)
            return response

        # As Django: a disconnect while the answer is being made cancels it.
        tasks = [
            asyncio.create_task(self.listen_for_disconnect(receive)),
            asyncio.create_task(process_request(request, send)),
        ]
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
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
            response = tasks[1].result()
        except asyncio.CancelledError:
            await signals.request_finished.asend(sender=self.__class__)
        else:
            await sync_to_async(response.close)()
        body_file.close()

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        # The view's pushes after commit are sent by this loop while the answer goes out.
        with pushes_sent_by(asyncio.get_running_loop()):
            return await self.gate.run(
                sync_to_async(self.get_response_started, thread_sensitive=True)(request)
            )

    def get_response_started(self, request: HttpRequest) -> HttpResponseBase:
        self._started(request.scope)
        return self.get_response(request)

    def _started(self, scope: dict[str, Any]) -> None:
        signals.request_started.send(sender=self.__class__, scope=scope)


class RequestGate:
    """Lets `slots` requests at a time run their middleware and view, in the order they came.

    Under the interpreter lock a process runs one thread at a time: with 50 requests in their
    threads at once, each ran slower (the threads took turns at the lock, every switch costing
    the caches) and in no particular order, so the slowest waited longest. Two at a time keep a
    core busy while the other request waits for the database.

    A request still running after `hold` seconds gives its slot up if, over that time, the
    process used the CPU less than `BUSY_SHARE` of it: its requests wait (for the database, a
    conversion, the network), and another request can use the core meanwhile. While the process
    computes (a seal, a rendering), the requests keep their slots, checked again every `hold`:
    one let in beside them would only take turns with them at the lock (16 clerks issuing at
    once, a seal each, cost 20–35 % more CPU per issuance when they all ran together), but never
    longer than `most` seconds, so that a long computation does not hold quick requests back for
    long. (A thread's own CPU time would not tell: a thread waiting for the lock does not compute
    either.) `slots` <= 0: no gate. One queue per event loop (a served process has one).
    """

    #: The share of a core the process must have used over the last `hold` for its requests to
    #: keep their slots.
    BUSY_SHARE = 0.5

    def __init__(self, slots: int, hold: float, most: float | None = None) -> None:
        self.slots, self.hold = slots, hold
        self.most = hold if most is None else max(most, hold)
        self._queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    async def run(self, call: Awaitable[_T]) -> _T:
        if self.slots <= 0:
            return await call
        queue = self._queue()
        try:
            await queue.acquire()  # asyncio's semaphore wakes its waiters first come, first served
        except asyncio.CancelledError:
            if inspect.iscoroutine(call):
                call.close()  # never started: the client went away while it waited
            raise
        running = asyncio.ensure_future(call)
        try:
            await self._hold(running)
        except asyncio.CancelledError:
            running.cancel()
            raise
        finally:
            queue.release()
        return await running

    async def _hold(self, running: asyncio.Future[Any]) -> None:
        """Return when `running` is done or should give its slot up."""
        started = time.monotonic()
        while True:
            wall, cpu = time.monotonic(), time.process_time()
            done, _pending = await asyncio.wait({running}, timeout=self.hold)
            if done:
                return
            now = time.monotonic()
            if now - started >= self.most:
                return
            if time.process_time() - cpu < (now - wall) * self.BUSY_SHARE:
                return  # the process waits rather than computes: let the next one use the core

    def _queue(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        queue = self._queues.get(loop)
        if queue is None:
            queue = self._queues[loop] = asyncio.Semaphore(self.slots)
        return queue


class RequestThread(ThreadPoolExecutor):
    """One thread for one request at a time, counting the calls it has not finished."""

    def __init__(self) -> None:
        super().__init__(max_workers=1, thread_name_prefix="request")
        self._mutex = threading.Lock()
        self.unfinished = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._mutex:
            self.unfinished += 1
        future = super().submit(fn, *args, **kwargs)
        future.add_done_callback(self._done)
        return future

    def _done(self, _future: Future[Any]) -> None:
        with self._mutex:
            self.unfinished -= 1


class RequestThreads:
    """Request threads kept for the next requests (Django's handler started a thread for each
    request, and another to join it at the end).

    A request's synchronous code runs in one thread, as Django requires (the request's
    database connection is that thread's); a thread goes back to the idle list only once it has
    finished everything the request gave it. One still busy (its client went away while the
    view ran on) is left to finish and end; at most `keep` idle threads are kept.
    """

    def __init__(self, keep: int = 32) -> None:
        self.keep = keep
        self._idle: list[RequestThread] = []
        self._mutex = threading.Lock()

    def take(self) -> RequestThread:
        with self._mutex:
            if self._idle:
                return self._idle.pop()
        return RequestThread()

    def give(self, executor: RequestThread) -> None:
        with self._mutex:
            if executor.unfinished == 0 and len(self._idle) < self.keep:
                self._idle.append(executor)
                return
        executor.shutdown(wait=False)

    def __len__(self) -> int:
        with self._mutex:
            return len(self._idle)


django_asgi_app = SyncChainASGIHandler()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from documents.verification import INSTANCE_PATH, instance_id  # noqa: E402
from notifications.auth import TokenAuthMiddlewareStack  # noqa: E402
from notifications.routing import websocket_urlpatterns  # noqa: E402

_INSTANCE_BODY = json.dumps({"instance": instance_id()}).encode()


async def http_application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Django for every HTTP request (static files: WhiteNoise, in its middleware), except the
    instance check (documents.verification.public_address_check), answered here: no thread and no
    database, so a server checking its own public address from a request never waits on itself."""
    if scope["path"] == INSTANCE_PATH:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": _INSTANCE_BODY})
        return
    await django_asgi_app(scope, receive, send)


def _settle() -> None:
    """Load every view now, and build the backends Django and Channels build on first use (the
    channel layer, the cache client, the database pool's library — objects only, no connection
    is opened here): a worker's first completion took 450 ms, a third of it importing their
    libraries, a fifth building the URL names reverse() looks up.

    Then move what the process holds after start-up out of the garbage collector's sight
    (gc.freeze). The app's modules and their objects — some 150,000 — were traversed again by
    every full collection (a pause of ~75 ms about once per 130 task completions); the
    requests' own garbage is still collected. In-process, the collector's time per completion
    went from 0.6-1.0 ms to 0.3 ms. The young objects are collected every GC_THRESHOLD
    allocations (settings: the open sockets' objects were otherwise swept every few seconds)."""
    from channels.layers import get_channel_layer
    from django.conf import settings
    from django.core.cache import caches
    from django.db import connections
    from django.urls import get_resolver

    resolver = get_resolver()
    resolver.url_patterns  # noqa: B018 - imports every view, service and library now
    resolver.reverse_dict  # noqa: B018 - the names reverse() looks up, built on first use
    get_channel_layer()
    for alias in settings.CACHES:
        # Django's Redis backend makes its client (and imports redis) on first use.
        getattr(caches[alias], "_cache", None)
    for alias in connections:
        database = connections[alias]
        if database.vendor == "postgresql" and database.settings_dict["OPTIONS"].get("pool"):
            # Imported only: the pool itself is made for the database the settings name when
            # the first connection is asked for (a test run changes that name after import).
            importlib.import_module("psycopg_pool")
    if settings.GC_FREEZE:
        gc.collect()
        gc.freeze()
    if settings.GC_THRESHOLD:
        gc.set_threshold(*settings.GC_THRESHOLD)


_settle()

application = ProtocolTypeRouter(
    {
        "http": http_application,
        # Origin check against ALLOWED_HOSTS (no cross-site sockets riding on the session cookie),
        # then the session user, then a single-use ticket (?ticket=) or an API token (Authorization).
        "websocket": AllowedHostsOriginValidator(
            TokenAuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
