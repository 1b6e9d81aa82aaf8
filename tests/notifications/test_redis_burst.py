"""On the production layer (channels-redis), a burst of notices reaches every socket.

All the sockets of one worker process share one Redis queue (their channel names differ only
after the "!"), and channels-redis drops a message that arrives while that queue holds
`capacity` messages — 100 by default. `make bench` saw an issuance to 300 users deliver about
110 notices per worker. This pushes 300 notices through one layer, as one worker would receive
them, and expects all 300.
"""

from __future__ import annotations

import asyncio

import pytest
from channels.layers import get_channel_layer
from django.conf import settings

from notifications.services import MESSAGE_TYPE, _group_send_all, user_group_name

pytestmark = pytest.mark.skipif(
    not settings.REDIS_URL, reason="needs the Redis channel layer (make test-pg)"
)

USERS = 300


async def test_a_burst_to_300_users_of_one_worker_loses_nothing():
    # given 300 sockets' channels in one process, each in its user's group
    layer = get_channel_layer()
    channels = []
    for user_id in range(1, USERS + 1):
        channel = await layer.new_channel()
        await layer.group_add(user_group_name(900_000 + user_id), channel)
        channels.append(channel)
    try:
        # when one notice each is pushed to all of them at once, before any socket reads
        pushes = [(900_000 + n, {"id": n}) for n in range(1, USERS + 1)]
        failed = await _group_send_all(layer, pushes)

        # then every socket receives its own notice
        assert failed == []
        received = await asyncio.gather(
            *(asyncio.wait_for(layer.receive(c), timeout=20) for c in channels)
        )
        assert [m["payload"]["id"] for m in received] == list(range(1, USERS + 1))
        assert {m["type"] for m in received} == {MESSAGE_TYPE}
    finally:
        for user_id, channel in enumerate(channels, start=1):
            await layer.group_discard(user_group_name(900_000 + user_id), channel)
        await layer.flush()
