"""Served requests run the middleware and the view as one synchronous call in the request's
thread (config.asgi.SyncChainASGIHandler), with Django's answers unchanged."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import pytest
from channels.testing import HttpCommunicator
from django.core import signals

from config import asgi

pytestmark = pytest.mark.django_db(transaction=True)


def served(path: str, method: str = "GET", body: bytes = b"", headers=()) -> dict:
    communicator = HttpCommunicator(
        asgi.application, method, path, body=body, headers=[(b"host", b"testserver"), *headers]
    )
    return asyncio.run(communicator.get_response(timeout=10))


def test_the_chain_is_built_for_one_synchronous_call():
    handler = asgi.django_asgi_app
    assert not asyncio.iscoroutinefunction(handler._middleware_chain)


def test_the_request_thread_is_entered_once_before_the_answer(monkeypatch):
    # given the hand-overs into the request's thread being counted, and where the
    # request_started signal and the view run
    entered: list[str] = []
    original = asgi.sync_to_async

    def counting(func, *args, **kwargs):
        entered.append(getattr(func, "__name__", repr(func)))
        return original(func, *args, **kwargs)

    monkeypatch.setattr(asgi, "sync_to_async", counting)
    threads: dict[str, threading.Thread] = {}

    def started(**kwargs):
        threads["started"] = threading.current_thread()

    signals.request_started.connect(started)
    handler = asgi.django_asgi_app
    view = handler.get_response

    def noting(request):
        threads["view"] = threading.current_thread()
        return view(request)

    monkeypatch.setattr(handler, "get_response", noting)

    # when a request is served
    try:
        response = served("/dang-nhap/")
    finally:
        signals.request_started.disconnect(started)

    # then the signal, the middleware and the view ran in one hand-over, in one thread; the
    # other hand-over closes the answer once sent (request_finished)
    assert response["status"] == 200
    assert entered == ["get_response_started", "close"]
    assert threads["started"] is threads["view"]
    assert threads["view"] is not threading.main_thread()


def test_answers_are_unchanged_through_the_sync_chain():
    # a page, a missing page, an API refusal in JSON and an invalid body
    assert served("/dang-nhap/")["status"] == 200
    missing = served("/khong-co-trang-nay/")
    assert missing["status"] == 404
    refused = served("/api/v1/tasks/")
    assert refused["status"] in (401, 403)
    assert "detail" in json.loads(refused["body"]) or "error" in json.loads(refused["body"])
    bad = served(
        "/api/v1/auth/token/",
        method="POST",
        body=b"{not json",
        headers=[(b"content-type", b"application/json")],
    )
    assert bad["status"] == 400


def test_the_next_request_runs_in_the_thread_the_last_one_used(monkeypatch):
    # given the request threads being noted
    handler = asgi.django_asgi_app
    threads: list[threading.Thread] = []
    original = handler.get_response

    def noting(request):
        threads.append(threading.current_thread())
        return original(request)

    monkeypatch.setattr(handler, "get_response", noting)

    # when two requests are served one after the other
    assert served("/dang-nhap/")["status"] == 200
    assert served("/dang-nhap/")["status"] == 200

    # then the second ran in the thread kept from the first (no thread started for it)
    assert len(threads) == 2 and threads[0] is threads[1]


def test_a_thread_still_busy_when_its_request_ends_is_not_handed_out_again():
    # given a request thread still running the view of a request whose client went away
    threads = asgi.RequestThreads(keep=4)
    busy = threads.take()
    release = threading.Event()
    running = busy.submit(release.wait, 10)

    # when its request ends
    threads.give(busy)

    # then it is not kept for the next request, which gets a thread of its own
    assert len(threads) == 0
    assert threads.take() is not busy
    release.set()
    running.result(5)


def test_no_more_idle_threads_are_kept_than_asked():
    threads = asgi.RequestThreads(keep=2)
    taken = [threads.take() for _ in range(3)]
    for executor in taken:
        threads.give(executor)
    assert len(threads) == 2


def test_what_requests_build_on_first_use_is_built_at_start():
    # given a fresh process that imports the served application, as a worker does
    probe = (
        "import config.asgi\n"
        "from channels.layers import channel_layers\n"
        "from django.conf import settings\n"
        "from django.core.cache import caches\n"
        "from django.urls import get_resolver\n"
        "print(get_resolver()._populated, 'default' in channel_layers.backends,\n"
        "      all('_cache' in vars(caches[a]) for a in settings.CACHES\n"
        "          if hasattr(type(caches[a]), '_cache')))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False
    )

    # then a worker's first request finds the URL names, the channel layer and the cache built
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == ["True", "True", "True"]


def gated(gate: asgi.RequestGate, calls: int, seconds: float) -> tuple[list[int], int]:
    """Run `calls` calls of `seconds` each through `gate` at once: (the order they started in,
    how many ran at most at the same time)."""
    started: list[int] = []
    running = [0, 0]  # now, at most

    async def call(i: int) -> int:
        started.append(i)
        running[0] += 1
        running[1] = max(running)
        await asyncio.sleep(seconds)
        running[0] -= 1
        return i

    async def main() -> list[int]:
        return await asyncio.gather(*(gate.run(call(i)) for i in range(calls)))

    assert asyncio.run(main()) == list(range(calls))
    return started, running[1]


def test_the_gate_lets_its_slots_run_at_once_first_come_first_served():
    started, at_most = gated(asgi.RequestGate(slots=2, hold=30), calls=7, seconds=0.01)

    assert started == list(range(7))
    assert at_most == 2


def test_without_slots_there_is_no_gate():
    _started, at_most = gated(asgi.RequestGate(slots=0, hold=30), calls=5, seconds=0.01)

    assert at_most == 5


def test_a_slow_request_gives_its_slot_up_after_the_hold():
    # given one slot, held by a call far slower than the hold
    gate = asgi.RequestGate(slots=1, hold=0.05)
    finished: list[str] = []

    async def call(name: str, seconds: float) -> None:
        await asyncio.sleep(seconds)
        finished.append(name)

    async def main() -> None:
        slow = asyncio.ensure_future(gate.run(call("slow", 2)))
        await asyncio.sleep(0)
        await gate.run(call("quick", 0))
        await slow

    # when a quick one comes after it, then the quick one does not wait for the slow one
    asyncio.run(main())
    assert finished == ["quick", "slow"]


def spin(seconds: float) -> None:
    """Compute for `seconds` of this thread's CPU time."""
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def slot_order(gate: asgi.RequestGate, slow: Callable[[], None]) -> list[str]:
    """A slow call in a thread, then a quick one: which finished first."""
    finished: list[str] = []

    async def main() -> None:
        def body() -> None:
            slow()
            finished.append("slow")

        first = asyncio.ensure_future(gate.run(asyncio.to_thread(body)))
        await asyncio.sleep(0.01)
        await gate.run(asyncio.sleep(0))
        finished.append("quick")
        await first

    asyncio.run(main())
    return finished


def test_a_request_that_computes_keeps_its_slot():
    # given one slot, held by a call computing far longer than the hold
    gate = asgi.RequestGate(slots=1, hold=0.2, most=30)
    # (a fifth of a core counts as computing here: the other test processes of a loaded CI
    # machine may take part of this one's core, never four fifths of it for 200 ms)
    gate.BUSY_SHARE = 0.2

    # when a quick one comes after it, then the quick one waits: letting it in beside the
    # computing one would only make them take turns at the interpreter lock
    assert slot_order(gate, lambda: spin(0.8)) == ["slow", "quick"]


def test_a_request_that_waits_gives_its_slot_up():
    # given one slot, held by a call waiting (not computing) far longer than the hold
    gate = asgi.RequestGate(slots=1, hold=0.05, most=30)

    # when a quick one comes after it, then the quick one does not wait for the slow one
    assert slot_order(gate, lambda: time.sleep(0.8)) == ["quick", "slow"]


def test_a_request_that_computes_gives_its_slot_up_at_the_most():
    # given one slot, held by a call computing longer than the gate's most
    gate = asgi.RequestGate(slots=1, hold=0.05, most=0.15)

    # when a quick one comes after it, then it gets the slot once the most has passed
    assert slot_order(gate, lambda: spin(1.0)) == ["quick", "slow"]


def test_a_request_cancelled_in_or_before_the_gate_leaves_no_slot_taken():
    gate = asgi.RequestGate(slots=1, hold=30)

    async def main() -> list[str]:
        running = asyncio.ensure_future(gate.run(asyncio.sleep(30)))
        waiting = asyncio.ensure_future(gate.run(asyncio.sleep(30)))
        await asyncio.sleep(0.01)
        # the client of the waiting request goes away, then that of the running one
        waiting.cancel()
        running.cancel()
        results = await asyncio.gather(running, waiting, return_exceptions=True)
        assert all(isinstance(r, asyncio.CancelledError) for r in results)
        # the slot is free again
        return [await asyncio.wait_for(gate.run(asyncio.sleep(0, "next")), timeout=5)]

    assert asyncio.run(main()) == ["next"]


def test_served_requests_run_their_views_two_at_a_time(monkeypatch):
    # given views that take a moment, counted as they run
    handler = asgi.django_asgi_app
    mutex, running = threading.Lock(), [0, 0]
    original = handler.get_response

    def get_response(request):
        with mutex:
            running[0] += 1
            running[1] = max(running)
        try:
            time.sleep(0.02)
            return original(request)
        finally:
            with mutex:
                running[0] -= 1

    monkeypatch.setattr(handler, "get_response", get_response)

    # when eight clients ask at once
    async def main() -> list[dict]:
        return await asyncio.gather(
            *(
                HttpCommunicator(
                    asgi.application, "GET", "/dang-nhap/", headers=[(b"host", b"testserver")]
                ).get_response(timeout=30)
                for _ in range(8)
            )
        )

    responses = asyncio.run(main())

    # then all are answered, never more than the gate's two slots at once
    assert [r["status"] for r in responses] == [200] * 8
    assert handler.gate.slots == 2 and running[1] == 2
