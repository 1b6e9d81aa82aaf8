"""Completing a task through the API: a bounded number of statements and a small answer that
says what changed and where to go next; the whole plan only on request."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from agencies.models import User
from documents import services as documents
from documents.models import Plan
from tests.helpers import complete, in_days, open_task
from workflows.services import plan_submit

pytestmark = pytest.mark.django_db(transaction=True)

#: Statements one completion may send, authentication included (one statement: a token or a
#: session looked up; the token's last-use UPDATE must not happen on every request).
MAX_STATEMENTS = 12
#: What authentication may take of it; the completion itself is measured without it.
AUTHENTICATION_STATEMENTS = 1
#: An answer without the plan is small (the whole plan was ~27 KB).
MAX_ANSWER_BYTES = 1024


def token_client(user: User) -> APIClient:
    client = APIClient()
    response = client.post(
        "/api/v1/auth/token/", {"username": user.username, "password": "demo"}, format="json"
    )
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def authenticated_client(user: User) -> APIClient:
    """A client whose user is already known: what is measured is the completion alone."""
    client = APIClient()
    client.force_authenticate(user)
    return client


def statements(captured: CaptureQueriesContext) -> list[str]:
    """What reached the database. SQLite reports its BEGIN IMMEDIATE, PostgreSQL's BEGIN is
    implicit and not reported: it is left out so that one bound holds for both."""
    return [q["sql"] for q in captured.captured_queries if not q["sql"].startswith("BEGIN")]


def complete_over_api(user: User, plan: Plan, step: str, action: str, **body: Any) -> Any:
    client = authenticated_client(user)
    task = open_task(user, plan, step)
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            f"/api/v1/tasks/{task.pk}/complete/", {"action": action, **body}, format="json"
        )
    assert response.status_code == 200, response.content
    return response, statements(captured)


@pytest.fixture
def submitted(drafter, signer, make_content) -> Plan:
    plan = documents.plan_create(actor=drafter, content=make_content(signer=signer))
    return plan_submit(plan=plan, actor=drafter)


def at_budget_review(plan: Plan, drafter, agency_head, foreign_affairs, directory) -> Plan:
    complete(agency_head, plan, "agency_review", "approve")
    complete(
        drafter,
        plan,
        "choose_agencies",
        "send",
        data={"unit_ids": [directory["so-nv"].pk], "deadline": in_days(3)},
    )
    complete(foreign_affairs, plan, "consult", "agree")
    return complete(drafter, plan, "consolidate", "send")


def test_approving_a_draft_takes_a_bounded_number_of_statements_and_answers_briefly(
    submitted, agency_head, drafter
):
    # when the head of the drafting agency approves through the API
    response, sent = complete_over_api(agency_head, submitted, "agency_review", "approve")

    # then the completion stayed within the bound, and the answer is what changed and where next
    assert len(sent) <= MAX_STATEMENTS - AUTHENTICATION_STATEMENTS, "\n".join(sent)
    assert len(response.content) <= MAX_ANSWER_BYTES
    answer = response.json()
    assert answer["step"] == "agency_review" and answer["action"] == "approve"
    assert answer["plan"]["id"] == submitted.pk
    assert answer["plan"]["status"] == Plan.Status.APPROVED
    assert answer["plan"]["version_number"] == 1
    assert answer["next_tasks"] == []  # the next step is the drafter's
    assert answer["next"] == f"/api/v1/documents/{submitted.pk}/"
    assert "plan_detail" not in answer
    assert open_task(drafter, submitted, "choose_agencies")


def test_the_next_task_of_the_same_user_is_named_in_the_answer(
    submitted, agency_head, drafter, foreign_affairs
):
    # given a plan consulted and answered, waiting for its drafter to consolidate
    complete(agency_head, submitted, "agency_review", "approve")
    unit = foreign_affairs.unit_id
    complete(
        drafter,
        submitted,
        "choose_agencies",
        "send",
        data={"unit_ids": [unit], "deadline": in_days(3)},
    )
    complete(foreign_affairs, submitted, "consult", "agree")

    # when the drafter asks the agencies again, so that choosing them is theirs at once
    response, _sent = complete_over_api(
        drafter, submitted, "consolidate", "reopen", comment="Sửa nhiều, xin ý kiến lại."
    )

    # then the answer names that task and sends them there
    answer = response.json()
    choose = open_task(drafter, submitted, "choose_agencies")
    assert answer["plan"]["status"] == Plan.Status.APPROVED
    assert answer["next_tasks"] == [
        {
            "id": choose.pk,
            "step": "choose_agencies",
            "title": "Chọn đơn vị lấy ý kiến và hạn góp ý",
            "url": f"/api/v1/tasks/{choose.pk}/",
        }
    ]
    assert answer["next"] == f"/api/v1/tasks/{choose.pk}/"


def test_a_return_takes_a_bounded_number_of_statements(
    submitted, drafter, agency_head, foreign_affairs, directory
):
    # given a plan at budget review
    plan = at_budget_review(submitted, drafter, agency_head, foreign_affairs, directory)

    # when Sở Tài chính returns it
    finance = User.objects.get(username="taichinh")
    response, sent = complete_over_api(
        finance, plan, "budget_review", "return", comment="Bổ sung dự toán."
    )

    # then within the bound; the revision is the drafter's, not in the returner's answer
    assert len(sent) <= MAX_STATEMENTS - AUTHENTICATION_STATEMENTS, "\n".join(sent)
    assert response.json()["plan"]["status"] == Plan.Status.RETURNED
    assert response.json()["next_tasks"] == []
    assert open_task(drafter, plan, "revise_budget")


@pytest.mark.parametrize(
    ("username", "step"), [("taichinh", "budget_review"), ("vanphong", "vetting")]
)
def test_approving_a_review_step_takes_a_bounded_number_of_statements(
    username, step, submitted, drafter, agency_head, foreign_affairs, directory
):
    # given a plan at budget review (and, for vetting, past it)
    plan = at_budget_review(submitted, drafter, agency_head, foreign_affairs, directory)
    if step == "vetting":
        complete(User.objects.get(username="taichinh"), plan, "budget_review", "approve")

    # when the reviewer approves
    response, sent = complete_over_api(User.objects.get(username=username), plan, step, "approve")

    # then within the bound, with the plan moved on
    assert len(sent) <= MAX_STATEMENTS - AUTHENTICATION_STATEMENTS, "\n".join(sent)
    assert response.json()["plan"]["status"] in (
        Plan.Status.VETTING,
        Plan.Status.AWAITING_SIGNATURE,
    )


def test_the_whole_plan_comes_with_the_answer_on_request(submitted, agency_head):
    # when the completion asks for the plan
    client = token_client(agency_head)
    task = open_task(agency_head, submitted, "agency_review")
    response = client.post(
        f"/api/v1/tasks/{task.pk}/complete/?expand=plan", {"action": "approve"}, format="json"
    )

    # then the answer carries it, history included
    assert response.status_code == 200, response.content
    detail = response.json()["plan_detail"]
    assert detail["id"] == submitted.pk and detail["status"] == Plan.Status.APPROVED
    assert [e["kind"] for e in detail["history"]][-1] == "approved_release"


@pytest.mark.parametrize("expand_plan", [False, True])
def test_the_answer_is_what_its_serializer_in_the_schema_says(
    expand_plan, submitted, drafter, agency_head, foreign_affairs
):
    from web.api_tasks import CompletionSerializer, completion_answer
    from workflows.services import task_complete

    # given a completion that opens a task for someone else, and one that opens one for the actor
    task = open_task(agency_head, submitted, "agency_review")
    approved = task_complete(task_id=task.pk, actor=agency_head, action="approve")
    data = {"unit_ids": [foreign_affairs.unit_id], "deadline": in_days(3)}
    complete(drafter, submitted, "choose_agencies", "send", data=data)
    complete(foreign_affairs, submitted, "consult", "agree")
    task = open_task(drafter, submitted, "consolidate")
    reopened = task_complete(task_id=task.pk, actor=drafter, action="reopen", comment="Hỏi lại.")
    assert approved.next_tasks == () and approved.opened and reopened.next_tasks

    # then the answer made directly is the one the schema's serializer makes
    for completion in (approved, reopened):
        context = {"expand_plan": expand_plan}
        described = CompletionSerializer(completion, context=context).data
        assert completion_answer(completion, expand_plan=expand_plan) == described
