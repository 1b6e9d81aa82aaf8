"""On the production layer (channels-redis), a burst of notices reaches every socket.

All the sockets of one worker process share one Redis queue (their channel names differ only
after the "!"), and channels-redis drops a message that arrives while that queue holds
`capacity` messages — 100 by default. `make bench` saw an issuance to 300 users deliver about
110 notices per worker. This pushes 300 notices through one layer, as one worker would receive
them, and expects all 300 — sent as one batch message (notifications.layers), which the worker
reads in one round trip instead of 300.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from channels.layers import get_channel_layer
from django.conf import settings

from notifications.services import BATCH_TYPE, _group_send_all, user_group_name

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

        # then they wait in the worker's queue as one message, not one per user
        assert failed == []
        queue = layer.prefix + layer.non_local_name(channels[0])
        assert await layer.connection(0).zcard(queue) == 1
        # and every socket receives the batch holding its own notice
        received = await asyncio.gather(
            *(asyncio.wait_for(layer.receive(c), timeout=20) for c in channels)
        )
        assert {m["type"] for m in received} == {BATCH_TYPE}
        own = [m["payloads"][user_group_name(900_000 + n)]["id"] for n, m in enumerate(received, 1)]
        assert own == list(range(1, USERS + 1))
    finally:
        for user_id, channel in enumerate(channels, start=1):
            await layer.group_discard(user_group_name(900_000 + user_id), channel)
        await layer.flush()


async def test_a_socket_in_several_of_the_groups_gets_the_batch_once():
    # given one channel in two users' groups and another in the second's only
    layer = get_channel_layer()
    both, second = await layer.new_channel(), await layer.new_channel()
    first_group, second_group = user_group_name(910_001), user_group_name(910_002)
    await layer.group_add(first_group, both)
    await layer.group_add(second_group, both)
    await layer.group_add(second_group, second)
    try:
        # when a batch goes to both groups
        await layer.group_send_many([first_group, second_group], {"type": "t", "n": 1})

        # then each channel has exactly one message
        assert (await asyncio.wait_for(layer.receive(both), 5))["n"] == 1
        assert (await asyncio.wait_for(layer.receive(second), 5))["n"] == 1
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(layer.receive(both), 0.3)
    finally:
        await layer.flush()


async def test_a_batch_to_groups_without_members_sends_nothing():
    layer = get_channel_layer()
    await layer.group_send_many([user_group_name(920_001)], {"type": "t"})
    assert await layer.connection(0).keys(layer.prefix + "*specific*") == []


async def test_expired_messages_are_dropped_before_a_batch_is_counted_against_capacity():
    # given a socket whose queue is full of messages older than the layer's expiry
    layer = get_channel_layer()
    channel = await layer.new_channel()
    group = user_group_name(920_001)
    await layer.group_add(group, channel)
    queue = layer.prefix + layer.non_local_name(channel)
    stale = time.time() - layer.expiry - 10
    await layer.connection(0).zadd(
        queue, {f"stale-{n}".encode(): stale for n in range(layer.capacity)}
    )
    try:
        # when a batch is sent to its group
        await layer.group_send_many([group], {"type": "t", "n": 2})

        # then the stale messages are gone and the new one waits alone, not refused as over
        # capacity
        assert await layer.connection(0).zcard(queue) == 1
        assert (await asyncio.wait_for(layer.receive(channel), 5))["n"] == 2
    finally:
        await layer.flush()


async def test_a_group_member_past_the_group_expiry_is_dropped_and_gets_nothing():
    # given a group with a live member and one that joined longer ago than the group expiry
    layer = get_channel_layer()
    live, gone = await layer.new_channel(), await layer.new_channel()
    group = user_group_name(930_001)
    await layer.group_add(group, live)
    await layer.connection(0).zadd(
        layer._group_key(group), {gone: time.time() - layer.group_expiry - 10}
    )
    try:
        # when a batch goes to the group
        await layer.group_send_many([group], {"type": "t", "n": 3})

        # then the live member gets it, the expired one is no longer a member and gets nothing
        assert (await asyncio.wait_for(layer.receive(live), 5))["n"] == 3
        members = await layer.connection(0).zrange(layer._group_key(group), 0, -1)
        assert members == [live.encode()]
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(layer.receive(gone), 0.3)
    finally:
        await layer.flush()
