"""Stand-ins (issue 11 §3): while someone is away their tasks go to their stand-in, who acts on
their behalf ("X thay mặt Y"); the Chủ tịch's signature passes to a Phó Chủ tịch as "KT. CHỦ
TỊCH"; nobody approves their own draft through a stand-in; when the absence ends, new tasks go
back."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from viewflow.workflow.status import STATUS

from agencies import services as agencies
from agencies.errors import PermissionDenied
from agencies.models import Absence, User
from documents import services as documents
from documents.content import PlanContent
from documents.models import Plan, PlanEvent
from documents.selectors import plan_is_visible
from notifications.models import Notification
from tests.helpers import complete, has_task, open_task, walk_to_signature
from workflows import services as workflows
from workflows.services import plan_submit, process_for

pytestmark = pytest.mark.django_db


def day(offset: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=offset)).isoformat()


@pytest.fixture
def colleague(directory) -> User:
    """A second chuyên viên of Sở Thông tin và Truyền thông, the drafting unit."""
    return User.objects.create_user(
        username="chuyenvien2",
        full_name="Lê Văn Tâm",
        unit=directory["so-tttt"],
        role=User.Role.DRAFTER,
        position="Chuyên viên",
    )


def away(person: User, stand_in: User, *, start: int = 0, end: int = 3) -> Absence:
    return workflows.absence_create(
        actor=person,
        person_id=person.pk,
        stand_in_id=stand_in.pk,
        start_date=day(start),
        end_date=day(end),
        reason="Đi công tác",
    )


@pytest.fixture
def submitted(drafter, signer, make_content) -> Plan:
    plan = documents.plan_create(actor=drafter, content=make_content(signer=signer))
    return plan_submit(plan=plan, actor=drafter)


def last_event(plan: Plan) -> PlanEvent:
    return PlanEvent.objects.filter(plan=plan).order_by("-sequence").first()


def told(user: User, plan: Plan) -> bool:
    return Notification.objects.filter(user=user, data__plan_id=plan.pk).exists()


def snapshot(plan: Plan) -> dict[str, Any]:
    plan = Plan.objects.get(pk=plan.pk)
    return {
        "status": plan.status,
        "events": plan.events.count(),
        "signer": plan.signer_id,
        "tasks": sorted(
            process_for(plan).task_set.values_list("pk", "status", "owner_id").order_by("pk")
        ),
    }


# ---------------------------------------------------------------------------------------------
# The drafter away


def test_the_drafters_tasks_go_to_the_stand_in_who_acts_on_their_behalf(
    submitted, drafter, colleague, agency_head
):
    # given the drafter is away with a colleague standing in
    away(drafter, colleague)

    # when the head approves the draft: the drafter's next task (choose the agencies) opens
    plan = complete(agency_head, submitted, "agency_review", "approve")

    # then the stand-in finds it in their inbox, is told and may open the plan
    assert has_task(colleague, plan, "choose_agencies")
    assert told(colleague, plan)
    assert plan_is_visible(user=colleague, plan=plan)
    # and acts: the history says on whose behalf
    plan = complete(colleague, plan, "choose_agencies", "skip", comment="Không cần lấy ý kiến.")
    event = PlanEvent.objects.get(plan=plan, kind=PlanEvent.Kind.CONSULTATION_SKIPPED)
    assert event.actor == colleague
    assert event.data["on_behalf_of"] == drafter.pk
    assert event.data["on_behalf_of_name"] == drafter.display_name
    # the plan page says "X thay mặt Y"
    from django.test import Client

    client = Client()
    client.force_login(drafter)
    page = client.get(f"/ke-hoach/{plan.pk}/").content.decode()
    assert f"{colleague.display_name} thay mặt {drafter.display_name}" in page


def test_when_the_absence_ends_new_tasks_go_back(submitted, drafter, colleague, agency_head):
    absence = away(drafter, colleague)
    agencies.absence_end(actor=drafter, absence_id=absence.pk)

    plan = complete(agency_head, submitted, "agency_review", "approve")

    assert has_task(drafter, plan, "choose_agencies")
    assert not has_task(colleague, plan, "choose_agencies")
    assert not told(colleague, plan)
    with pytest.raises(Exception, match="không dành cho bạn"):
        workflows.task_complete(
            task_id=open_task(drafter, plan, "choose_agencies").pk,
            actor=colleague,
            action="skip",
            comment="x",
        )


def test_a_stand_in_does_not_submit_or_withdraw_for_the_drafter(
    drafter, colleague, signer, make_content
):
    plan = documents.plan_create(actor=drafter, content=make_content(signer=signer))
    away(drafter, colleague)
    with pytest.raises(PermissionDenied):
        documents.plan_submit_draft(plan=plan, actor=colleague)
    with pytest.raises(PermissionDenied):
        documents.plan_withdraw(plan=plan, actor=colleague)
    assert Plan.objects.get(pk=plan.pk).status == Plan.Status.DRAFT


# ---------------------------------------------------------------------------------------------
# A reviewer away


def test_open_review_tasks_pass_to_the_stand_in_when_the_absence_starts(
    submitted, agency_head, colleague
):
    # given the agency head's review is open, when they go away with a colleague standing in
    away(agency_head, colleague)

    # then the colleague is handed the plan: told, granted, and the history says so
    assert has_task(colleague, submitted, "agency_review")
    assert told(colleague, submitted)
    assert plan_is_visible(user=colleague, plan=submitted)
    handed = last_event(submitted)
    assert handed.kind == PlanEvent.Kind.HANDED_TO_STAND_IN
    assert handed.data["to_id"] == colleague.pk
    assert handed.data["on_behalf_of"] == agency_head.pk
    # and approves on the head's behalf
    plan = complete(colleague, submitted, "agency_review", "approve")
    event = PlanEvent.objects.get(plan=plan, kind=PlanEvent.Kind.APPROVED_RELEASE)
    assert event.actor == colleague and event.data["on_behalf_of"] == agency_head.pk


def test_nobody_approves_their_own_draft_through_a_stand_in(submitted, agency_head, drafter):
    # given the head is away and the drafter stands in for them
    away(agency_head, drafter)
    before = snapshot(submitted)

    # then the review of the drafter's own plan is not handed to them
    assert not has_task(drafter, submitted, "agency_review")
    assert not PlanEvent.objects.filter(
        plan=submitted, kind=PlanEvent.Kind.HANDED_TO_STAND_IN
    ).exists()
    # and trying anyway is refused with a clear message; nothing changed
    task = process_for(submitted).task_set.get(flow_task_type="HUMAN", status=STATUS.NEW)
    with pytest.raises(PermissionDenied, match="người soạn thảo") as refused:
        workflows.task_complete(task_id=task.pk, actor=drafter, action="approve")
    assert refused.value.code == "own_draft"
    with pytest.raises(PermissionDenied, match="người soạn thảo"):
        documents.plan_review_approve(plan=submitted, actor=drafter)
    assert snapshot(submitted) == before
    # the task stays with the heads of the unit, for when the head is back
    assert task.owner_permission.startswith("agencies.head_")


def test_a_new_review_does_not_go_to_the_drafter_standing_in(
    drafter, agency_head, signer, make_content
):
    away(agency_head, drafter)
    plan = documents.plan_create(actor=drafter, content=make_content(signer=signer))
    Notification.objects.all().delete()

    plan = plan_submit(plan=plan, actor=drafter)

    assert not has_task(drafter, plan, "agency_review")
    assert not Notification.objects.filter(user=drafter, kind="task.assigned").exists()


# ---------------------------------------------------------------------------------------------
# The signature


@pytest.fixture
def chairman_plan(make_content, chairman) -> Any:
    return make_content(signer=chairman)


def test_the_chairman_away_the_deputy_signs_kt_and_the_clerk_issues(
    chairman_plan, chairman, signer, clerk, drafter
):
    # given the Chủ tịch is away with the Phó Chủ tịch standing in
    away(chairman, signer, end=10)

    # when a plan he was to sign reaches the signature
    plan = walk_to_signature(content=chairman_plan)

    # then the signature passed to the deputy, in the deputy's own name, as KT. CHỦ TỊCH
    assert plan.signer == signer
    lines = PlanContent.from_dict(plan.content).signature.lines()
    assert lines == ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]
    assert plan.content["signature"]["signer_name"] == signer.display_name
    changed = PlanEvent.objects.get(plan=plan, kind=PlanEvent.Kind.SIGNER_CHANGED)
    assert changed.actor is None and changed.data["on_behalf_of"] == chairman.pk
    assert changed.data["to_id"] == signer.pk
    assert has_task(signer, plan, "sign") and not has_task(chairman, plan, "sign")
    assert Notification.objects.filter(user=signer, kind="task.assigned").exists()
    # the Chủ tịch's own name is never signed by the stand-in
    with pytest.raises(PermissionDenied):
        documents.plan_sign_prepare(plan=plan, actor=chairman, device_id=1)

    # when the deputy signs and the clerk issues
    plan = complete(signer, plan, "sign", "sign")
    assert plan.status == Plan.Status.SIGNED
    assert PlanEvent.objects.get(plan=plan, kind=PlanEvent.Kind.SIGNED).actor == signer
    plan = complete(clerk, plan, "issue", "issue")

    # then the issued plan carries the deputy's KT. block
    assert plan.status == Plan.Status.ISSUED
    assert plan.signed_version.content["signature"]["deputy_for"] == "CHỦ TỊCH"


def test_an_open_signature_passes_when_the_chairman_goes_away(chairman_plan, chairman, signer):
    plan = walk_to_signature(content=chairman_plan)
    assert has_task(chairman, plan, "sign")

    away(chairman, signer)

    plan = Plan.objects.get(pk=plan.pk)
    assert plan.signer == signer
    assert plan.content["signature"]["deputy_for"] == "CHỦ TỊCH"
    assert has_task(signer, plan, "sign") and not has_task(chairman, plan, "sign")
    plan = complete(signer, plan, "sign", "sign")
    assert plan.status == Plan.Status.SIGNED


def test_a_signature_is_never_taken_as_a_stand_in_task(chairman_plan, chairman, signer):
    """An absence starting later: until it is applied, the stand-in does not see the sign task
    (the signature passes only as a change of signer)."""
    plan = walk_to_signature(content=chairman_plan)
    Absence.objects.create(
        person=chairman,
        stand_in=signer,
        start_date=timezone.localdate(),
        end_date=timezone.localdate(),
        reason="x",
        created_by=chairman,
    )
    from agencies.selectors import absences_cache_clear

    absences_cache_clear()
    assert not has_task(signer, plan, "sign")

    # the timers' sweep applies it
    assert workflows.absences_apply_due() == 1
    assert has_task(signer, plan, "sign")
    assert Absence.objects.get().applied_at is not None


def test_once_the_chairman_is_back_the_next_signature_is_his_again(chairman_plan, chairman, signer):
    # given the signature passed to the deputy while the Chủ tịch was away
    absence = away(chairman, signer)
    plan = walk_to_signature(content=chairman_plan)
    assert plan.signer == signer and plan.signer_stood_in_for == chairman
    # and the deputy returns the plan to the drafter
    plan = complete(signer, plan, "sign", "return", comment="Bổ sung căn cứ.")

    # when the Chủ tịch is back and the drafter resubmits
    agencies.absence_end(actor=chairman, absence_id=absence.pk)
    drafter = plan.drafter
    plan = complete(drafter, plan, "revise_sign", "resubmit")

    # then the signature is his again, in his own name
    plan = Plan.objects.get(pk=plan.pk)
    assert plan.signer == chairman and plan.signer_stood_in_for is None
    lines = PlanContent.from_dict(plan.content).signature.lines()
    assert lines == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"]
    assert plan.content["signature"]["signer_name"] == chairman.display_name
    assert has_task(chairman, plan, "sign") and not has_task(signer, plan, "sign")
    back = last_event(plan)
    assert back.kind == PlanEvent.Kind.SIGNER_CHANGED and back.data["back_from_absence"] is True


def test_while_still_away_a_resubmitted_plan_stays_with_the_deputy(chairman_plan, chairman, signer):
    away(chairman, signer)
    plan = walk_to_signature(content=chairman_plan)
    plan = complete(signer, plan, "sign", "return", comment="Bổ sung căn cứ.")
    plan = complete(plan.drafter, plan, "revise_sign", "resubmit")

    plan = Plan.objects.get(pk=plan.pk)
    assert plan.signer == signer and plan.signer_stood_in_for == chairman
    assert has_task(signer, plan, "sign")
    assert PlanEvent.objects.filter(plan=plan, kind=PlanEvent.Kind.SIGNER_CHANGED).count() == 1


def test_the_clerks_stand_in_issues_on_their_behalf(make_content, signer, clerk, office_vetter):
    plan = walk_to_signature(content=make_content(signer=signer))
    plan = complete(signer, plan, "sign", "sign")
    away(clerk, office_vetter)

    assert has_task(office_vetter, plan, "issue")
    plan = complete(office_vetter, plan, "issue", "issue")

    assert plan.status == Plan.Status.ISSUED
    issued = PlanEvent.objects.get(plan=plan, kind=PlanEvent.Kind.ISSUED)
    assert issued.actor == office_vetter and issued.data["on_behalf_of"] == clerk.pk


def test_nobody_else_issues(make_content, signer, office_vetter):
    plan = walk_to_signature(content=make_content(signer=signer))
    plan = complete(signer, plan, "sign", "sign")
    with pytest.raises(PermissionDenied, match="văn thư"):
        documents.plan_issue_prepare(plan=plan, actor=office_vetter)
    assert Plan.objects.get(pk=plan.pk).status == Plan.Status.SIGNED


def test_the_stand_in_and_the_person_are_told_of_the_absence(
    drafter, colleague, agency_head, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        workflows.absence_create(
            actor=agency_head,
            person_id=drafter.pk,
            stand_in_id=colleague.pk,
            start_date=day(1),
            end_date=day(2),
            reason="Tập huấn",
        )
    notices = Notification.objects.filter(kind="absence.recorded")
    assert sorted(notices.values_list("user_id", flat=True)) == sorted([drafter.pk, colleague.pk])
    assert notices.first().url == "/vang-mat/"
    assert "thay mặt" in notices.first().title


def test_a_refused_absence_tells_nobody(drafter, finance_reviewer):
    with pytest.raises(Exception, match="cùng đơn vị"):
        workflows.absence_create(
            actor=drafter,
            person_id=drafter.pk,
            stand_in_id=finance_reviewer.pk,
            start_date=day(0),
            end_date=day(1),
            reason="x",
        )
    assert not Notification.objects.filter(kind="absence.recorded").exists()
    assert not Absence.objects.exists()
