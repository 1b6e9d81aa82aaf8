"""The load generator: real HTTP (aiohttp) and real WebSockets (websockets), from this process.

`run_jobs` sends a list of requests with N clients at once, each client one connection kept
alive and one request at a time, as N people clicking; it returns each request's latency, status
and size. `Sockets` holds many open WebSockets and records when each message arrived, so that a
test can wait until every socket has got a given notice.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from websockets.asyncio.client import ClientConnection, connect

from .harness import median, pct


@dataclass
class Job:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    json: Any = None
    data: Any = None


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)  # ms, every answered request
    statuses: Counter[str] = field(default_factory=Counter)
    sizes: list[int] = field(default_factory=list)  # bytes of 2xx answers
    bodies: list[bytes] = field(default_factory=list)  # first few 2xx answers
    wall: float = 0.0  # s
    busy: float = 0.0  # s of the machine's CPU over the run, where a section measures it

    @property
    def ok(self) -> int:
        return sum(n for s, n in self.statuses.items() if s.startswith("2"))

    @property
    def throughput(self) -> float:
        return self.ok / self.wall if self.wall else float("nan")

    @property
    def p50(self) -> float:
        return median(self.latencies)

    @property
    def p95(self) -> float:
        return pct(self.latencies, 95)

    @property
    def p99(self) -> float:
        return pct(self.latencies, 99)

    def failures(self) -> str:
        bad = {s: n for s, n in self.statuses.items() if not s.startswith("2")}
        return ", ".join(f"{n}×{s}" for s, n in sorted(bad.items())) or "none"

    def count(self, prefix: str) -> int:
        return sum(n for s, n in self.statuses.items() if s.startswith(prefix))


def session(**kwargs: Any) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0),
        timeout=aiohttp.ClientTimeout(total=300),
        cookie_jar=aiohttp.CookieJar(unsafe=True),  # cookies from 127.0.0.1
        **kwargs,
    )


async def request(client: aiohttp.ClientSession, base: str, job: Job) -> tuple[str, bytes]:
    async with client.request(
        job.method, base + job.path, headers=job.headers, json=job.json, data=job.data
    ) as response:
        return str(response.status), await response.read()


async def run_jobs(
    base: str,
    jobs: Iterable[Job],
    concurrency: int,
    *,
    client: aiohttp.ClientSession | None = None,
) -> Result:
    """Send `jobs` with `concurrency` clients, each waiting for its answer before the next."""
    result = Result()
    pending = iter(list(jobs))
    own = client is None
    client = client or session()

    async def one_client() -> None:
        for job in pending:
            started = time.perf_counter()
            try:
                status, body = await request(client, base, job)
            except (aiohttp.ClientError, TimeoutError) as error:
                result.statuses[type(error).__name__] += 1
                continue
            result.latencies.append((time.perf_counter() - started) * 1000)
            result.statuses[status] += 1
            if status.startswith("2"):
                result.sizes.append(len(body))
                if len(result.bodies) < 3:
                    result.bodies.append(body)

    started = time.perf_counter()
    try:
        await asyncio.gather(*(one_client() for _ in range(concurrency)))
    finally:
        result.wall = time.perf_counter() - started
        if own:
            await client.close()
    return result


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


async def login(client: aiohttp.ClientSession, base: str, username: str, password: str) -> None:
    """Sign in through the login page, as a browser: the session cookie stays in `client`."""
    async with client.get(base + "/dang-nhap/") as response:
        page = await response.text()
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    token = match.group(1) if match else ""
    form = {"username": username, "password": password, "csrfmiddlewaretoken": token}
    async with client.post(
        base + "/dang-nhap/", data=form, headers={"Referer": base + "/dang-nhap/"}
    ) as response:
        await response.read()
        if not any(c.key == "sessionid" for c in client.cookie_jar):
            raise RuntimeError(f"login of {username} failed ({response.status})")


# ---------------------------------------------------------------------------------------------
# WebSockets


class Expectation:
    """Waits until each of `indices` got a message matching `match`; keeps the arrival times."""

    def __init__(self, match: Callable[[dict[str, Any]], bool], indices: Iterable[int]) -> None:
        self.match = match
        self.pending = set(indices)
        self.times: dict[int, float] = {}
        self.done = asyncio.Event()
        if not self.pending:
            self.done.set()

    def offer(self, index: int, when: float, message: dict[str, Any]) -> None:
        if index in self.pending and self.match(message):
            self.times[index] = when
            self.pending.discard(index)
            if not self.pending:
                self.done.set()


class Sockets:
    """Open WebSockets, one reader task each; every message is offered to the expectations."""

    def __init__(self) -> None:
        self.connections: list[ClientConnection] = []
        self.readers: list[asyncio.Task[None]] = []
        self.expectations: list[Expectation] = []
        self.failed = 0

    async def open(
        self,
        urls: list[str],
        origin: str,
        headers: list[dict[str, str]] | None = None,
        parallel: int = 25,
    ) -> list[int]:
        """Connect to `urls` (with `headers[i]`, `parallel` handshakes at a time); the indices of
        the new sockets, -1 for one that failed."""
        gate = asyncio.Semaphore(parallel)
        headers = headers or [{} for _ in urls]

        async def one(url: str, extra: dict[str, str]) -> int:
            async with gate:
                try:
                    connection = await connect(
                        url,
                        origin=origin,
                        additional_headers=extra,
                        open_timeout=60,
                        max_queue=None,
                        ping_interval=None,
                    )
                except Exception:
                    self.failed += 1
                    return -1
                index = len(self.connections)
                self.connections.append(connection)
                self.readers.append(asyncio.create_task(self._read(index, connection)))
                return index

        return list(await asyncio.gather(*(one(u, h) for u, h in zip(urls, headers, strict=True))))

    async def _read(self, index: int, connection: ClientConnection) -> None:
        try:
            async for raw in connection:
                when = time.perf_counter()
                try:
                    message = json.loads(raw)
                except ValueError:
                    continue
                if isinstance(message, dict):
                    for expectation in list(self.expectations):
                        expectation.offer(index, when, message)
        except Exception:
            return

    def expect(
        self, match: Callable[[dict[str, Any]], bool], indices: Iterable[int]
    ) -> Expectation:
        expectation = Expectation(match, indices)
        self.expectations.append(expectation)
        return expectation

    async def wait(self, expectation: Expectation, timeout: float) -> bool:
        try:
            await asyncio.wait_for(expectation.done.wait(), timeout)
            return True
        except TimeoutError:
            return False
        finally:
            self.expectations.remove(expectation)

    async def close(self) -> None:
        async def shut(connection: ClientConnection) -> None:
            try:
                await asyncio.wait_for(connection.close(), 5)
            except Exception:
                connection.transport.abort()

        gate = asyncio.Semaphore(100)

        async def gated(connection: ClientConnection) -> None:
            async with gate:
                await shut(connection)

        await asyncio.gather(*(gated(c) for c in self.connections))
        for reader in self.readers:
            reader.cancel()
        self.connections, self.readers = [], []
