"""Two served instances exchange a plan (edXML, QCVN 102:2016/BTTTT) over the HTTP transport:
A (the province) issues a plan to Bộ Thông tin và Truyền thông, a unit external to A that uses
B; B registers it with an arrival number and its statuses come back into A's receipt table.
Each instance is `scripts/serve.sh` (uvicorn and the timer dispatcher) with its own VAR_DIR,
port and SQLite database. Measures one round trip (issue → registered at B → status back at A)
into test-results/edxml-roundtrip.json. Slow (signing and LibreOffice): `make test-serve`."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

pytestmark = pytest.mark.serve

ROOT = Path(settings.BASE_DIR)
SECRET = "two-instances-shared-secret-0123456789abcdef"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Instance:
    def __init__(self, var_dir: Path, system_id: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
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
            "DJANGO_SETTINGS_MODULE",
        }
        self.env = {k: v for k, v in os.environ.items() if k not in unset}
        self.env.update(
            VAR_DIR=str(var_dir),
            PORT=str(self.port),
            DJANGO_SETTINGS_MODULE="config.settings.local",
            EXCHANGE_SYSTEM_ID=system_id,
            TIMER_INTERVAL_SECONDS="1",
            UNOSERVER="0",
            PYTHONUNBUFFERED="1",
        )
        self.process: subprocess.Popen[str] | None = None

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, *args],
            cwd=ROOT,
            env=self.env,
            check=True,
            timeout=600,
            capture_output=True,
            text=True,
        )
        return done.stdout

    def prepare(self, role: str, peer: Instance) -> dict[str, Any]:
        self.manage("manage.py", "migrate", "--noinput", "-v0")
        out = self.manage("-m", "tests.exchange.instance_setup", role, peer.url, SECRET)
        return json.loads(out.strip().splitlines()[-1])

    def start(self) -> None:
        self.log = open(Path(self.env["VAR_DIR"]) / "serve.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            ["bash", "scripts/serve.sh"],
            cwd=ROOT,
            env=self.env,
            start_new_session=True,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None and self.process.poll() is None, self.logs()
            try:
                with urllib.request.urlopen(f"{self.url}/dang-nhap/", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        pytest.fail(f"{self.url} did not answer")

    def logs(self) -> str:
        return (Path(self.env["VAR_DIR"]) / "serve.log").read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        if getattr(self, "log", None):
            self.log.close()

    def call(self, method: str, path: str, token: str = "", body: Any = None) -> Any:
        request = urllib.request.Request(
            f"{self.url}{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={
                "Content-Type": "application/json",
                **({"Authorization": f"Token {token}"} if token else {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def token(self, username: str) -> str:
        status, answer = self.call(
            "POST", "/api/v1/auth/token/", body={"username": username, "password": "demo"}
        )
        assert status == 200, answer
        return answer["token"]


def _until(what: str, check: Any, timeout: float = 60, every: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    pytest.fail(f"timed out waiting for {what}")


def test_a_plan_issued_at_a_is_registered_at_b_and_its_statuses_come_back(tmp_path):
    # given two served instances: A (the province) reaches Bộ TT&TT through B, which serves it
    a, b = Instance(tmp_path / "a", "tinh-a"), Instance(tmp_path / "b", "tinh-b")
    try:
        facts = a.prepare("a", b)
        b.prepare("b", a)
        a.start()
        b.start()
        a.wait_ready()
        b.wait_ready()
        clerk, drafter, ministry = a.token("vanthu"), a.token("chuyenvien"), b.token("botttt")
        plan_id = facts["plan_id"]

        # when A's clerk issues the plan (to Báo Đồng Nai, internal, and to the ministry)
        started = time.monotonic()
        status, answer = a.call(
            "POST", f"/api/v1/tasks/{facts['issue_task_id']}/complete/", clerk, {"action": "issue"}
        )
        issued = time.monotonic()
        assert status == 200, answer

        # then B registers it in the ministry's incoming register with an arrival number
        def registered() -> Any:
            _, page = b.call("GET", "/api/v1/incoming/", ministry)
            return page["results"] if page and page.get("results") else None

        (incoming,) = _until("registration at B", registered)
        at_b = time.monotonic()
        assert incoming["arrival_number"] == 1
        assert incoming["number"].endswith("/KH-UBND") and incoming["doc_type"] == "KH"
        assert incoming["registering_unit_name"] == "Bộ Thông tin và Truyền thông"
        assert incoming["signatures"]["signatures"], incoming["signatures"]

        # and the statuses received (01) and accepted (03) come back into A's receipt table
        def statuses(codes: set[str]) -> Any:
            _, packages = a.call("GET", f"/api/v1/documents/{plan_id}/exchange/", drafter)
            (package,) = packages
            got = [s["code"] for s in package["statuses"]]
            return package if codes <= set(got) else None

        package = _until("statuses 01 and 03 at A", lambda: statuses({"01", "03"}))
        back = time.monotonic()
        assert package["state"] == "delivered" and package["exchange_code"] == "000.00.00.G12"
        assert [s["code"] for s in package["statuses"]] == ["01", "03"]
        assert f"số đến {incoming['arrival_number']}/" in package["statuses"][1]["description"]
        _, plan = a.call("GET", f"/api/v1/documents/{plan_id}/", drafter)
        assert plan["status"] == "issued"

        # when the ministry reports the plan assigned, then done
        for code in ("04", "06"):
            status, sent = b.call(
                "POST",
                f"/api/v1/incoming/{incoming['id']}/exchange-status/",
                ministry,
                {
                    "code": code,
                    "description": "Giao Cục Thông tin đối ngoại" if code == "04" else "",
                },
            )
            assert status == 201, sent

        # then A's receipt table shows them too, in order, and B registered the plan once
        package = _until("statuses 04 and 06 at A", lambda: statuses({"04", "06"}))
        assert [s["code"] for s in package["statuses"]] == ["01", "03", "04", "06"]
        _, page = b.call("GET", "/api/v1/incoming/", ministry)
        assert len(page["results"]) == 1

        figures = {
            "issue_request_s": round(issued - started, 3),
            "issue_to_registered_at_b_s": round(at_b - started, 3),
            "issue_to_accepted_status_at_a_s": round(back - started, 3),
        }
        results = ROOT / "test-results"
        results.mkdir(exist_ok=True)
        (results / "edxml-roundtrip.json").write_text(json.dumps(figures, indent=2))
        sys.stdout.write(f"edXML round trip: {figures}\n")
    except BaseException:
        for instance in (a, b):
            if instance.process is not None:
                sys.stderr.write(f"--- {instance.url} ---\n{instance.logs()}\n")
        raise
    finally:
        for instance in (a, b):
            instance.stop()
