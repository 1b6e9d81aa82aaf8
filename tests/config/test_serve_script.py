"""`make run` (scripts/serve.sh): two instances on one machine serve side by side, each prints its
own address, and each stops cleanly — uvicorn, the timer loop, unoserver and LibreOffice — when its
process group is stopped (issue 7 §4). Slow (two LibreOffice start-ups): `make test-serve`."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.serve

ROOT = Path(settings.BASE_DIR)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tree(pid: int) -> set[int]:
    """`pid` and its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        current = todo.pop()
        found.add(current)
        todo.extend(children.get(current, []))
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


class Instance:
    def __init__(self, var_dir: Path) -> None:
        self.port = _free_port()
        unset = {
            "PUBLIC_BASE_URL",
            "ALLOWED_HOSTS",
            "DATABASE_URL",
            "REDIS_URL",
            "UNOSERVER_PORT",
            "UNOSERVER_UNO_PORT",
            "UNOSERVER_HOST",
            "SECRET_KEY",
            "DEBUG",
            "HOST",
        }
        self.env = {k: v for k, v in os.environ.items() if k not in unset}
        self.env.update(
            VAR_DIR=str(var_dir),
            PORT=str(self.port),
            DJANGO_SETTINGS_MODULE="config.settings.local",
        )
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT,
            env=self.env,
            check=True,
            timeout=300,
        )
        self.process = subprocess.Popen(
            ["bash", "scripts/serve.sh"],
            cwd=ROOT,
            env=self.env,
            start_new_session=True,  # its own process group, as `make run` in a terminal
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.process.stdout.read()
            try:
                with urllib.request.urlopen(f"{self.url}/dang-nhap/", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        pytest.fail(f"{self.url} did not answer")

    def instance(self) -> str:
        with urllib.request.urlopen(f"{self.url}/.well-known/kehoach-instance", timeout=5) as r:
            return json.loads(r.read())["instance"]

    def stop_group(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _wait_converter(instance: Instance, timeout: float = 90) -> set[int]:
    """Wait until LibreOffice of `instance` runs; return the whole process tree then."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tree = _tree(instance.process.pid)
        names = {(Path("/proc") / str(p) / "comm").read_text().strip() for p in _alive(tree)}
        if any(n.startswith("soffice") for n in names):
            return tree
        time.sleep(0.5)
    pytest.fail(f"LibreOffice of {instance.url} did not start: {names}")


def test_two_instances_serve_side_by_side_and_stop_cleanly(tmp_path):
    # given two instances of make run on one machine, each with its own folder and port
    first, second = Instance(tmp_path / "a"), Instance(tmp_path / "b")
    try:
        first.wait_ready()
        second.wait_ready()

        # then both serve, as two installations
        assert first.instance() != second.instance()
        # each with its own warm LibreOffice (no shared UNO port)
        first_tree = _wait_converter(first)
        second_tree = _wait_converter(second)
        assert not (first_tree & second_tree)

        # when the first is stopped through its process group
        first.stop_group()
        first.process.wait(timeout=30)

        # then every process it started is gone, and its port is free
        deadline = time.monotonic() + 20
        while _alive(first_tree) and time.monotonic() < deadline:
            time.sleep(0.3)
        assert not _alive(first_tree), [
            (Path("/proc") / str(p) / "cmdline").read_bytes() for p in _alive(first_tree)
        ]
        assert not _listening(first.port)
        # and the second still serves
        assert second.instance()
    finally:
        for instance in (first, second):
            if instance.process.poll() is None:
                instance.stop_group()
                instance.process.wait(timeout=30)
    second_deadline = time.monotonic() + 20
    while _alive(second_tree) and time.monotonic() < second_deadline:
        time.sleep(0.3)
    assert not _alive(second_tree)
