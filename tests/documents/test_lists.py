"""Every list is paginated and read through indexes: the same statements whatever the number of
plans, pages that chain through every visible item exactly once, newest first."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient
from viewflow.workflow.models import Task
from viewflow.workflow.token import Token

from agencies.backends import role_permission
from agencies.models import Unit, User
from documents.models import IncomingDocument, OutgoingRegister, Plan, PlanAccess, Receipt
from documents.selectors import incoming_list_visible, plan_list_visible
from notifications.models import Notification
from workflows.flows import PlanFlow
from workflows.services import task_list_open

pytestmark = pytest.mark.django_db

LISTS = [
    ("chuyenvien", "/api/v1/documents/"),
    ("taichinh", "/api/v1/documents/"),
    ("baodongnai", "/api/v1/documents/"),
    ("taichinh", "/api/v1/tasks/"),
    ("chuyenvien", "/api/v1/notifications/"),
    ("chuyenvien", "/api/v1/incoming/"),
    ("vanthu", "/api/v1/registers/"),
    ("vanthu", "REGISTER"),
]


def province(count: int, seed: int = 8) -> None:
    """`count` plans in every state of the path, granted as the services grant them, with open
    review tasks, deliveries, notifications and incoming documents (rows made directly: the path
    that made them is not under test here)."""
    rng = random.Random(seed)
    units = list(Unit.objects.order_by("pk"))
    issuer = Unit.objects.get(code="ubnd-tinh")
    users = {u.username: u for u in User.objects.all()}
    drafter, signer = users["chuyenvien"], users["phochutich"]
    statuses = ["issued", "issued", "draft", "budget_review", "vetting"]
    plans = Plan.objects.bulk_create(
        [
            Plan(
                title=f"Kế hoạch {i}",
                year=2024,
                issuer=issuer,
                drafting_unit_id=drafter.unit_id,
                drafter=drafter if i % 3 == 0 else users["giamdoc"],
                signer=signer,
                content={"title": f"Kế hoạch {i}"},
                status=statuses[i % len(statuses)],
            )
            for i in range(count)
        ]
    )
    grants, receipts = [], []
    number = Plan.objects.filter(number__isnull=False).count()
    for plan in plans:
        grants.append(PlanAccess(plan=plan, role="finance_reviewer", reason="budget_review"))
        grants += [
            PlanAccess(plan=plan, unit=u, reason="consultation") for u in rng.sample(units, 2)
        ]
        if plan.status == "issued":
            number += 1
            Plan.objects.filter(pk=plan.pk).update(
                number=number, register_year=2024, issued_on=dt.date(2024, 5, 1)
            )
            grants.append(PlanAccess(plan=plan, role="clerk", reason="issuance"))
            for unit in rng.sample(units, 3):
                grants.append(PlanAccess(plan=plan, unit=unit, reason="recipient"))
                receipts.append(Receipt(plan=plan, unit=unit, delivered_at=timezone.now()))
        if plan.status in ("budget_review", "vetting"):
            process = PlanFlow.process_class(flow_class=PlanFlow, artifact=plan)
            process.save()
            node = PlanFlow.instance.budget_review
            if plan.status == "vetting":
                node = PlanFlow.instance.vetting
            Task.objects.create(
                process=process,
                flow_task=node,
                flow_task_type="HUMAN",
                status="NEW",
                token=Token("start"),
                owner_permission=role_permission(
                    "finance_reviewer" if plan.status == "budget_review" else "office_vetter"
                ),
            )
    PlanAccess.objects.bulk_create(grants, ignore_conflicts=True)
    Receipt.objects.bulk_create(receipts, ignore_conflicts=True)
    OutgoingRegister.objects.update_or_create(
        issuer=issuer, year=2024, defaults={"last_number": number}
    )
    Notification.objects.bulk_create(
        Notification(user=drafter, kind="task.assigned", title=f"Việc {i}") for i in range(count)
    )
    IncomingDocument.objects.bulk_create(
        IncomingDocument(
            sender="Bộ Thông tin và Truyền thông",
            subject=f"V/v {i}",
            file_sha256=f"{seed:08x}{i:056x}",
            registered_by=drafter,
            registering_unit=drafter.unit if i % 2 else rng.choice(units),
            registered_at=timezone.now(),
            assigned_unit=rng.choice(units),
        )
        for i in range(count)
    )


def resolve(url: str) -> str:
    if url == "REGISTER":
        return f"/api/v1/registers/{OutgoingRegister.objects.get().pk}/entries/"
    return url


def statements_of(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(captured.captured_queries)


def api(username: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(User.objects.get(username=username))
    return client


def walk(client: APIClient, url: str) -> list[dict[str, Any]]:
    """Every item of a list, following `next` page by page."""
    items: list[dict[str, Any]] = []
    while url:
        page = client.get(url).json()
        assert len(page["results"]) <= 7
        items += page["results"]
        url = page["next"]
    return items


def test_no_list_reads_more_statements_when_the_province_grows(directory):
    # given a few plans, then many more
    province(4, seed=1)
    for user, url in LISTS:  # warm what is kept between requests (e.g. the current absences)
        statements_of(api(user), resolve(url))
    few = {(user, url): statements_of(api(user), resolve(url)) for user, url in LISTS}
    few["inbox"] = statements_of(page_client("taichinh"), "/")
    province(60, seed=2)

    # when the same lists are read again
    many = {(user, url): statements_of(api(user), resolve(url)) for user, url in LISTS}
    many["inbox"] = statements_of(page_client("taichinh"), "/")

    # then none of them sent more statements (no statement per row)
    assert many == few


def page_client(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


@pytest.mark.parametrize("username", ["chuyenvien", "taichinh", "baodongnai", "vanthu", "congan"])
def test_pages_of_documents_chain_through_every_visible_plan_once_newest_first(username, directory):
    # given a province of plans granted to various units and roles
    province(45)
    user = User.objects.get(username=username)

    # when the user pages through their documents, seven at a time
    listed = [item["id"] for item in walk(api(username), "/api/v1/documents/?limit=7")]

    # then they see exactly the plans visible to them, each once, newest first
    expected = sorted(plan_list_visible(user=user).values_list("pk", flat=True), reverse=True)
    assert listed == expected
    assert listed, "the province gave this user nothing to see"


def test_pages_of_tasks_incoming_notifications_and_the_register_chain_through_everything(
    directory,
):
    province(45)
    finance = User.objects.get(username="taichinh")
    drafter = User.objects.get(username="chuyenvien")

    tasks = [t["id"] for t in walk(api("taichinh"), "/api/v1/tasks/?limit=7")]
    assert tasks == sorted(task_list_open(user=finance).values_list("pk", flat=True), reverse=True)

    incoming = [d["id"] for d in walk(api("chuyenvien"), "/api/v1/incoming/?limit=7")]
    assert incoming == sorted(
        incoming_list_visible(user=drafter).values_list("pk", flat=True), reverse=True
    )

    notifications = [n["id"] for n in walk(api("chuyenvien"), "/api/v1/notifications/?limit=7")]
    assert notifications == sorted(
        Notification.objects.filter(user=drafter).values_list("pk", flat=True), reverse=True
    )

    entries = walk(api("vanthu"), f"{resolve('REGISTER')}?limit=7")
    issued = Plan.objects.filter(number__isnull=False).count()
    assert [e["number"] for e in entries] == list(range(issued, 0, -1))
    assert entries[0]["number_text"] == f"{issued:02d}/KH-UBND"


def test_the_register_is_read_by_the_clerk_and_refused_to_a_drafter(directory):
    province(5)
    assert api("vanthu").get("/api/v1/registers/").status_code == 200
    refused = api("chuyenvien").get("/api/v1/registers/")
    assert refused.status_code == 403 and refused.json()["error"] == "not_a_reader"


def test_the_inbox_page_shows_a_page_of_each_list_and_links_to_the_next(directory):
    # given more related plans than a page holds
    province(50)
    client = page_client("taichinh")

    # when the page is opened, then the next page of related plans
    first = client.get("/")
    assert first.status_code == 200
    related = first.context["related_page"]
    assert len(related.items) == 20 and related.next_url
    second = client.get("/" + related.next_url.split("#")[0])

    # then the second page continues below the first, without overlap
    following = second.context["related_page"].items
    assert following and following[0].pk < related.items[-1].pk
    assert not {p.pk for p in following} & {p.pk for p in related.items}
    assert "Xem tiếp" in first.content.decode()


def test_a_bad_cursor_is_a_clear_error(directory):
    response = api("chuyenvien").get("/api/v1/documents/?before=abc")
    assert response.status_code == 400 and response.json()["error"] == "invalid_page"
