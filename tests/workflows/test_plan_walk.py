"""The whole path of a plan, at service level: draft → agency approval → consultation →
consolidation → budget review → vetting → signature → issuance → receipt."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from viewflow.workflow.models import Task

from documents import services as documents
from documents.models import ConsultationRequest, Plan, PlanEvent, Receipt
from signing.services import pdf_verify
from tests.helpers import complete, has_task, in_days, open_task
from workflows.services import plan_submit, timers_fire_due

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_plan_walks_from_draft_to_receipt(
    drafter,
    agency_head,
    foreign_affairs,
    culture,
    finance_reviewer,
    office_vetter,
    signer,
    clerk,
    newspaper,
    police,
    directory,
    make_content,
):
    # given a draft with a signer and two recipient units
    plan = documents.plan_create(actor=drafter, content=make_content(signer=signer))

    # when it walks the whole path
    plan = plan_submit(plan=plan, actor=drafter)
    assert plan.status == Plan.Status.AGENCY_REVIEW
    plan = complete(agency_head, plan, "agency_review", "approve")
    assert plan.status == Plan.Status.APPROVED
    plan = complete(
        drafter,
        plan,
        "choose_agencies",
        "send",
        data={
            "unit_ids": [directory["so-nv"].pk, directory["so-vhttdl"].pk],
            "deadline": in_days(5),
        },
    )
    assert plan.status == Plan.Status.IN_CONSULTATION
    plan = complete(foreign_affairs, plan, "consult", "agree")
    plan = complete(culture, plan, "consult", "agree_with_comments", comment="Bổ sung tiếng Hàn.")
    assert plan.status == Plan.Status.CONSOLIDATING
    comment = plan.consultations.get(unit=directory["so-vhttdl"])
    plan = complete(
        drafter,
        plan,
        "consolidate",
        "send",
        data={"resolutions": {str(comment.pk): {"resolution": "accepted", "note": "Đã bổ sung."}}},
    )
    assert plan.status == Plan.Status.BUDGET_REVIEW
    plan = complete(finance_reviewer, plan, "budget_review", "approve")
    plan = complete(office_vetter, plan, "vetting", "approve")
    assert plan.status == Plan.Status.AWAITING_SIGNATURE
    plan = complete(signer, plan, "sign", "sign")
    assert plan.status == Plan.Status.SIGNED
    plan = complete(clerk, plan, "issue", "issue")
    receipt = documents.receipt_acknowledge(plan=plan, actor=newspaper)

    # then it is issued with the first number of the year, sealed, and delivered
    plan.refresh_from_db()
    assert plan.status == Plan.Status.ISSUED
    assert plan.number == 1
    assert receipt.acknowledged_by == newspaper
    assert Receipt.objects.filter(plan=plan, acknowledged_at__isnull=True).get().unit == police.unit
    reports = pdf_verify(pdf=bytes(plan.issued_pdf))
    signatures = [r for r in reports if r.kind == "signature"]
    assert [r.signer_name for r in signatures] == [
        signer.full_name,
        "Ủy ban nhân dân tỉnh Đồng Nai",
    ]
    assert all(r.bottom_line for r in reports)
    assert list(plan.events.values_list("kind", flat=True)) == [
        PlanEvent.Kind.CREATED,
        PlanEvent.Kind.SUBMITTED,
        PlanEvent.Kind.APPROVED_RELEASE,
        PlanEvent.Kind.SENT_FOR_CONSULTATION,
        PlanEvent.Kind.CONSULTATION_ANSWERED,
        PlanEvent.Kind.CONSULTATION_ANSWERED,
        PlanEvent.Kind.CONSULTATION_CLOSED,
        PlanEvent.Kind.SENT_TO_BUDGET_REVIEW,
        PlanEvent.Kind.BUDGET_APPROVED,
        PlanEvent.Kind.VETTING_APPROVED,
        PlanEvent.Kind.SIGNED,
        PlanEvent.Kind.ISSUED,
        PlanEvent.Kind.RECEIPT_ACKNOWLEDGED,
    ]
    assert documents.audit_verify(plan=plan) == []
    assert not Task.objects.filter(
        process__artifact_object_id=plan.pk, status__in=["NEW", "ASSIGNED"]
    ).exists()


@pytest.mark.django_db(transaction=True)
def test_silent_agency_counts_as_agreeing_after_the_deadline(
    drafter,
    agency_head,
    foreign_affairs,
    culture,
    signer,
    directory,
    make_content,
):
    # given a consultation of two agencies, one of which answers
    plan = documents.plan_create(actor=drafter, content=make_content(signer=signer))
    plan = plan_submit(plan=plan, actor=drafter)
    plan = complete(agency_head, plan, "agency_review", "approve")
    plan = complete(
        drafter,
        plan,
        "choose_agencies",
        "send",
        data={
            "unit_ids": [directory["so-nv"].pk, directory["so-vhttdl"].pk],
            "deadline": in_days(3),
        },
    )
    plan = complete(foreign_affairs, plan, "consult", "agree")

    # when the deadline passes and the timer dispatcher sweeps
    Task.objects.filter(flow_task_type="TIMER", status="SCHEDULED").update(
        scheduled=timezone.now() - dt.timedelta(seconds=1)
    )
    fired = timers_fire_due()

    # then the silent agency is recorded as agreeing by silence and the drafter consolidates
    plan.refresh_from_db()
    assert fired == 1
    assert plan.status == Plan.Status.CONSOLIDATING
    silent = plan.consultations.get(unit=directory["so-vhttdl"])
    assert silent.by_silence is True and silent.verdict == ConsultationRequest.Verdict.AGREE
    assert not has_task(culture, plan, "consult")
    assert open_task(drafter, plan, "consolidate")
    assert plan.events.filter(kind=PlanEvent.Kind.CONSULTATION_SILENT).count() == 1


@pytest.mark.django_db(transaction=True)
def test_return_comes_back_to_the_step_that_returned_it(
    drafter,
    agency_head,
    signer,
    make_content,
):
    # given a plan in agency review
    plan = documents.plan_create(actor=drafter, content=make_content(signer=signer))
    plan = plan_submit(plan=plan, actor=drafter)

    # when the head returns it and the drafter edits and resubmits
    plan = complete(agency_head, plan, "agency_review", "return", comment="Sửa mục II.")
    assert plan.status == Plan.Status.RETURNED
    content = make_content(signer=signer, title="Hoạt động thông tin đối ngoại năm 2024 (sửa)")
    plan = complete(drafter, plan, "revise_agency", "resubmit", data={"content": content})

    # then it is back in agency review as version 2
    assert plan.status == Plan.Status.AGENCY_REVIEW
    assert plan.version_number == 2
    assert plan.versions.get(number=2).content["title"].endswith("(sửa)")
    assert open_task(agency_head, plan, "agency_review")
