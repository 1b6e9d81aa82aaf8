"""Issuance with the seal made outside the register's lock: numbers stay gap-free and
duplicate-free when seals fail, and clerks issue in parallel (documents.services.plan_issue)."""

from __future__ import annotations

import datetime as dt
import random
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from documents import services as documents
from documents.models import NumberReservation, OutgoingRegister, Plan
from signing import services as signing
from tests.helpers import complete, in_days
from workflows.services import plan_submit

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ISSUED_ON = dt.date(2025, 3, 3)


class SealFailed(Exception):
    """The injected failure of a seal (an HSM that drops, a TSA that does not answer)."""


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
) -> Callable[[int], list[Plan]]:
    """`make(n)`: n plans awaiting issuance; one walked through the whole path and signed, the
    others given its signed PDF (a valid signature of the leader): only issuance is under test."""

    def make(count: int) -> list[Plan]:
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
        for _ in range(count - 1):
            other = documents.plan_create(actor=drafter, content=make_content(signer=signer))
            Plan.objects.filter(pk=other.pk).update(
                status=Plan.Status.SIGNED,
                signed_pdf=plan.signed_pdf,
                signed_version=plan.signed_version,
            )
            plans.append(Plan.objects.get(pk=other.pk))
        return plans

    return make


@pytest.fixture
def seals(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The real seal, behind a switch: `fail` (plan ids whose next seal raises), `hold` (plan id
    -> event the seal waits for before going on), `started` (plan ids whose seal began)."""
    real = signing.pdf_issue_with_seal
    control: dict[str, Any] = {"fail": set(), "hold": {}, "started": set()}

    def seal(**kwargs: Any) -> bytes:
        plan_id = int(kwargs["verify_url"].rstrip("/").split("/")[-1].split("-")[0])
        control["started"].add(plan_id)
        if (event := control["hold"].get(plan_id)) is not None:
            assert event.wait(60), "held too long"
        if plan_id in control["fail"]:
            control["fail"].discard(plan_id)
            raise SealFailed(plan_id)
        return real(**kwargs)

    monkeypatch.setattr(signing, "pdf_issue_with_seal", seal)
    return control


def numbers() -> list[int]:
    return sorted(Plan.objects.exclude(number=None).values_list("number", flat=True))


def in_thread(call: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    result: list[Any] = []

    def run() -> None:
        try:
            result.append(call())
        except BaseException as exc:
            result.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def test_a_failed_seal_gives_its_number_back_and_the_retry_takes_it(signed_plans, clerk, seals):
    # given a signed plan whose first seal fails
    (plan,) = signed_plans(1)
    seals["fail"].add(plan.pk)

    # when the clerk issues it, fails, and issues it again
    with pytest.raises(SealFailed):
        documents.plan_issue(plan=plan, actor=clerk, issued_on=ISSUED_ON)
    given_back = OutgoingRegister.objects.get(year=2025).last_number
    issued = documents.plan_issue(plan=plan, actor=clerk, issued_on=ISSUED_ON)

    # then the failure took no number, and the retry got 01
    assert given_back == 0 and not NumberReservation.objects.exists()
    assert issued.number == 1 and issued.status == Plan.Status.ISSUED
    assert OutgoingRegister.objects.get(year=2025).last_number == 1


def test_a_failed_seal_keeps_its_number_when_a_later_one_was_taken_and_the_retry_uses_it(
    signed_plans, clerk, seals
):
    # given plan A sealing slowly with number 01 (held), while plan B takes 02 and is issued
    first, second = signed_plans(2)
    seals["hold"][first.pk] = release = threading.Event()
    seals["fail"].add(first.pk)
    thread, result = in_thread(
        lambda: documents.plan_issue(plan=first, actor=clerk, issued_on=ISSUED_ON)
    )
    while first.pk not in seals["started"]:
        thread.join(0.05)
    other = documents.plan_issue(plan=second, actor=clerk, issued_on=ISSUED_ON)

    # when A's seal fails after that
    release.set()
    thread.join(60)

    # then A keeps 01 for its retry (giving it back would leave a hole under 02)...
    assert isinstance(result[0], SealFailed)
    assert other.number == 2
    assert NumberReservation.objects.get().plan_id == first.pk
    # ...and the retry issues A with 01: 01 and 02, once each, nothing held
    again = documents.plan_issue(plan=first, actor=clerk, issued_on=ISSUED_ON)
    assert again.number == 1
    assert numbers() == [1, 2]
    assert not NumberReservation.objects.exists()
    assert OutgoingRegister.objects.get(year=2025).last_number == 2


def test_the_seal_is_made_while_other_clerks_number_and_issue(signed_plans, clerk, seals):
    # given a seal of plan A that does not finish
    first, second = signed_plans(2)
    seals["hold"][first.pk] = release = threading.Event()
    thread, result = in_thread(
        lambda: documents.plan_issue(plan=first, actor=clerk, issued_on=ISSUED_ON)
    )
    while first.pk not in seals["started"]:
        thread.join(0.05)

    # when another clerk issues plan B meanwhile, then B is numbered, sealed and issued while
    # A's seal is still being made (no lock nor transaction is held during a seal)
    try:
        other = documents.plan_issue(plan=second, actor=clerk, issued_on=ISSUED_ON)
        assert other.status == Plan.Status.ISSUED and other.number == 2
        assert thread.is_alive() and not result
    finally:
        release.set()
        thread.join(60)
    assert result[0].number == 1
    assert numbers() == [1, 2]


def test_clerks_issuing_at_once_through_failing_seals_end_with_every_number_once(
    signed_plans, clerk, seals
):
    # given six signed plans, half of whose first seals fail
    plans = signed_plans(6)
    seals["fail"].update(p.pk for p in random.Random(6).sample(plans, 3))
    barrier = threading.Barrier(len(plans))

    def clerk_issues(plan: Plan) -> Plan:
        barrier.wait()
        for _attempt in range(3):  # a clerk retries a failed seal
            try:
                return documents.plan_issue(plan=plan, actor=clerk, issued_on=ISSUED_ON)
            except SealFailed:
                continue
        raise AssertionError("never issued")

    # when six clerks issue them at the same instant
    threads = [in_thread(lambda p=p: clerk_issues(p)) for p in plans]
    for thread, _result in threads:
        thread.join(120)

    # then every plan is issued, the numbers are 01..06 once each, nothing is held
    results = [result[0] for _thread, result in threads]
    assert all(isinstance(r, Plan) for r in results), results
    assert numbers() == [1, 2, 3, 4, 5, 6]
    assert not NumberReservation.objects.exists()
    assert OutgoingRegister.objects.get(year=2025).last_number == 6
