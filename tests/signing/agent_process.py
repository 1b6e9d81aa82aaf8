"""The signing agent (agent/, `kehoach-agent`) run as its own process, and clients of it.

`AgentProcess` starts `python -m kehoach_agent` on a free port of 127.0.0.1 with a SoftHSM2 token
directory as the "USB token" and a fresh configuration directory, and stops it. `page()` speaks
the pages' API with a given Origin header (what a browser sends for a page of that origin);
`window()` is the user in the agent's own window: it reads the page the agent serves to learn
this run's secret, sees the requests waiting, and answers them (with the PIN).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .softhsm import MODULE, SoftHsm


class AgentProcess:
    def __init__(self, softhsm: SoftHsm, config_dir: Path) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kehoach_agent",
                "--port",
                "0",
                "--module",
                MODULE,
                "--config-dir",
                str(config_dir),
                "--no-browser",
            ],
            env=softhsm.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)/", line)
        if match is None:
            self.stop()
            raise RuntimeError(f"the agent did not start: {line!r}")
        self.url = match.group(1)
        self.port = int(self.url.rsplit(":", 1)[1])
        # keep reading its output so that it never blocks on a full pipe
        threading.Thread(target=self.process.stdout.read, daemon=True).start()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
        timeout: float = 30,
    ) -> tuple[int, dict[str, str], Any]:
        data = json.dumps(body).encode() if body is not None else None
        all_headers = dict(headers or {})
        if data is not None:
            all_headers.setdefault("Content-Type", "application/json")
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers=all_headers
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, answer_headers, raw = (
                    response.status,
                    dict(response.headers),
                    response.read(),
                )
        except urllib.error.HTTPError as error:
            status, answer_headers, raw = error.code, dict(error.headers), error.read()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode("utf-8", "replace")
        return status, answer_headers, parsed

    def page(self, origin: str) -> PageClient:
        return PageClient(self, origin)

    def window(self) -> Window:
        return Window(self)


class PageClient:
    """A web page of `origin` calling the agent (its browser sets the Origin header)."""

    def __init__(self, agent: AgentProcess, origin: str) -> None:
        self.agent, self.origin = agent, origin

    def get(self, path: str) -> tuple[int, dict[str, str], Any]:
        return self.agent.request("GET", path, headers={"Origin": self.origin})

    def post(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        return self.agent.request("POST", path, headers={"Origin": self.origin}, body=body)

    @contextmanager
    def posting(self, path: str, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """POST in a thread (the agent answers once the user decided); the answer lands in the
        yielded dict as "status" and "body" when the block ends."""
        answer: dict[str, Any] = {}

        def run() -> None:
            status, _headers, parsed = self.post(path, body)
            answer.update(status=status, body=parsed)

        thread = threading.Thread(target=run)
        thread.start()
        try:
            yield answer
        finally:
            thread.join(30)


class Window:
    """The user at the agent's own window."""

    def __init__(self, agent: AgentProcess) -> None:
        self.agent = agent
        status, _headers, page = agent.request("GET", "/")
        assert status == 200, page
        self.secret = re.search(r'name="agent-secret" content="([^"]+)"', page).group(1)

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        status, _headers, parsed = self.agent.request(
            method, path, headers={"X-Agent-Secret": self.secret}, body=body
        )
        assert status == 200, parsed
        return parsed

    def wait_for(self, kind: str, timeout: float = 15) -> dict[str, Any]:
        """The first request of `kind` ("pair" or "sign") waiting for the user."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for pending in self.call("GET", "/ui/state")["pending"]:
                if pending["kind"] == kind:
                    return pending
            time.sleep(0.05)
        raise AssertionError(f"no {kind} request reached the agent's window")

    def decide(self, request_id: str, *, approve: bool, pin: str | None = None) -> Any:
        body: dict[str, Any] = {"id": request_id, "approve": approve}
        if pin is not None:
            body["pin"] = pin
        return self.call("POST", "/ui/decide", body)
