"""Who may see and do what; refusals are clear, carry the right status, and change nothing."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from agencies.errors import PermissionDenied, StateError
from documents import services as documents
from documents.models import OutgoingRegister, Plan, PlanEvent
from documents.selectors import plan_list_visible
from tests.helpers import complete, open_task
from workflows.services import plan_submit, task_complete

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_user_of_an_unrelated_unit_cannot_see_a_draft(drafter, newspaper, signer, make_content):
    # given a draft
    plan = documents.plan_create(actor=drafter, content=make_content(signer=signer))
    # when a user of an unrelated unit looks for it
    response = api(newspaper).get(f"/api/v1/documents/{plan.pk}/")
    # then it does not exist for them
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert plan not in plan_list_visible(user=newspaper)
    assert plan in plan_list_visible(user=drafter)


def test_a_drafter_cannot_sign(drafter, signer, make_content):
    # given a plan awaiting signature
    plan = documents.plan_create(actor=drafter, content=make_content(signer=signer))
    Plan.objects.filter(pk=plan.pk).update(status=Plan.Status.AWAITING_SIGNATURE)
    events = plan.events.count()
    # when the drafter tries to sign
    with pytest.raises(PermissionDenied):
        documents.plan_sign(plan=plan, actor=drafter)
    # then nothing changed
    plan.refresh_from_db()
    assert plan.status == Plan.Status.AWAITING_SIGNATURE
    assert not plan.signed_pdf
    assert plan.events.count() == events


def test_the_clerk_cannot_issue_an_unsigned_plan_and_no_number_is_used(
    clerk, drafter, signer, make_content
):
    # given a plan still in vetting
    plan = documents.plan_create(actor=drafter, content=make_content(signer=signer))
    Plan.objects.filter(pk=plan.pk).update(status=Plan.Status.VETTING)
    # when the clerk tries to issue it
    with pytest.raises(StateError):
        documents.plan_issue(plan=plan, actor=clerk)
    # then it is unchanged and no register number was taken
    plan.refresh_from_db()
    assert plan.status == Plan.Status.VETTING and plan.number is None
    assert OutgoingRegister.objects.exists() is False


def test_a_recipient_sees_the_plan_only_once_issued(
    drafter, agency_head, newspaper, signer, make_content
):
    # given a plan in agency review that names Báo Đồng Nai as a recipient
    plan = documents.plan_create(actor=drafter, content=make_content(signer=signer))
    plan = plan_submit(plan=plan, actor=drafter)
    # then the recipient cannot see it before issuance
    assert plan not in plan_list_visible(user=newspaper)
    assert api(newspaper).get(f"/api/v1/documents/{plan.pk}/pdf/").status_code == 404
    assert plan in plan_list_visible(user=agency_head)


def test_someone_else_cannot_complete_a_task_and_it_stays_open(
    drafter, agency_head, culture, signer, make_content
):
    # given the head's approval task
    plan = documents.plan_create(actor=drafter, content=make_content(signer=signer))
    plan = plan_submit(plan=plan, actor=drafter)
    task = open_task(agency_head, plan, "agency_review")
    # when a user of another unit calls the API to complete it
    response = api(culture).post(
        f"/api/v1/tasks/{task.pk}/complete/", {"action": "approve"}, format="json"
    )
    # then it is not theirs, and the plan and task are unchanged
    assert response.status_code == 404
    plan.refresh_from_db()
    assert plan.status == Plan.Status.AGENCY_REVIEW
    assert open_task(agency_head, plan, "agency_review").pk == task.pk


def test_bad_input_is_a_400_with_a_vietnamese_message_and_changes_nothing(
    drafter,
    agency_head,
    signer,
    make_content,
):
    # given the head's approval task
    plan = documents.plan_create(actor=drafter, content=make_content(signer=signer))
    plan = plan_submit(plan=plan, actor=drafter)
    task = open_task(agency_head, plan, "agency_review")
    client = api(agency_head)
    # when the head sends an unknown action, then a return without a comment
    unknown = client.post(
        f"/api/v1/tasks/{task.pk}/complete/", {"action": "publish"}, format="json"
    )
    silent_return = client.post(
        f"/api/v1/tasks/{task.pk}/complete/", {"action": "return"}, format="json"
    )
    # then both are refused with a clear message and nothing moved
    assert unknown.status_code == 400 and "không hợp lệ" in unknown.json()["detail"]
    assert silent_return.status_code == 400
    assert plan.events.filter(kind=PlanEvent.Kind.RETURNED).exists() is False
    plan.refresh_from_db()
    assert plan.status == Plan.Status.AGENCY_REVIEW


def test_completing_a_task_twice_is_a_conflict(drafter, agency_head, signer, make_content):
    # given the head approved the plan
    plan = documents.plan_create(actor=drafter, content=make_content(signer=signer))
    plan = plan_submit(plan=plan, actor=drafter)
    task = open_task(agency_head, plan, "agency_review")
    complete(agency_head, plan, "agency_review", "approve")
    # when the same task is completed again
    with pytest.raises(StateError):
        task_complete(task_id=task.pk, actor=agency_head, action="approve")
    response = api(agency_head).post(
        f"/api/v1/tasks/{task.pk}/complete/", {"action": "approve"}, format="json"
    )
    # then it is refused as a conflict
    assert response.status_code == 409


def test_invalid_content_is_refused_and_nothing_is_created(drafter):
    # when the drafter posts content without a title and with a bad year
    response = api(drafter).post(
        "/api/v1/documents/", {"content": {"title": "", "year": 1}}, format="json"
    )
    # then it is a 400 with a Vietnamese message
    assert response.status_code == 400
    assert response.json()["error"] == "invalid"
    assert Plan.objects.exists() is False
