"""Served requests run the middleware and the view as one synchronous call in the request's
thread (config.asgi.SyncChainASGIHandler), with Django's answers unchanged."""

from __future__ import annotations

import asyncio
import json

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
