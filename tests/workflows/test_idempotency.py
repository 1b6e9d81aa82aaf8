"""Task completion is safe to retry (issue 7 §2): with an Idempotency-Key the answer is replayed,
without one a retry is told that its action already took effect; a dropped database connection is
a 503 the client may retry."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, connections
from rest_framework.test import APIClient

from agencies.models import User
from documents.models import Plan, PlanEvent
from documents.services import plan_create
from tests.helpers import open_task
from workflows.services import plan_submit

HEAD_ONLY = pytest.mark.django_db


def api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def submitted(drafter, make_content, signer) -> Plan:
    return plan_submit(
        plan=plan_create(actor=drafter, content=make_content(signer=signer)), actor=drafter
    )


def approvals(plan: Plan) -> int:
    return PlanEvent.objects.filter(plan=plan, kind=PlanEvent.Kind.APPROVED_RELEASE).count()


def complete(client: APIClient, task_id: int, key: str | None = None, **body: Any) -> Any:
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(
        f"/api/v1/tasks/{task_id}/complete/",
        {"action": "approve", **body},
        format="json",
        **headers,
    )


@HEAD_ONLY
def test_same_key_twice_acts_once_and_replays_the_answer(agency_head, submitted):
    task = open_task(agency_head, submitted, "agency_review")
    client = api(agency_head)

    first = complete(client, task.pk, key="3f2a-retry-1")
    second = complete(client, task.pk, key="3f2a-retry-1")

    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert approvals(submitted) == 1


@HEAD_ONLY
def test_a_key_reused_for_another_request_is_a_conflict(agency_head, submitted):
    task = open_task(agency_head, submitted, "agency_review")
    client = api(agency_head)
    assert complete(client, task.pk, key="k-1").status_code == 200

    response = complete(client, task.pk, key="k-1", comment="khác")

    assert response.status_code == 409
    assert response.json()["error"] == "idempotency_key_reused"


@HEAD_ONLY
@pytest.mark.parametrize("key", ["", "x" * 101, "có dấu", "a b"])
def test_a_malformed_key_is_refused_before_acting(agency_head, submitted, key):
    task = open_task(agency_head, submitted, "agency_review")
    response = complete(api(agency_head), task.pk, key=key)
    assert response.status_code == 400
    assert approvals(submitted) == 0


@HEAD_ONLY
def test_a_retry_without_key_is_told_its_action_took_effect(agency_head, submitted):
    task = open_task(agency_head, submitted, "agency_review")
    client = api(agency_head)
    assert complete(client, task.pk).status_code == 200

    retry = complete(client, task.pk)

    assert retry.status_code == 409
    body = retry.json()
    assert body["error"] == "already_done"
    assert body["completed_by_you"] is True
    assert body["action"] == "approve"
    assert body["task"] == task.pk
    assert "Duyệt" in body["detail"]
    assert approvals(submitted) == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_request_twice_at_once_acts_once(agency_head, submitted):
    task = open_task(agency_head, submitted, "agency_review")
    barrier = threading.Barrier(2)
    answers: list[Any] = []

    def send() -> None:
        try:
            barrier.wait()
            answers.append(complete(api(agency_head), task.pk, key="same-moment"))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(a.status_code for a in answers) == [200, 200]
    assert answers[0].json() == answers[1].json()
    assert [a.get("Idempotent-Replayed") for a in answers].count("true") == 1
    assert approvals(submitted) == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="PostgreSQL"
)
def test_a_dropped_database_connection_is_a_503_and_the_retry_acts_once(agency_head, submitted):
    import psycopg

    task = open_task(agency_head, submitted, "agency_review")
    client = api(agency_head)
    # given this process's database connection is killed by the server (a restart, a failover)
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    params = settings.DATABASES["default"]
    with psycopg.connect(
        host=params["HOST"],
        port=params["PORT"] or 5432,
        user=params["USER"],
        dbname="postgres",
        autocommit=True,
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])

    # when the head approves
    dropped = complete(client, task.pk, key="after-drop")

    # then a JSON 503 asking to retry, and nothing happened
    assert dropped.status_code == 503
    assert dropped.json()["error"] == "unavailable"
    assert int(dropped["Retry-After"]) > 0
    # (what Django does when a served request ends: a connection that failed is closed)
    connection.close_if_unusable_or_obsolete()
    assert approvals(submitted) == 0

    # and the retry acts, once
    assert complete(client, task.pk, key="after-drop").status_code == 200
    assert complete(client, task.pk, key="after-drop")["Idempotent-Replayed"] == "true"
    assert approvals(submitted) == 1


@HEAD_ONLY
def test_kept_answers_are_forgotten_after_a_day(agency_head, submitted):
    import datetime as dt

    from django.utils import timezone

    from workflows.models import IdempotentRequest
    from workflows.services import idempotent_request_purge

    task = open_task(agency_head, submitted, "agency_review")
    complete(api(agency_head), task.pk, key="old")
    assert idempotent_request_purge(now=timezone.now() + dt.timedelta(hours=23)) == 0
    assert idempotent_request_purge(now=timezone.now() + dt.timedelta(hours=25)) == 1
    assert not IdempotentRequest.objects.exists()
