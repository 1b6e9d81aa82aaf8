"""The production set-up: two uvicorn workers (real processes) on PostgreSQL + Redis, and two
timer dispatchers. A notification raised through one worker reaches a socket held by the other;
timers fire once; clerks issuing through both workers keep the register gap-free.

Runs in `make test-pg` (skipped on the embedded default: SQLite and the in-memory layer are one
process by design)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from viewflow.workflow.models import Task
from websockets.sync.client import connect

from documents import services as documents
from documents.models import ConsultationRequest, OutgoingRegister, Plan, PlanEvent
from tests.helpers import complete, open_task, walk_to_signature
from workflows.services import plan_submit

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
    pytest.mark.skipif(
        connection.vendor != "postgresql" or not settings.REDIS_URL,
        reason="several workers need PostgreSQL and Redis (make test-pg)",
    ),
]

ROOT = Path(settings.BASE_DIR)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environment() -> dict[str, str]:
    """The test database and Redis, for processes started by the test.

    Without PYTEST_XDIST_WORKER: config.settings.test would move this worker's Redis database
    (already moved once) again, onto the next xdist worker's, whose tests empty it (FLUSHDB)
    while these processes use it — a socket's group membership vanished mid-test in CI.
    """
    db = connection.settings_dict
    return {
        **{k: v for k, v in os.environ.items() if k != "PYTEST_XDIST_WORKER"},
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "REDIS_URL": settings.REDIS_URL,
        "DB_POOL_MIN_SIZE": "1",
        "PYTHONUNBUFFERED": "1",
    }


class Worker:
    """One uvicorn process serving config.asgi, as scripts/serve.sh starts each worker."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("uvicorn")),
                "config.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--ws",
                "websockets",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=_environment(),
            start_new_session=True,
        )

    def wait_ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "the worker died"
            try:
                with urllib.request.urlopen(f"{self.base}/api/v1/trust/", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"worker on {self.port} did not start")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)

    def call(self, method: str, path: str, token: str = "", body: Any = None) -> Any:
        request = urllib.request.Request(
            f"{self.base}{path}",
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

    def complete(self, token: str, task_id: int, action: str, **body: Any) -> Any:
        return self.call(
            "POST", f"/api/v1/tasks/{task_id}/complete/", token, {"action": action, **body}
        )


@pytest.fixture
def workers(directory) -> Iterator[tuple[Worker, Worker]]:
    pair = (Worker(), Worker())
    try:
        for worker in pair:
            worker.wait_ready()
        yield pair
    finally:
        for worker in pair:
            worker.stop()


def test_a_notification_raised_through_one_worker_reaches_a_socket_held_by_the_other(
    workers, drafter, agency_head, signer, make_content
):
    # given the drafter's socket open on worker B, and a plan waiting for the agency head
    first, second = workers
    plan = plan_submit(
        plan=documents.plan_create(actor=drafter, content=make_content(signer=signer)),
        actor=drafter,
    )
    task = open_task(agency_head, plan, "agency_review")
    socket_url = f"ws://127.0.0.1:{second.port}/ws/notifications/"
    with connect(
        socket_url,
        additional_headers={"Authorization": f"Token {second.token('chuyenvien')}"},
        origin=second.base,
        open_timeout=20,
    ) as socket_to_b:
        # when the agency head approves it through worker A
        status, answer = first.complete(first.token("giamdoc"), task.pk, "approve")
        assert status == 200, answer

        # then the drafter's socket on worker B gets the notice of this plan
        notice = json.loads(socket_to_b.recv(timeout=20))
        assert notice["kind"] == "task.assigned"
        assert notice["data"]["plan_id"] == plan.pk and notice["data"]["status"] == "approved"


def test_two_timer_dispatchers_fire_each_deadline_once(
    drafter, agency_head, signer, directory, make_content
):
    # given a consultation of two agencies whose deadline passes in two seconds
    plan = plan_submit(
        plan=documents.plan_create(actor=drafter, content=make_content(signer=signer)),
        actor=drafter,
    )
    complete(agency_head, plan, "agency_review", "approve")
    deadline = timezone.now() + timezone.timedelta(seconds=2)
    complete(
        drafter,
        plan,
        "choose_agencies",
        "send",
        data={
            "unit_ids": [directory["so-nv"].pk, directory["so-vhttdl"].pk],
            "deadline": deadline.isoformat(),
        },
    )
    # A deadline on a day off (a weekend, a holiday) moves to the end of the next working day:
    # the timers are brought back to two seconds from now, whatever day the suite runs.
    Task.objects.filter(
        process__artifact_object_id=plan.pk, flow_task_type="TIMER", status="SCHEDULED"
    ).update(scheduled=deadline)

    # when two dispatchers sweep every 0.1 s past the deadline
    dispatchers = [
        subprocess.Popen(
            [sys.executable, "manage.py", "run_timers", "--interval", "0.1"],
            cwd=ROOT,
            env=_environment(),
            start_new_session=True,
            stdout=subprocess.DEVNULL,
        )
        for _ in range(2)
    ]
    try:
        limit = time.monotonic() + 60
        while Plan.objects.get(pk=plan.pk).status != Plan.Status.CONSOLIDATING:
            assert time.monotonic() < limit, "the deadline never fired"
            time.sleep(0.2)
        time.sleep(1)  # both keep sweeping: nothing may fire twice
    finally:
        for dispatcher in dispatchers:
            os.killpg(dispatcher.pid, signal.SIGTERM)
            dispatcher.wait(20)

    # then each agency fell silent once, the round closed once, one consolidation task
    events = PlanEvent.objects.filter(plan=plan)
    assert events.filter(kind=PlanEvent.Kind.CONSULTATION_SILENT).count() == 2
    assert events.filter(kind=PlanEvent.Kind.CONSULTATION_CLOSED).count() == 1
    assert set(
        ConsultationRequest.objects.filter(plan=plan).values_list("by_silence", flat=True)
    ) == {True}
    tasks = Task.objects.filter(process__artifact_object_id=plan.pk)
    assert tasks.filter(flow_task__endswith=".join_answers").count() == 1
    assert tasks.filter(flow_task__endswith=".consolidate").count() == 1


def test_clerks_issuing_through_both_workers_keep_the_register_gap_free(
    workers, signer, clerk, make_content
):
    # given four plans signed and waiting for the clerk
    plans = [walk_to_signature(content=make_content(signer=signer)) for _ in range(4)]
    plans = [complete(signer, plan, "sign", "sign") for plan in plans]
    tasks = [open_task(clerk, plan, "issue").pk for plan in plans]
    first, second = workers
    tokens = {first: first.token("vanthu"), second: second.token("vanthu")}
    answers: list[Any] = [None] * len(tasks)
    barrier = threading.Barrier(len(tasks))

    def issue(index: int, worker: Worker) -> None:
        barrier.wait()
        answers[index] = worker.complete(tokens[worker], tasks[index], "issue")

    # when clerks issue them at once, half through each worker
    threads = [
        threading.Thread(target=issue, args=(i, first if i % 2 else second))
        for i in range(len(tasks))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)

    # then all are issued, numbered 01..04 once each
    assert [status for status, _answer in answers] == [200] * len(tasks), answers
    numbers = sorted(
        Plan.objects.filter(pk__in=[p.pk for p in plans]).values_list("number", flat=True)
    )
    assert numbers == [1, 2, 3, 4]
    assert OutgoingRegister.objects.get().last_number == 4
