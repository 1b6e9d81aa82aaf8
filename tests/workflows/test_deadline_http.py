"""Over HTTP, as the different users: the choice of a deadline in working days on the task page
and its preview, the staff calendar page, and one's notices by e-mail (page and API)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from agencies.models import CalendarDay
from agencies.working_days import add_working_days
from documents import services as documents
from documents.models import Plan
from notifications.models import NotificationPreference
from tests.helpers import complete, open_task
from workflows.services import plan_submit

pytestmark = pytest.mark.django_db


def page_client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_client(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_drafter_sends_for_seven_working_days_from_the_task_page(
    drafter, agency_head, signer, directory, make_content
):
    # given the choice of agencies open
    plan = documents.plan_create(actor=drafter, content=make_content(signer=signer))
    plan = plan_submit(plan=plan, actor=drafter)
    plan = complete(agency_head, plan, "agency_review", "approve")
    task = open_task(drafter, plan, "choose_agencies")
    client = page_client(drafter)

    # the page offers working days, with the date they give, computed on the server
    page = client.get(f"/nhiem-vu/{task.pk}/").content.decode()
    assert 'name="deadline_working_days"' in page and "data-deadline-preview" in page
    expected = add_working_days(timezone.localdate(), 7)
    assert expected.strftime("%d/%m/%Y") in page

    # when the drafter sends with "7 ngày làm việc"
    response = client.post(
        f"/nhiem-vu/{task.pk}/",
        {
            "action": "send",
            "unit_ids": [directory["so-nv"].pk],
            "deadline_mode": "working_days",
            "deadline_working_days": "7",
            "deadline": "",
        },
    )

    # then the deadline is the end of the seventh working day
    assert response.status_code == 302
    request = Plan.objects.get(pk=plan.pk).consultations.get()
    assert timezone.localtime(request.deadline).date() == expected
    assert timezone.localtime(request.deadline).time() == dt.time(23, 59, 59)


def test_the_deadline_preview_answers_the_date_and_refuses_bad_input(drafter):
    client = api_client(drafter)
    answer = client.get("/api/v1/calendar/deadline/?working_days=7&from=2027-01-29")
    assert answer.status_code == 200
    assert answer.json()["date"] == "2027-02-16" and answer.json()["moved"] is False
    assert "16/02/2027" in answer.json()["label"]

    moved = client.get("/api/v1/calendar/deadline/?date=2027-02-06").json()
    assert moved["date"] == "2027-02-11" and moved["moved"] is True

    for query in (
        "",
        "working_days=0",
        "working_days=x",
        "date=2027-13-01",
        "working_days=3&date=2027-02-01",
        # beyond the calendar's years (2200): refused, never a 500
        "date=2201-01-01",
        "working_days=5&from=2201-01-01",
        "date=0001-01-01",
    ):
        bad = client.get(f"/api/v1/calendar/deadline/?{query}")
        assert bad.status_code == 400, query
        assert "error" in bad.json()
    assert APIClient().get("/api/v1/calendar/deadline/?working_days=7").status_code in (401, 403)


def test_staff_add_and_remove_a_day_off_on_the_calendar_page(
    drafter, directory, django_capture_on_commit_callbacks
):
    from agencies.models import User

    staff = User.objects.create_user("quantri", password="x", is_staff=True, full_name="Quản trị")
    client = page_client(staff)

    # the month lists Tết 2027 as days off
    page = client.get("/lich-lam-viec/?nam=2027&thang=2").content.decode()
    assert 'data-date="2027-02-08" data-working="0" data-source="holiday"' in page
    assert "Thêm ngày nghỉ bù" in page

    # staff give Friday 12 February off, then take it back
    with django_capture_on_commit_callbacks(execute=True):  # the calendar is re-read
        response = client.post(
            "/lich-lam-viec/",
            {"date": "2027-02-12", "is_working_day": "0", "reason": "Nghỉ bù theo Thông báo số 1"},
        )
    assert response.status_code == 302 and "nam=2027&thang=2" in response["Location"]
    page = client.get("/lich-lam-viec/?nam=2027&thang=2").content.decode()
    assert 'data-date="2027-02-12" data-working="0" data-source="override"' in page
    assert add_working_days(dt.date(2027, 2, 11), 1) == dt.date(2027, 2, 15)

    client.post("/lich-lam-viec/", {"date": "2027-02-12", "action": "remove"})
    assert not CalendarDay.objects.exists()


def test_a_drafter_sees_the_calendar_but_cannot_change_it(drafter):
    client = page_client(drafter)
    page = client.get("/lich-lam-viec/?nam=2027&thang=2").content.decode()
    assert 'data-date="2027-02-08" data-working="0"' in page
    assert "Thêm ngày nghỉ bù" not in page
    response = client.post(
        "/lich-lam-viec/", {"date": "2027-02-13", "is_working_day": "1", "reason": "Làm bù"}
    )
    assert response.status_code == 302
    assert not CalendarDay.objects.exists()
    # a nonsense month shows the current one, never an error
    assert client.get("/lich-lam-viec/?nam=99999&thang=x").status_code == 200


def test_each_user_chooses_notices_by_e_mail_over_the_api(drafter, culture):
    client = api_client(culture)
    answer = client.get("/api/v1/me/notification-preferences/").json()
    assert answer["email_kinds"] == ["deadline.reminder", "deadline.passed", "task.escalated"]
    assert answer["digest"] is False and answer["email"] == culture.email
    assert {"kind": "task.assigned", "label": "Được giao xử lý"} in answer["kinds"]

    changed = client.put(
        "/api/v1/me/notification-preferences/",
        {"email_kinds": ["task.assigned", "deadline.reminder"], "digest": True},
        format="json",
    )
    assert changed.status_code == 200
    assert changed.json()["email_kinds"] == ["task.assigned", "deadline.reminder"]
    assert changed.json()["digest"] is True

    # someone else's choice is their own
    assert api_client(drafter).get("/api/v1/me/notification-preferences/").json()["digest"] is False


@pytest.mark.parametrize(
    "body",
    [
        {"email_kinds": ["no.such.kind"], "digest": False},
        {"email_kinds": "task.assigned", "digest": False},
        {"email_kinds": [], "digest": "yes"},
        {"digest": True},
        [],
    ],
)
def test_a_bad_choice_is_refused_and_changes_nothing(culture, body):
    response = api_client(culture).put("/api/v1/me/notification-preferences/", body, format="json")
    assert response.status_code == 400 and "error" in response.json()
    assert not NotificationPreference.objects.exists()


def test_the_preferences_page_saves_the_choice(culture):
    client = page_client(culture)
    page = client.get("/thong-bao/e-mail/").content.decode()
    assert culture.email in page and 'value="deadline.reminder" checked' in page
    response = client.post("/thong-bao/e-mail/", {"email_kinds": ["plan.signed"], "digest": "1"})
    assert response.status_code == 302
    row = NotificationPreference.objects.get(user=culture)
    assert row.email_kinds == ["plan.signed"] and row.digest is True
    page = client.get("/thong-bao/e-mail/").content.decode()
    assert 'value="plan.signed" checked' in page and 'value="deadline.reminder" checked' not in page
