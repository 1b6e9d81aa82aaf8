"""Numbering of the outgoing register: no gap, no duplicate, restart each year, refusals use none."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from agencies.errors import DomainError
from documents import services as documents
from documents.models import OutgoingRegister, Plan
from tests.helpers import complete, in_days
from tests.workflows.test_races import run_together
from workflows.services import plan_submit

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def signed_plans(
    drafter,
    agency_head,
    foreign_affairs,
    finance_reviewer,
    office_vetter,
    signer,
    directory,
    make_content,
):
    """Five plans awaiting issuance: one walked through the whole path, the others given the same
    signed PDF (a valid signature of the leader) so that only issuance is under test."""
    plan = documents.plan_create(actor=drafter, content=make_content(signer=signer))
    plan = plan_submit(plan=plan, actor=drafter)
    plan = complete(agency_head, plan, "agency_review", "approve")
    plan = complete(
        drafter,
        plan,
        "choose_agencies",
        "send",
        data={"unit_ids": [directory["so-nv"].pk], "deadline": in_days(3)},
    )
    plan = complete(foreign_affairs, plan, "consult", "agree")
    plan = complete(drafter, plan, "consolidate", "send")
    plan = complete(finance_reviewer, plan, "budget_review", "approve")
    plan = complete(office_vetter, plan, "vetting", "approve")
    plan = complete(signer, plan, "sign", "sign")
    plans = [plan]
    for _ in range(4):
        other = documents.plan_create(actor=drafter, content=make_content(signer=signer))
        Plan.objects.filter(pk=other.pk).update(
            status=Plan.Status.SIGNED, signed_pdf=plan.signed_pdf
        )
        plans.append(Plan.objects.get(pk=other.pk))
    return plans


def test_parallel_issuances_give_no_gap_and_no_duplicate(signed_plans, clerk):
    # when five plans are issued at the same instant
    results = run_together(
        *[
            (lambda p=p: documents.plan_issue(plan=p, actor=clerk, issued_on=dt.date(2024, 3, 1)))
            for p in signed_plans
        ]
    )
    # then they hold the numbers 1..5, once each, and the register stands at 5
    assert not [r for r in results if isinstance(r, Exception)], results
    numbers = sorted(
        Plan.objects.filter(status=Plan.Status.ISSUED).values_list("number", flat=True)
    )
    assert numbers == [1, 2, 3, 4, 5]
    assert OutgoingRegister.objects.get(year=2024).last_number == 5
    connection.close()


def test_numbering_restarts_on_the_first_of_january(signed_plans, clerk):
    # when plans are issued on 31 December and on 1 January
    last_of_year = documents.plan_issue(
        plan=signed_plans[0], actor=clerk, issued_on=dt.date(2024, 12, 31)
    )
    documents.plan_issue(plan=signed_plans[1], actor=clerk, issued_on=dt.date(2024, 12, 31))
    first_of_year = documents.plan_issue(
        plan=signed_plans[2], actor=clerk, issued_on=dt.date(2025, 1, 1)
    )
    # then the new year starts again at 01
    assert (last_of_year.number, first_of_year.number) == (1, 1)
    assert OutgoingRegister.objects.get(year=2024).last_number == 2


def test_a_failed_issuance_uses_no_number(signed_plans, clerk):
    # given a plan whose signed PDF is damaged
    broken = signed_plans[1]
    Plan.objects.filter(pk=broken.pk).update(signed_pdf=b"%PDF-1.7 damaged")
    broken.refresh_from_db()
    # when the clerk tries to issue it, then issues a sound one
    with pytest.raises(DomainError):
        documents.plan_issue(plan=broken, actor=clerk, issued_on=dt.date(2024, 5, 20))
    sound = documents.plan_issue(plan=signed_plans[0], actor=clerk, issued_on=dt.date(2024, 5, 20))
    # then the refused one took no number and the next one is 01
    broken.refresh_from_db()
    assert broken.status == Plan.Status.SIGNED and broken.number is None
    assert sound.number == 1
    assert OutgoingRegister.objects.get(year=2024).last_number == 1
