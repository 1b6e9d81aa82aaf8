"""On the production layer (channels-redis), an idle notification socket stays open.

redis-py 8 reads with a 5 s socket time-out by default, while channels-redis waits on a blocking
BZPOPMIN of 5 s: without an explicit `socket_timeout=None` every idle consumer died after about
5 s ("Timeout reading from 127.0.0.1:6379") and uvicorn dropped the socket without a close frame.
This test serves the real ASGI app under uvicorn and holds a real WebSocket idle for longer than
both time-outs, then expects a notification raised in this (another) process to arrive.
"""

from __future__ import annotations

import json
import time

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from websockets.sync.client import connect

from notifications.services import notify_on_commit
from tests.e2e.server import serve

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.REDIS_URL, reason="needs the Redis channel layer (make test-pg)"
    ),
]

IDLE_SECONDS = 12  # longer than redis-py's 5 s read time-out and channels-redis' 5 s BZPOPMIN


def test_idle_socket_survives_and_still_receives(drafter):
    # given a served app and a signed-in user's notification socket
    client = Client()
    client.force_login(drafter)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    with serve() as url:
        ws_url = url.replace("http://", "ws://") + "/ws/notifications/"
        with connect(
            ws_url, additional_headers={"Cookie": cookie, "Origin": url}, open_timeout=10
        ) as socket:
            # when the socket idles longer than every read time-out on the way
            time.sleep(IDLE_SECONDS)
            # and a notification is raised in another process afterwards
            with transaction.atomic():
                notify_on_commit(user_ids=[drafter.pk], kind="plan.returned", title="Trả lại")

            # then the socket is still open and receives it
            message = json.loads(socket.recv(timeout=10))
            assert message["kind"] == "plan.returned"
            assert message["title"] == "Trả lại"
