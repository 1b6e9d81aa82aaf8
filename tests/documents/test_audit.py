"""The audit trail is append-only and tamper-evident; the command reports a broken chain."""

import pytest
from django.core.management import CommandError, call_command

from documents import services as documents
from documents.models import PlanEvent, PlanVersion
from workflows.services import plan_submit

pytestmark = pytest.mark.django_db


def test_a_changed_event_breaks_the_chain_and_the_command_says_so(drafter, signer, make_content):
    # given a plan with a history of two events
    plan = documents.plan_create(actor=drafter, content=make_content(signer=signer))
    plan = plan_submit(plan=plan, actor=drafter)
    assert documents.audit_verify(plan=plan) == []
    call_command("audit_verify")
    # when someone rewrites a comment directly in the database
    PlanEvent.objects.filter(plan=plan, sequence=1).update(comment="sửa lén")
    # then the chain no longer verifies
    assert documents.audit_verify(plan=plan) == [f"plan {plan.pk}: event 1 altered"]
    with pytest.raises(CommandError):
        call_command("audit_verify")


def test_events_and_versions_cannot_be_changed_or_deleted_through_the_orm(
    drafter, signer, make_content
):
    # given a submitted plan
    plan = documents.plan_create(actor=drafter, content=make_content(signer=signer))
    plan = plan_submit(plan=plan, actor=drafter)
    event, version = plan.events.first(), PlanVersion.objects.get(plan=plan)
    # when code tries to change or delete them, then it is refused
    event.comment = "khác"
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        version.delete()


def test_removing_the_newest_events_is_detected_from_the_head_kept_on_the_plan(
    drafter, signer, make_content
):
    # given a plan with a history of two events
    plan = documents.plan_create(actor=drafter, content=make_content(signer=signer))
    plan = plan_submit(plan=plan, actor=drafter)
    assert plan.events_count == 2 and plan.events_head == plan.events.last().hash
    # when someone deletes the newest event directly in the database (the rest is intact)
    PlanEvent.objects.filter(plan=plan, sequence=2)._raw_delete(PlanEvent.objects.db)
    # then the head on the plan row no longer matches the chain
    assert documents.audit_verify(plan=plan) == [
        f"plan {plan.pk}: the newest events are missing or altered"
    ]
