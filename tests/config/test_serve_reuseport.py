"""config.serve: several uvicorn workers, each accepting on its own SO_REUSEPORT socket, so that
clients connecting together are spread over the workers (with one shared socket, the first worker
awake took them all: 16 at once went 16 to 0 in two tries of five)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _listening(port: int) -> int:
    """How many sockets listen on 127.0.0.1:port (/proc/net/tcp, state 0A)."""
    wanted = f"0100007F:{port:04X}"
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for line in lines if line.split()[1] == wanted and line.split()[3] == "0A")


def _start(port: int, workers: int = 2) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "config.serve", "tests.config.pid_app:application"),
            *("--port", str(port), "--workers", str(workers), "--lifespan", "off"),
            *("--no-access-log", "--log-level", "info"),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _wait(condition, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


async def _pids_of_connections(port: int, count: int) -> list[int]:
    """`count` clients connecting at once, each asking which process serves its connection."""

    async def one() -> int:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        )
        body = await reader.readexactly(length)
        writer.close()
        await writer.wait_closed()
        return int(body)

    return list(await asyncio.gather(*(one() for _ in range(count))))


@pytest.fixture
def served() -> Iterator[tuple[int, subprocess.Popen[str]]]:
    port = _free_port()
    process = _start(port)
    try:
        _wait(lambda: _listening(port) == 2)
        yield port, process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(20)


def test_each_worker_listens_on_its_own_socket_and_clients_connecting_together_reach_both(served):
    port, _ = served
    # then the two workers listen on two sockets of the same address
    assert _listening(port) == 2

    # when 16 clients connect at once, three times
    for _ in range(3):
        served_by = Counter(asyncio.run(_pids_of_connections(port, 16)))

        # then both workers serve some of them
        assert len(served_by) == 2, served_by


def test_a_second_instance_on_the_same_port_is_refused_and_the_first_serves_on(served):
    port, _ = served

    # when another instance is started on the same port
    second = _start(port)
    output, _ = second.communicate(timeout=30)

    # then it refuses to start and says why, and the first still answers on both sockets
    assert second.returncode == 3
    assert "already in use" in output
    assert _listening(port) == 2
    assert len(asyncio.run(_pids_of_connections(port, 8))) == 8


def test_a_dead_worker_is_replaced_and_its_socket_with_it(served):
    port, _ = served
    workers = set(asyncio.run(_pids_of_connections(port, 32)))
    assert len(workers) == 2
    dead = workers.pop()

    # when a worker dies
    os.kill(dead, signal.SIGKILL)
    _wait(lambda: _listening(port) < 2)

    # then its socket is gone with it, and new connections are served by the other workers
    assert dead not in asyncio.run(_pids_of_connections(port, 16))

    # and a new worker takes its place, on a socket of its own
    def replaced() -> bool:
        return bool(set(asyncio.run(_pids_of_connections(port, 16))) - {dead, *workers})

    _wait(replaced)
    assert _listening(port) == 2


def test_a_stop_ends_every_worker(served):
    port, process = served

    # when the server is told to stop
    os.kill(process.pid, signal.SIGTERM)

    # then it ends, and nothing listens any more
    assert process.wait(20) == 0
    assert _listening(port) == 0


def test_its_options_default_as_uvicorns_command_does():
    from config.serve import parse

    options = parse(["config.asgi:application"])
    assert (options.host, options.port, options.lifespan) == ("127.0.0.1", 8000, "auto")
    assert options.proxy_headers is True and options.access_log is True
    assert parse(["a:b", "--no-proxy-headers", "--no-access-log"]).proxy_headers is False
    for wrong in (["--workers", "0"], ["--port", "0"], ["--port", "70000"]):
        with pytest.raises(SystemExit):
            parse(["a:b", *wrong])
