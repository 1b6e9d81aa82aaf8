"""Benchmarks: figures, not pass/fail. `make bench` prints a table of medians.

Runs on a throw-away SQLite database (or DATABASE_URL/REDIS_URL when set) with the demo
directory, through the same services, API and consumer as the app:

- task completion: POST /api/v1/tasks/{id}/complete/ (agency approval) until the next task exists;
- notification: service call (notify_on_commit + commit) until a connected WebSocket receives it;
- rendering the seed plan to .docx, and .docx to PDF (LibreOffice);
- signing (plan_sign) and issuing (plan_issue: number, fields, seal).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from collections.abc import Callable
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
    from documents import conversion, rendering
    from documents import services as documents
    from documents.content import DocumentHeader, PlanContent
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

    # Rendering
    content = PlanContent.from_dict(documents._clean_content(seed_content)[0])
    header = DocumentHeader(
        issuer_name="ỦY BAN NHÂN DÂN TỈNH ĐỒNG NAI", issuer_abbreviation="UBND", place="Đồng Nai"
    )
    report("render seed plan to .docx", timed(lambda: rendering.render_plan_docx(content, header)))
    docx = rendering.render_plan_docx(content, header)
    report(
        "convert seed .docx to PDF (LibreOffice, one-off)",
        timed(lambda: conversion.docx_to_pdf(docx), runs=max(3, RUNS // 2)),
    )

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
    it = iter(plans)
    report(
        "sign (plan_sign: issue fields + PAdES B-T)",
        timed(lambda: documents.plan_sign(plan=next(it), actor=signer)),
    )
    it = iter(plans)
    report(
        "issue (plan_issue: number + fill fields + seal + delivery)",
        timed(lambda: documents.plan_issue(plan=next(it), actor=users["vanthu"])),
    )
    from signing.services import pdf_verify

    issued = bytes(type(plans[0]).objects.get(pk=plans[0].pk).issued_pdf)
    report("validate an issued PDF (2 signatures)", timed(lambda: pdf_verify(pdf=issued)))


def connection_vendor() -> str:
    from django.db import connection

    return connection.vendor


if __name__ == "__main__":
    sys.exit(main())
