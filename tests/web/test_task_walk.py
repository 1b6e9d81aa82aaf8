"""A plan walks through its tasks on the pages, from submission to awaiting signature; the
consultation table follows; returns come back to the drafter; recipients acknowledge."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from documents.models import ConsultationRequest, Plan, PlanAccess, Receipt
from tests.web.conftest import plan_content
from workflows.services import plan_submit, task_complete, task_list_open

pytestmark = pytest.mark.django_db


def only_task(user, plan: Plan, step: str):
    tasks = [
        t
        for t in task_list_open(user=user)
        if t.flow_task.name == step and int(t.process.artifact_object_id) == plan.pk
    ]
    assert len(tasks) == 1, f"{user.username}: {len(tasks)} open '{step}' tasks"
    return tasks[0]


def in_days(days: int) -> str:
    """A `datetime-local` value, as the browser sends it."""
    return (timezone.localtime() + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def status_of(plan: Plan) -> str:
    return Plan.objects.values_list("status", flat=True).get(pk=plan.pk)


def to_consolidation(org, plan: Plan) -> Plan:
    """Through the services: submitted, approved, consulted (one comment), consolidating."""
    plan_submit(plan=plan, actor=org.drafter)
    task_complete(
        task_id=only_task(org.head, plan, "agency_review").pk, actor=org.head, action="approve"
    )
    task_complete(
        task_id=only_task(org.drafter, plan, "choose_agencies").pk,
        actor=org.drafter,
        action="send",
        data={"unit_ids": [org.sonv.pk, org.sovh.pk], "deadline": in_days(5)},
    )
    task_complete(
        task_id=only_task(org.foreign, plan, "consult").pk, actor=org.foreign, action="agree"
    )
    task_complete(
        task_id=only_task(org.culture, plan, "consult").pk,
        actor=org.culture,
        action="agree_with_comments",
        comment="Bổ sung bản tin tiếng Hàn.",
    )
    return Plan.objects.get(pk=plan.pk)


def test_plan_walks_through_the_task_pages(org, plan, client_for):
    drafter, head = client_for(org.drafter), client_for(org.head)

    # given the drafter submitted the draft from its page
    drafter.post(reverse("plan-submit", args=[plan.pk]))
    task = only_task(org.head, plan, "agency_review")

    # when the head approves it from the plan page's inline task form
    detail = head.get(reverse("plan-detail", args=[plan.pk])).content.decode()
    assert f'action="{reverse("task-detail", args=[task.pk])}"' in detail
    response = head.post(reverse("task-detail", args=[task.pk]), {"action": "approve"})

    # then they are back on the plan with a success message, and the drafter chooses agencies
    assert response.status_code == 302
    assert response["Location"] == reverse("plan-detail", args=[plan.pk])
    assert "Đã thực hiện “Duyệt”" in head.get(response["Location"]).content.decode()
    assert status_of(plan) == Plan.Status.APPROVED
    task = only_task(org.drafter, plan, "choose_agencies")
    page = drafter.get(reverse("task-detail", args=[task.pk])).content.decode()
    assert f'name="unit_ids" value="{org.sonv.pk}"' in page
    assert f'name="unit_ids" value="{org.stttt.pk}"' not in page  # not the drafting unit
    assert 'type="datetime-local"' in page

    # when the drafter sends it to two agencies with a deadline
    response = drafter.post(
        reverse("task-detail", args=[task.pk]),
        {
            "action": "send",
            "unit_ids": [str(org.sonv.pk), str(org.sovh.pk)],
            "deadline": in_days(5),
        },
    )

    # then both agencies have a task, with its deadline in their inbox
    assert response.status_code == 302
    assert status_of(plan) == Plan.Status.IN_CONSULTATION
    consult = only_task(org.culture, plan, "consult")
    inbox = client_for(org.culture).get(reverse("home")).content.decode()
    assert "Góp ý dự thảo kế hoạch" in inbox
    assert reverse("task-detail", args=[consult.pk]) in inbox
    table = drafter.get(reverse("plan-consultations", args=[plan.pk])).content.decode()
    assert table.count("Chưa trả lời") == 2

    # when one agrees and the other comments
    client_for(org.foreign).post(
        reverse("task-detail", args=[only_task(org.foreign, plan, "consult").pk]),
        {"action": "agree"},
    )
    client_for(org.culture).post(
        reverse("task-detail", args=[consult.pk]),
        {"action": "agree_with_comments", "comment": "Bổ sung bản tin tiếng Hàn."},
    )

    # then the table shows both answers and the drafter consolidates
    assert status_of(plan) == Plan.Status.CONSOLIDATING
    table = drafter.get(reverse("plan-consultations", args=[plan.pk])).content.decode()
    assert "Thống nhất, có ý kiến" in table
    assert "Bổ sung bản tin tiếng Hàn." in table
    assert "Lê Thị Cúc" in table
    request = ConsultationRequest.objects.get(plan=plan, unit=org.sovh)
    task = only_task(org.drafter, plan, "consolidate")
    page = drafter.get(reverse("task-detail", args=[task.pk])).content.decode()
    assert f'name="resolution_{request.pk}"' in page

    # when the drafter answers the comment and sends the plan on
    response = drafter.post(
        reverse("task-detail", args=[task.pk]),
        {
            "action": "send",
            f"resolution_{request.pk}": "accepted",
            f"note_{request.pk}": "Đã bổ sung.",
        },
    )

    # then the budget review, the vetting, and the signer follow
    assert response.status_code == 302
    assert status_of(plan) == Plan.Status.BUDGET_REVIEW
    request.refresh_from_db()
    assert (request.resolution, request.resolution_note) == ("accepted", "Đã bổ sung.")
    client_for(org.finance).post(
        reverse("task-detail", args=[only_task(org.finance, plan, "budget_review").pk]),
        {"action": "approve"},
    )
    client_for(org.vetter).post(
        reverse("task-detail", args=[only_task(org.vetter, plan, "vetting").pk]),
        {"action": "approve", "comment": "Đủ điều kiện trình ký."},
    )
    assert status_of(plan) == Plan.Status.AWAITING_SIGNATURE
    sign = only_task(org.signer, plan, "sign")
    page = client_for(org.signer).get(reverse("task-detail", args=[sign.pk])).content.decode()
    assert 'value="sign"' in page
    assert "Ký số" in page
    assert reverse("plan-pdf", args=[plan.pk]) in page


def test_choosing_a_unit_that_is_not_a_number_is_refused(org, plan, client_for):
    # given the drafter's task to choose agencies
    plan_submit(plan=plan, actor=org.drafter)
    task_complete(
        task_id=only_task(org.head, plan, "agency_review").pk, actor=org.head, action="approve"
    )
    task = only_task(org.drafter, plan, "choose_agencies")
    # when the form sends a unit id that is not a number
    response = client_for(org.drafter).post(
        reverse("task-detail", args=[task.pk]),
        {"action": "send", "unit_ids": ["abc"], "deadline": in_days(5)},
    )
    # then the page says so and the plan still waits
    assert response.status_code == 400
    assert "Danh sách đơn vị lấy ý kiến không hợp lệ." in response.content.decode()
    assert status_of(plan) == Plan.Status.APPROVED


def test_a_past_deadline_is_refused(org, plan, client_for):
    # given the drafter's task to choose agencies
    plan_submit(plan=plan, actor=org.drafter)
    task_complete(
        task_id=only_task(org.head, plan, "agency_review").pk, actor=org.head, action="approve"
    )
    task = only_task(org.drafter, plan, "choose_agencies")
    # when the deadline is yesterday
    response = client_for(org.drafter).post(
        reverse("task-detail", args=[task.pk]),
        {"action": "send", "unit_ids": [str(org.sonv.pk)], "deadline": in_days(-1)},
    )
    # then the page says so, no agency was asked, and the task is still open
    assert response.status_code == 400
    assert "Hạn góp ý phải sau thời điểm hiện tại." in response.content.decode()
    assert ConsultationRequest.objects.exists() is False
    assert only_task(org.drafter, plan, "choose_agencies").pk == task.pk


def test_consolidating_without_answering_a_comment_is_refused(org, plan, client_for):
    # given a plan whose consultation brought one comment
    plan = to_consolidation(org, plan)
    task = only_task(org.drafter, plan, "consolidate")
    # when the drafter sends it on without answering the comment
    response = client_for(org.drafter).post(
        reverse("task-detail", args=[task.pk]), {"action": "send"}
    )
    # then the page names the agency whose comment is unanswered
    assert response.status_code == 400
    assert (
        "Chưa tiếp thu, giải trình ý kiến của: Sở Văn hóa, Thể thao và Du lịch."
        in response.content.decode()
    )
    assert status_of(plan) == Plan.Status.CONSOLIDATING


def test_a_returned_plan_comes_back_through_the_revise_task(org, plan, client_for):
    # given the head returned the draft with a reason
    plan_submit(plan=plan, actor=org.drafter)
    client_for(org.head).post(
        reverse("task-detail", args=[only_task(org.head, plan, "agency_review").pk]),
        {"action": "return", "comment": "Bổ sung căn cứ pháp lý."},
    )
    assert status_of(plan) == Plan.Status.RETURNED
    drafter = client_for(org.drafter)
    task = only_task(org.drafter, plan, "revise_agency")

    # when the drafter opens the task, edits the content and resubmits
    page = drafter.get(reverse("task-detail", args=[task.pk])).content.decode()
    assert "Bổ sung căn cứ pháp lý." in page
    assert reverse("plan-edit", args=[plan.pk]) in page
    content = plan_content(
        org,
        legal_bases=[
            "Căn cứ Luật Tổ chức chính quyền địa phương;",
            "Căn cứ Nghị định số 30/2020/NĐ-CP;",
        ],
    )
    saved = drafter.post(
        reverse("plan-edit", args=[plan.pk]), data=content, content_type="application/json"
    )
    assert saved.status_code == 200
    response = drafter.post(
        reverse("task-detail", args=[task.pk]), {"action": "resubmit", "comment": "Đã bổ sung."}
    )

    # then it is back with the head, as version 2
    assert response.status_code == 302
    plan = Plan.objects.get(pk=plan.pk)
    assert plan.status == Plan.Status.AGENCY_REVIEW
    assert plan.version_number == 2
    detail = drafter.get(reverse("plan-detail", args=[plan.pk])).content.decode()
    assert "Trình lại sau khi chỉnh sửa" in detail  # the versions list
    assert "Bị trả lại → Chờ lãnh đạo đơn vị duyệt" in detail  # the history


def test_consultation_fragment_shows_silence_and_resolutions(org, plan, client_for):
    # given one agency fell silent and the other's comment was answered
    plan = to_consolidation(org, plan)
    ConsultationRequest.objects.filter(plan=plan, unit=org.sonv).update(
        by_silence=True, answered_by=None
    )
    ConsultationRequest.objects.filter(plan=plan, unit=org.sovh).update(
        resolution="explained", resolution_note="Đã có trong kế hoạch năm sau."
    )
    # when the drafter reloads the table
    response = client_for(org.drafter).get(reverse("plan-consultations", args=[plan.pk]))
    table = response.content.decode()
    # then both show
    assert "Quá hạn không có ý kiến" in table
    assert "Giải trình" in table
    assert "Đã có trong kế hoạch năm sau." in table


def test_a_recipient_acknowledges_an_issued_plan(org, plan, client_for):
    # given an issued plan delivered to Sở Ngoại vụ (set up directly: issuance needs signing)
    Plan.objects.filter(pk=plan.pk).update(
        status=Plan.Status.ISSUED, number=262, issued_on=dt.date(2023, 11, 8)
    )
    Receipt.objects.create(plan=plan, unit=org.sonv, delivered_at=timezone.now())
    PlanAccess.objects.create(plan=plan, unit=org.sonv, reason="recipient")
    recipient = client_for(org.foreign)
    inbox = recipient.get(reverse("home")).content.decode()
    assert "262/KH-UBND" in inbox
    assert "Chưa xác nhận" in inbox
    detail = recipient.get(reverse("plan-detail", args=[plan.pk])).content.decode()
    assert "Xác nhận đã nhận" in detail

    # when they acknowledge it
    response = recipient.post(reverse("plan-acknowledge", args=[plan.pk]), follow=True)

    # then the receipt is acknowledged, and the drafter sees who did it
    assert "Đã xác nhận đơn vị nhận được văn bản." in response.content.decode()
    receipt = Receipt.objects.get(plan=plan)
    assert receipt.acknowledged_by == org.foreign
    response = client_for(org.drafter).get(reverse("plan-detail", args=[plan.pk]))
    drafter_view = response.content.decode()
    assert "Lê Thị Cúc" in drafter_view
    assert "Số: 262/KH-UBND" in drafter_view

    # and a second acknowledgement is refused with a message
    again = recipient.post(reverse("plan-acknowledge", args=[plan.pk]), follow=True)
    assert "Đơn vị đã xác nhận nhận văn bản lúc" in again.content.decode()
