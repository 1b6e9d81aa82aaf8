"""What the clerk sees before issuing: the number and date issuing would give, read without
taking the number, and the final PDF as it will print, marked as a preview; and the pages that
show them (documents.selectors.plan_issue_preview, GET /api/v1/documents/{id}/issue-preview/,
web/views_issue.py, the issue task page)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pdfplumber
import pypdf
import pytest
from django.test import Client
from django.utils import timezone

from documents import services as documents
from documents.models import NumberReservation, OutgoingRegister, Plan
from documents.selectors import plan_issue_preview, plan_issue_preview_pdf
from signing import services as signing
from signing.pdf import DATE_FIELD, NUMBER_FIELD
from tests.helpers import complete, in_days, open_task
from workflows.services import plan_submit

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


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
    """`make(n)`: n plans awaiting issuance, the first signed through the whole path, the others
    given its signed PDF (only issuance is under test) or, `walk_all`, walked as well (their
    issue tasks are open)."""

    def walk() -> Plan:
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
        return complete(signer, plan, "sign", "sign")

    def make(count: int, *, walk_all: bool = False) -> list[Plan]:
        plan = walk()
        plans = [plan]
        for _ in range(count - 1):
            if walk_all:
                plans.append(walk())
                continue
            other = documents.plan_create(actor=drafter, content=make_content(signer=signer))
            Plan.objects.filter(pk=other.pk).update(
                status=Plan.Status.SIGNED,
                signed_pdf=plan.signed_pdf,
                signed_version=plan.signed_version,
            )
            plans.append(Plan.objects.get(pk=other.pk))
        return plans

    return make


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _text(pdf: bytes) -> str:
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return "\n".join(page.extract_text() or "" for page in document.pages)


# ---------------------------------------------------------------------------------------------
# The selector


def test_the_preview_gives_the_next_number_without_taking_it(signed_plans, clerk) -> None:
    # given two signed plans and one issued before
    first, second = signed_plans(2)
    documents.plan_issue(plan=first, actor=clerk)
    register = OutgoingRegister.objects.get()
    # when the clerk looks at the second one
    preview = plan_issue_preview(plan=second)
    # then it shows the register's next number and today's date, and takes nothing
    assert preview.number == 2
    assert preview.number_text == "Số: 02/KH-UBND"
    assert preview.issued_on == timezone.localdate()
    assert preview.date_text.startswith("Đồng Nai, ngày ")
    assert preview.is_held is False
    register.refresh_from_db()
    assert register.last_number == 1
    assert NumberReservation.objects.exists() is False


def test_the_preview_follows_the_register_when_another_plan_is_issued(signed_plans, clerk) -> None:
    # given two signed plans, both previewed with number 1
    first, second = signed_plans(2)
    assert plan_issue_preview(plan=second).number == 1
    # when another clerk issues the first
    documents.plan_issue(plan=first, actor=clerk)
    # then the second's preview moves on, and issuing it gives that number
    assert plan_issue_preview(plan=second).number == 2
    assert documents.plan_issue(plan=second, actor=clerk).number == 2


def test_the_preview_shows_the_number_a_plan_already_holds(signed_plans, clerk) -> None:
    # given a plan holding number 1 from a failed attempt, dated the day it was taken
    (plan,) = signed_plans(1)
    register = OutgoingRegister.objects.create(
        issuer=plan.issuer, year=timezone.localdate().year, last_number=1
    )
    held_on = timezone.localdate() - dt.timedelta(days=1)
    NumberReservation.objects.create(
        register=register, number=1, plan=plan, issued_on=held_on, reserved_by=clerk
    )
    # when previewed / then that number and date
    preview = plan_issue_preview(plan=plan)
    assert (preview.number, preview.issued_on, preview.is_held) == (1, held_on, True)


def test_the_preview_pdf_prints_the_number_and_date_and_says_it_is_a_preview(
    signed_plans,
) -> None:
    # given a signed plan
    (plan,) = signed_plans(1)
    texts = plan_issue_preview(plan=plan)
    # when its preview is made
    pdf = plan_issue_preview_pdf(plan=plan, texts=texts)
    # then the number and the date are filled in as issuing fills them, under a preview mark
    fields = pypdf.PdfReader(io.BytesIO(pdf)).get_fields() or {}
    assert fields[NUMBER_FIELD].value == "01"
    assert fields[DATE_FIELD].value == texts.date_field
    assert texts.date_field.startswith("ngày ")
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        for page in document.pages:  # at the foot of every page, in the 20 mm margin
            [mark] = page.search("BẢN XEM TRƯỚC — CHƯA PHÁT HÀNH")
            assert mark["top"] > page.height - 20 * 72 / 25.4
    # and it carries no seal: only the leader's signature
    reports = signing.pdf_verify(pdf=pdf)
    assert [r.field_name for r in reports] == [signing.PERSON_SIGNATURE_FIELD]


# ---------------------------------------------------------------------------------------------
# The pages


def test_the_issue_task_page_shows_the_number_and_date_to_come(signed_plans, clerk) -> None:
    # given a signed plan at the clerk
    (plan,) = signed_plans(1)
    task = open_task(clerk, plan, "issue")
    # when the clerk opens the task
    response = _client(clerk).get(f"/nhiem-vu/{task.pk}/")
    # then the number, the date and the preview's link are there
    html = response.content.decode()
    assert response.status_code == 200
    assert "01/KH-UBND" in html
    assert plan_issue_preview(plan=plan).date_text in html
    assert f"/ke-hoach/{plan.pk}/xem-truoc-phat-hanh/" in html
    assert 'name="expected_number" value="1"' in html


def test_the_api_gives_the_clerk_the_number_to_come(signed_plans, clerk, drafter) -> None:
    # given a signed plan
    (plan,) = signed_plans(1)
    url = f"/api/v1/documents/{plan.pk}/issue-preview/"
    # when the clerk asks / then the number and date as JSON, not to be cached
    answer = _client(clerk).get(url)
    assert answer.status_code == 200
    assert answer.json() == {
        "number": 1,
        "number_text": "Số: 01/KH-UBND",
        "issued_on": timezone.localdate().isoformat(),
        "date_text": plan_issue_preview(plan=plan).date_text,
        "is_held": False,
    }
    assert answer["Cache-Control"] == "no-store"
    # and nothing was taken
    assert OutgoingRegister.objects.exists() is False
    # and the drafter is refused, as is the preview PDF
    refused = _client(drafter).get(url)
    assert (refused.status_code, refused.json()["error"]) == (403, "not_a_clerk")
    assert _client(drafter).get(f"/ke-hoach/{plan.pk}/xem-truoc-phat-hanh/").status_code == 403


def test_the_preview_pdf_page_serves_the_pdf(signed_plans, clerk) -> None:
    (plan,) = signed_plans(1)
    response = _client(clerk).get(f"/ke-hoach/{plan.pk}/xem-truoc-phat-hanh/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "BẢN XEM TRƯỚC" in _text(response.content)


def test_no_preview_once_issued(signed_plans, clerk) -> None:
    # given an issued plan
    (plan,) = signed_plans(1)
    documents.plan_issue(plan=plan, actor=clerk)
    # when the clerk asks for its number to come / then refused: it has one
    refused = _client(clerk).get(f"/api/v1/documents/{plan.pk}/issue-preview/")
    assert (refused.status_code, refused.json()["error"]) == (409, "not_awaiting_issue")
    assert _client(clerk).get(f"/ke-hoach/{plan.pk}/xem-truoc-phat-hanh/").status_code == 409


def test_confirming_names_the_number_given(signed_plans, clerk) -> None:
    # given a signed plan, its task page showing number 1
    (plan,) = signed_plans(1)
    task = open_task(clerk, plan, "issue")
    # when the clerk confirms
    response = _client(clerk).post(
        f"/nhiem-vu/{task.pk}/", {"action": "issue", "expected_number": "1"}, follow=True
    )
    # then the message names the number given
    assert "Đã phát hành: Số 01/KH-UBND." in response.content.decode()


def test_confirming_after_another_issue_says_which_number_was_given(signed_plans, clerk) -> None:
    # given two signed plans; the page of the second showed number 1
    first, second = signed_plans(2, walk_all=True)
    task = open_task(clerk, second, "issue")
    # when another clerk issues the first meanwhile, then this one is confirmed
    documents.plan_issue(plan=first, actor=clerk)
    response = _client(clerk).post(
        f"/nhiem-vu/{task.pk}/", {"action": "issue", "expected_number": "1"}, follow=True
    )
    # then the clerk is told number 01 went to another document and this one got 02
    html = response.content.decode()
    assert "Số 01 vừa được cấp cho văn bản khác" in html
    assert "02/KH-UBND" in html
    assert Plan.objects.get(pk=second.pk).number == 2


@pytest.mark.parametrize("shown", ["", "²", "9" * 5000, "-1", "01x"])
def test_confirming_with_a_strange_expected_number_just_issues(signed_plans, clerk, shown) -> None:
    # given a signed plan, and a form whose expected number is not one the page wrote
    (plan,) = signed_plans(1)
    task = open_task(clerk, plan, "issue")
    # when the clerk confirms / then the plan is issued and the message names its number
    response = _client(clerk).post(
        f"/nhiem-vu/{task.pk}/", {"action": "issue", "expected_number": shown}, follow=True
    )
    assert response.status_code == 200
    assert "Đã phát hành: Số 01/KH-UBND." in response.content.decode()
