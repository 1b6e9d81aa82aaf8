"""Benchmarks: figures, not pass/fail. `make bench` prints a table of medians.

Runs on a throw-away SQLite database (or DATABASE_URL/REDIS_URL when set) with the demo
directory, through the same services, API and consumer as the app:

- task completion: POST /api/v1/tasks/{id}/complete/ (agency approval) until the next task exists;
- notification: service call (notify_on_commit + commit) until a connected WebSocket receives it;
- rendering the seed plan and a 30-page plan to .docx, and .docx to PDF with LibreOffice: cold (a
  one-off soffice per document) and warm (a unoserver the bench starts, then stops);
- signing in two steps with a browser-like key (plan_sign_prepare, then plan_sign with the
  signature) and issuing (plan_issue: number, fields, seal).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from django.test.utils import setup_test_environment  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "5"))
SEED = (
    Path(__file__).resolve().parent.parent / "documents" / "seeds" / "dongnai-262-KH-UBND-2023.docx"
)


def timed(fn: Callable[[], Any], runs: int = RUNS) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def report(name: str, samples: list[float]) -> None:
    print(
        f"| {name:<58} | {statistics.median(samples):9.1f} | {min(samples):9.1f} | "
        f"{max(samples):9.1f} | {len(samples):4d} |"
    )


def main() -> None:
    from django.db import connection

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run_all()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def _walk_to(step: str, plan: Any, users: dict[str, Any], directory: dict[str, Any]) -> Any:
    from tests.helpers import complete, in_days

    steps = [
        ("agency_review", "giamdoc", "approve", {}, ""),
        (
            "choose_agencies",
            "chuyenvien",
            "send",
            {"unit_ids": [directory["so-nv"].pk], "deadline": in_days(5)},
            "",
        ),
        ("consult", "ngoaivu", "agree", {}, ""),
        ("consolidate", "chuyenvien", "send", {}, ""),
        ("budget_review", "taichinh", "approve", {}, ""),
        ("vetting", "vanphong", "approve", {}, ""),
        ("sign", "phochutich", "sign", {}, ""),
    ]
    for name, username, action, data, comment in steps:
        if name == step:
            return plan
        plan = complete(users[username], plan, name, action, comment=comment, data=data)
    return plan


def run_all() -> None:
    from channels.testing import WebsocketCommunicator
    from django.db import transaction
    from rest_framework.test import APIClient

    from agencies.directory import directory_seed
    from agencies.models import Unit, User
    from config.asgi import application
    from documents import services as documents
    from documents.importing import import_plan_docx
    from notifications.services import notify_on_commit
    from tests.helpers import open_task
    from workflows.services import plan_submit

    directory_seed()
    directory = {u.code: u for u in Unit.objects.all()}
    users = {u.username: u for u in User.objects.all()}
    drafter, signer = users["chuyenvien"], users["phochutich"]
    rows = list(Unit.objects.values_list("pk", "name", "short_name"))
    seed = import_plan_docx(SEED.read_bytes(), directory=rows)
    seed_content = dict(seed.content)
    seed_content["signature"] = {"signer_id": signer.pk}
    seed_content["recipients"] = {
        **seed_content["recipients"],
        "units": [{"name": u.name, "unit_id": u.pk} for u in directory.values()][:6],
    }

    print(f"Benchmarks ({RUNS} runs each; ms)  database: {connection_vendor()}")
    print("| what | median | min | max | runs |")
    print("|---|---:|---:|---:|---:|")

    report(
        "import the seed plan .docx (structure, units matched)",
        timed(lambda: import_plan_docx(SEED.read_bytes(), directory=rows)),
    )

    # Rendering: .docx, then PDF cold (one-off soffice) and warm (unoserver)
    bench_rendering(documents._clean_content(seed_content)[0])

    # Task completion through the API: request until the next task exists
    head = users["giamdoc"]
    client = APIClient()
    client.force_authenticate(head)
    samples = []
    for _ in range(RUNS):
        plan = documents.plan_create(actor=drafter, content=seed_content)
        plan = plan_submit(plan=plan, actor=drafter)
        task = open_task(head, plan, "agency_review")
        start = time.perf_counter()
        response = client.post(
            f"/api/v1/tasks/{task.pk}/complete/", {"action": "approve"}, format="json"
        )
        assert response.status_code == 200, response.content
        samples.append((time.perf_counter() - start) * 1000)
        assert open_task(drafter, plan, "choose_agencies")
    report("complete a task via API (approve → next task created)", samples)

    # Notification: service call to a connected socket
    async def notification_latency() -> list[float]:
        from channels.db import database_sync_to_async
        from rest_framework.authtoken.models import Token

        token = await database_sync_to_async(
            lambda: Token.objects.get_or_create(user=drafter)[0].key
        )()
        communicator = WebsocketCommunicator(
            application,
            f"/ws/notifications/?token={token}",
            headers=[(b"origin", b"http://127.0.0.1:8000"), (b"host", b"127.0.0.1:8000")],
        )
        connected, _ = await communicator.connect()
        assert connected
        out = []

        def send() -> None:
            with transaction.atomic():
                notify_on_commit(user_ids=[drafter.pk], kind="bench", title="Đo thời gian")

        for _ in range(RUNS * 4):
            start = time.perf_counter()
            await database_sync_to_async(send)()
            await communicator.receive_json_from(timeout=10)
            out.append((time.perf_counter() - start) * 1000)
        await communicator.disconnect()
        return out

    report("notification: service call → connected WebSocket", asyncio.run(notification_latency()))

    # Signing and issuing: walk plans to the signature step first
    plans = []
    for _ in range(RUNS):
        plan = documents.plan_create(actor=drafter, content=seed_content)
        plan = plan_submit(plan=plan, actor=drafter)
        plans.append(_walk_to("sign", plan, users, directory))
    for plan in plans:
        documents.plan_prepare_signature(plan=plan)  # render outside the timing, as the flow does
    from tests.signing.browser_key import browser_key_for

    key = browser_key_for(signer)  # a browser's P-256 key, enrolled
    it, pending = iter(plans), []
    report(
        "sign 1/2: prepare (issue fields, appearance, signed attrs)",
        timed(
            lambda: pending.append(
                documents.plan_sign_prepare(plan=next(it), actor=signer, device_id=key.device.pk)
            )
        ),
    )
    answers = iter([(p, key.sign(p.to_be_signed)) for p in pending])  # the browser's part

    def finish(plan: Any) -> None:
        prepared, signature = next(answers)
        documents.plan_sign(
            plan=plan, actor=signer, session_id=prepared.session.id, signature=signature
        )

    it = iter(plans)
    report("sign 2/2: finish (r‖s→DER, verify, CMS + TST, store)", timed(lambda: finish(next(it))))
    it = iter(plans)
    report(
        "issue (plan_issue: number + fill fields + seal + delivery)",
        timed(lambda: documents.plan_issue(plan=next(it), actor=users["vanthu"])),
    )
    from signing.services import pdf_verify

    issued = bytes(type(plans[0]).objects.get(pk=plans[0].pk).issued_pdf)
    report("validate an issued PDF (2 signatures)", timed(lambda: pdf_verify(pdf=issued)))


def bench_rendering(seed: dict[str, Any]) -> None:
    from django.conf import settings

    from documents import conversion, rendering
    from documents.content import PlanContent
    from tests.documents.test_layout_samples import header, long_plan_content

    plans = {
        "seed plan": PlanContent.from_dict(seed),
        "30-page plan": long_plan_content(),
    }
    draft = header()
    docx = {}
    for name, content in plans.items():
        report(
            f"render {name} to .docx", timed(lambda c=content: rendering.render_plan_docx(c, draft))
        )
        docx[name] = rendering.render_plan_docx(content, draft)
    pages = {name: _page_count(conversion.docx_to_pdf(data)) for name, data in docx.items()}

    settings.UNOSERVER_HOST = ""
    for name, data in docx.items():
        report(
            f"convert {name} ({pages[name]} p.) to PDF, cold (soffice)",
            timed(lambda d=data: conversion.docx_to_pdf(d), runs=max(3, RUNS // 2)),
        )

    with _unoserver() as (port, startup):
        if port is None:
            print(
                "| warm conversion: skipped (no python3-uno / LibreOffice for unoserver) | | | | |"
            )
            return
        report("unoserver: start until it answers (once)", [startup])
        settings.UNOSERVER_HOST, settings.UNOSERVER_PORT = "127.0.0.1", port
        conversion._health.forget()
        conversion.docx_to_pdf(docx["seed plan"])  # the first conversion loads the filters
        for name, data in docx.items():
            report(
                f"convert {name} ({pages[name]} p.) to PDF, warm (unoserver)",
                timed(lambda d=data: conversion.docx_to_pdf(d)),
            )
        content = plans["seed plan"]
        report(
            "seed plan: content → .docx → PDF, warm",
            timed(lambda: conversion.docx_to_pdf(rendering.render_plan_docx(content, draft))),
        )
    settings.UNOSERVER_HOST = ""
    conversion._health.forget()


def _page_count(pdf: bytes) -> int:
    import io

    import pypdf

    return len(pypdf.PdfReader(io.BytesIO(pdf)).pages)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def _unoserver() -> Iterator[tuple[int | None, float]]:
    """A unoserver for the bench: .venv-uno's (scripts/unoserver.sh) if it exists, else the app's
    unoserver package run by Debian's python3 (which has python3-uno). Yields (port, seconds it
    took to answer), or (None, 0) when it cannot run here; stops it and LibreOffice afterwards."""
    from documents import conversion

    root = Path(__file__).resolve().parent.parent
    python = Path("/usr/bin/python3")
    has_uno = (
        python.exists()
        and subprocess.run([str(python), "-c", "import uno"], capture_output=True).returncode == 0
    )
    if not has_uno or not conversion.soffice_available():
        yield None, 0.0
        return
    with tempfile.TemporaryDirectory(prefix="kehoach-bench-uno-") as tmp:
        port, uno_port = _free_port(), _free_port()
        arguments = [
            "--interface",
            "127.0.0.1",
            "--port",
            str(port),
            "--uno-port",
            str(uno_port),
            "--user-installation",
            str(Path(tmp) / "profile"),
        ]
        env = {**os.environ, "HOME": tmp}
        venv_server = root / ".venv-uno" / "bin" / "unoserver"
        if venv_server.exists():
            command = [str(venv_server), *arguments]
        else:
            distribution = importlib.metadata.distribution("unoserver")
            lib = Path(tmp) / "lib"
            shutil.copytree(Path(distribution.locate_file("unoserver")), lib / "unoserver")
            command = [str(python), "-m", "unoserver.server", *arguments]
            env["PYTHONPATH"] = str(lib)
        started = time.perf_counter()
        process = subprocess.Popen(
            command,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, LibreOffice included
        )
        try:
            deadline = time.monotonic() + 90
            while not conversion._probe("127.0.0.1", port):
                if time.monotonic() > deadline or process.poll() is not None:
                    yield None, 0.0
                    return
                time.sleep(0.1)
            yield port, (time.perf_counter() - started) * 1000
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)


def connection_vendor() -> str:
    from django.db import connection

    return connection.vendor


if __name__ == "__main__":
    sys.exit(main())
