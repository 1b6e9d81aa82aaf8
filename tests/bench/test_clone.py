"""The bench copies plans in bulk (bench/clone.py): the copies must be plans the app works with."""

from __future__ import annotations

from typing import Any

from bench.clone import clone_plan, open_tasks
from documents import selectors
from documents import services as documents
from documents.models import Plan, PlanAccess, PlanVersion
from notifications.models import Notification
from workflows.services import plan_submit, task_complete


def submitted_plan(drafter: Any, signer: Any, make_content: Any) -> Plan:
    plan = documents.plan_create(actor=drafter, content=make_content(signer=signer))
    return plan_submit(plan=plan, actor=drafter)


def test_copies_have_their_own_versions_grants_tasks_and_notifications(
    drafter: Any, agency_head: Any, signer: Any, make_content: Any
) -> None:
    # given a plan waiting for agency approval
    template = submitted_plan(drafter, signer, make_content)

    # when it is copied three times
    copies = clone_plan(template.pk, 3)

    # then each copy is a plan of its own with its version, grant, notification and open task
    assert len(set(copies)) == 3 and template.pk not in copies
    for pk in copies:
        plan = Plan.objects.get(pk=pk)
        assert plan.status == Plan.Status.AGENCY_REVIEW
        assert PlanVersion.objects.filter(plan=plan).count() == 1
        assert PlanAccess.objects.filter(plan=plan, role="agency_head").exists()
        assert Notification.objects.filter(user=agency_head, data__plan_id=pk).count() == 1
    assert set(open_tasks(copies, "agency_review")) == set(copies)
    assert selectors.plan_list_visible(user=agency_head).count() == 4


def test_copies_keep_an_intact_audit_chain(drafter: Any, signer: Any, make_content: Any) -> None:
    # given a copied plan
    template = submitted_plan(drafter, signer, make_content)
    (copy,) = clone_plan(template.pk, 1)

    # when the audit chains are verified
    problems = documents.audit_verify(plan=Plan.objects.get(pk=copy))

    # then the copy's events are chained to the copy
    assert problems == []


def test_a_copy_moves_on_through_its_own_process(
    drafter: Any, agency_head: Any, signer: Any, make_content: Any
) -> None:
    # given a copy of a plan waiting for agency approval
    template = submitted_plan(drafter, signer, make_content)
    (copy,) = clone_plan(template.pk, 1)
    task_id = open_tasks([copy], "agency_review")[copy]

    # when the head approves the copy
    task_complete(task_id=task_id, actor=agency_head, action="approve")

    # then the copy moved on and the template did not
    assert Plan.objects.get(pk=copy).status == Plan.Status.APPROVED
    assert Plan.objects.get(pk=template.pk).status == Plan.Status.AGENCY_REVIEW
    assert open_tasks([copy], "choose_agencies")
    assert open_tasks([template.pk], "agency_review")
