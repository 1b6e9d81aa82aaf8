"""Served requests run the middleware and the view as one synchronous call in the request's
thread (config.asgi.SyncChainASGIHandler), with Django's answers unchanged."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading

import pytest
from channels.testing import HttpCommunicator

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


def test_the_request_thread_is_entered_once(monkeypatch):
    # given the hand-overs into the request's thread being counted
    entered: list[str] = []
    original = asgi.sync_to_async

    def counting(func, *args, **kwargs):
        entered.append(getattr(func, "__name__", repr(func)))
        return original(func, *args, **kwargs)

    monkeypatch.setattr(asgi, "sync_to_async", counting)

    # when a request is served
    response = served("/dang-nhap/")

    # then the middleware and view were entered through one hand-over
    assert response["status"] == 200
    assert entered == ["get_response"]


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
