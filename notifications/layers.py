"""The channel layers: channels-redis plus one send for many groups at once (production), and the
in-memory layer without its per-message sweep, with the same send for many groups (one process,
the embedded default).

channels-redis delivers a `group_send` as one Redis message per worker queue holding a member of
the group, and that worker reads its queue one message per round trip. A notice to 300 users —
300 groups, one per user — was therefore 300 messages read one after another by each worker:
about 0.3 s before the last socket got it. `group_send_many` reads the members of all the groups
in one trip (a script) and sends one message per worker queue, naming every member channel
there; the worker reads it once and hands it to each of its sockets in memory.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import Sequence
from typing import Any

from channels.layers import InMemoryChannelLayer as BaseInMemoryChannelLayer
from channels_redis.core import RedisChannelLayer as BaseRedisChannelLayer

logger = logging.getLogger(__name__)

# The Lua script of channels-redis' group_send (4.3), with the sweep of expired messages it does
# in a pipeline before: drop each channel key's messages older than the expiry, add the message
# to each key below its capacity, refresh the key's expiry, and count those over capacity. One
# trip to Redis instead of two.
_SEND_LUA = """
    local over_capacity = 0
    local current_time = ARGV[#ARGV - 2]
    local expired = ARGV[#ARGV - 1]
    local expiry = ARGV[#ARGV]
    for i=1,#KEYS do
        redis.call('ZREMRANGEBYSCORE', KEYS[i], 0, expired)
        if redis.call('ZCOUNT', KEYS[i], '-inf', '+inf') < tonumber(ARGV[i + #KEYS]) then
            redis.call('ZADD', KEYS[i], current_time, ARGV[i])
            redis.call('EXPIRE', KEYS[i], expiry)
        else
            over_capacity = over_capacity + 1
        end
    end
    return over_capacity
"""

# Drop each group's expired members, then list the members of all the groups: one trip to Redis
# (a pipeline of two commands per group cost ~12 ms of the client's parsing for 300 groups).
_MEMBERS_LUA = """
    local stale = ARGV[1]
    local members = {}
    for i=1,#KEYS do
        redis.call('ZREMRANGEBYSCORE', KEYS[i], 0, stale)
        for _, name in ipairs(redis.call('ZRANGE', KEYS[i], 0, -1)) do
            members[#members + 1] = name
        end
    end
    return members
"""


class RedisChannelLayer(BaseRedisChannelLayer):  # type: ignore[misc]
    async def group_send_many(self, groups: Sequence[str], message: dict[str, Any]) -> None:
        """Send `message` once to every channel that belongs to any of `groups`.

        A channel in several of the groups gets it once. Same delivery rules as group_send:
        expired group members are dropped first, and a channel over capacity misses it.
        """
        assert isinstance(message, dict), "message is not a dict"
        by_connection: dict[int, list[str]] = collections.defaultdict(list)
        for group in groups:
            assert self.require_valid_group_name(group), "Group name not valid"
            by_connection[self.consistent_hash(group)].append(group)
        channel_names: dict[str, None] = {}
        stale = int(time.time()) - self.group_expiry
        for index, members_of in by_connection.items():
            keys = [self._group_key(group) for group in members_of]
            names = await self.connection(index).eval(_MEMBERS_LUA, len(keys), *keys, stale)
            channel_names.update((name.decode("utf8"), None) for name in names)
        if channel_names:
            await self._send_to_channels(list(channel_names), message)

    async def _send_to_channels(self, channel_names: list[str], message: dict[str, Any]) -> None:
        """group_send's delivery, for a known list of channels (see channels_redis.core)."""
        keys_by_connection, message_of, capacity_of = self._map_channel_keys_to_connection(
            channel_names, message
        )
        for index, keys in keys_by_connection.items():
            connection = self.connection(index)
            args = [message_of[key] for key in keys] + [capacity_of[key] for key in keys]
            now = time.time()
            args += [now, int(now) - int(self.expiry), self.expiry]
            over_capacity = await connection.eval(_SEND_LUA, len(keys), *keys, *args)
            if over_capacity > 0:
                logger.warning(
                    "%s of %s channel queues over capacity: a batch of notices was dropped there",
                    over_capacity,
                    len(keys),
                )


class InMemoryChannelLayer(BaseInMemoryChannelLayer):  # type: ignore[misc]
    """Channels' in-memory layer, sweeping expired messages and memberships at most once per
    `clean_interval` seconds.

    Channels sweeps every queue and every group on each send to a group and on each receive: a
    notice to 300 of 1,000 open sockets cost 300 × 2 sweeps of 1,000 groups, about a quarter of
    a second before the last socket got it. Messages live `expiry` (60 s) anyway; a sweep a
    second late changes nothing a client can see.
    """

    def __init__(self, *args: Any, clean_interval: float = 1.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clean_interval = clean_interval
        self._cleaned_at = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._cleaned_at >= self.clean_interval:
            self._cleaned_at = now
            super()._clean_expired()

    async def group_send_many(self, groups: Sequence[str], message: dict[str, Any]) -> None:
        """Send `message` once to every channel that belongs to any of `groups`, as
        RedisChannelLayer.group_send_many does, in one pass and without a task per channel.

        Channels copies each message it queues (standing in for the serialisation a real layer
        does); a batch names every recipient's payload, so a copy per channel grew with the
        square of the recipients. Here every channel gets the same message, which consumers
        only read (notifications.consumers). A channel over capacity misses it.
        """
        assert isinstance(message, dict), "message is not a dict"
        self._clean_expired()
        channels: dict[str, None] = {}
        for group in groups:
            self.require_valid_group_name(group)
            channels.update(dict.fromkeys(self.groups.get(group, ())))
        expires = time.time() + self.expiry
        for channel in channels:
            queue = self.channels.setdefault(
                channel, asyncio.Queue(maxsize=self.get_capacity(channel))
            )
            try:
                queue.put_nowait((expires, message))
            except asyncio.QueueFull:
                logger.warning("Channel %s over capacity: a batch of notices was dropped", channel)
