"""Absences over HTTP, as the users: the page and the API record and end them, refuse bad
input with nothing left behind, and the stand-in works the absent person's tasks through the
same API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from agencies.models import Absence, User
from documents import services as documents
from documents.content import PlanContent
from documents.models import Plan, PlanEvent
from tests.helpers import complete, has_task, sign_as, walk_to_signature
from workflows.services import plan_submit, process_for

pytestmark = pytest.mark.django_db


def day(offset: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=offset)).isoformat()


def api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def page(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def colleague(directory) -> User:
    return User.objects.create_user(
        username="chuyenvien2",
        full_name="Lê Văn Tâm",
        unit=directory["so-tttt"],
        role=User.Role.DRAFTER,
        position="Chuyên viên",
    )


def test_the_page_records_and_ends_an_absence(drafter, colleague):
    client = page(drafter)
    form = client.get("/vang-mat/")
    assert form.status_code == 200
    assert "Người thay mặt" in form.content.decode()
    assert colleague.display_name in form.content.decode()

    response = client.post(
        "/vang-mat/",
        {
            "person_id": drafter.pk,
            "stand_in_id": colleague.pk,
            "start_date": day(0),
            "end_date": day(2),
            "reason": "Nghỉ phép",
        },
    )

    assert response.status_code == 302
    absence = Absence.objects.get()
    assert (absence.person, absence.stand_in) == (drafter, colleague)
    listed = client.get("/vang-mat/").content.decode()
    assert "Đang vắng mặt" in listed and "Nghỉ phép" in listed
    # the stand-in sees it but may not end it
    assert "Nghỉ phép" in page(colleague).get("/vang-mat/").content.decode()
    assert page(colleague).post(f"/vang-mat/{absence.pk}/ket-thuc/").status_code == 302
    absence.refresh_from_db()
    assert absence.ended_at is None
    # the person ends it
    assert client.post(f"/vang-mat/{absence.pk}/ket-thuc/").status_code == 302
    absence.refresh_from_db()
    assert absence.ended_at is not None


def test_the_page_refuses_a_stand_in_of_another_unit_and_records_nothing(drafter, finance_reviewer):
    response = page(drafter).post(
        "/vang-mat/",
        {
            "person_id": drafter.pk,
            "stand_in_id": finance_reviewer.pk,
            "start_date": day(0),
            "end_date": day(2),
            "reason": "Nghỉ phép",
        },
    )
    assert response.status_code == 400
    assert "cùng đơn vị" in response.content.decode()
    assert not Absence.objects.exists()


def test_the_api_records_lists_and_ends_an_absence(chairman, signer):
    client = api(chairman)
    created = client.post(
        "/api/v1/absences/",
        {"stand_in_id": signer.pk, "start_date": day(0), "end_date": day(3), "reason": "Công tác"},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["person"]["id"] == chairman.pk and body["stand_in"]["id"] == signer.pk
    assert body["is_current"] is True and body["ended_at"] is None

    listed = client.get("/api/v1/absences/").json()
    assert [a["id"] for a in listed["results"]] == [body["id"]] and listed["next"] is None
    assert [a["id"] for a in api(signer).get("/api/v1/absences/").json()["results"]] == [body["id"]]

    # someone else cannot end it: it does not exist for them
    assert api(signer).post(f"/api/v1/absences/{body['id']}/end/").status_code == 404
    ended = client.post(f"/api/v1/absences/{body['id']}/end/")
    assert ended.status_code == 200 and ended.json()["ended_at"] is not None


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 400, "invalid"),
        ({"stand_in_id": "x", "start_date": "2026-01-01", "end_date": "2026-01-02"}, 400, None),
        (
            {"stand_in_id": 1, "start_date": "nope", "end_date": "2026-01-02", "reason": "x"},
            400,
            None,
        ),
        ([1, 2], 400, None),
    ],
)
def test_the_api_refuses_bad_bodies_and_records_nothing(drafter, body, status, code):
    response = api(drafter).post("/api/v1/absences/", body, format="json")
    assert response.status_code == status
    assert set(response.json()) >= {"error", "detail"}
    if code:
        assert response.json()["error"] == code
    assert not Absence.objects.exists()


def test_the_api_says_409_on_overlap_and_403_for_another_units_person(
    drafter, colleague, foreign_affairs
):
    body = {"stand_in_id": colleague.pk, "start_date": day(0), "end_date": day(3), "reason": "x"}
    assert api(drafter).post("/api/v1/absences/", body, format="json").status_code == 201
    again = api(drafter).post("/api/v1/absences/", body, format="json")
    assert again.status_code == 409 and again.json()["error"] == "overlapping_absence"
    other = api(foreign_affairs).post(
        "/api/v1/absences/", {**body, "person_id": drafter.pk}, format="json"
    )
    assert other.status_code == 403
    assert Absence.objects.count() == 1


def test_the_stand_in_works_the_absent_drafters_task_through_the_api(
    drafter, colleague, agency_head, signer, make_content
):
    plan = documents.plan_create(actor=drafter, content=make_content(signer=signer))
    plan = plan_submit(plan=plan, actor=drafter)
    body = {"stand_in_id": colleague.pk, "start_date": day(0), "end_date": day(3), "reason": "x"}
    assert api(drafter).post("/api/v1/absences/", body, format="json").status_code == 201
    plan = complete(agency_head, plan, "agency_review", "approve")

    client = api(colleague)
    tasks = client.get("/api/v1/tasks/").json()["results"]
    task = next(t for t in tasks if t["step"] == "choose_agencies" and t["document"] == plan.pk)
    done = client.post(
        f"/api/v1/tasks/{task['id']}/complete/",
        {"action": "skip", "comment": "Không cần lấy ý kiến."},
        format="json",
    )

    assert done.status_code == 200, done.content
    event = PlanEvent.objects.get(plan=plan, kind=PlanEvent.Kind.CONSULTATION_SKIPPED)
    assert event.actor == colleague and event.data["on_behalf_of"] == drafter.pk
    assert client.get(f"/api/v1/documents/{plan.pk}/").status_code == 200


def test_a_walk_where_the_chairman_is_away_and_the_deputy_signs_kt_over_http(
    chairman, signer, clerk, make_content
):
    # the Chủ tịch records his absence through the page, the Phó Chủ tịch standing in
    response = page(chairman).post(
        "/vang-mat/",
        {
            "person_id": chairman.pk,
            "stand_in_id": signer.pk,
            "start_date": day(0),
            "end_date": day(5),
            "reason": "Đi công tác nước ngoài",
        },
    )
    assert response.status_code == 302

    plan = walk_to_signature(content=make_content(signer=chairman))

    # the deputy's inbox has the signature, the plan page shows the KT. block and who for whom
    assert has_task(signer, plan, "sign") and not has_task(chairman, plan, "sign")
    detail = page(signer).get(f"/ke-hoach/{plan.pk}/").content.decode()
    assert "KT. CHỦ TỊCH" in detail
    assert f"{signer.display_name} thay mặt {chairman.display_name}" in detail
    plan = sign_as(signer, plan)
    plan = complete(clerk, plan, "issue", "issue")
    assert plan.status == Plan.Status.ISSUED
    block = PlanContent.from_dict(plan.signed_version.content).signature
    assert block.lines() == ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]
    assert block.signer_name == signer.display_name


def test_the_stand_in_approves_on_the_task_page_and_the_drafter_is_refused_there(
    drafter, colleague, agency_head, signer, make_content
):
    plan = documents.plan_create(actor=drafter, content=make_content(signer=signer))
    plan = plan_submit(plan=plan, actor=drafter)
    task = process_for(plan).task_set.get(flow_task_type="HUMAN", status="NEW")

    # the head is away and the drafter stands in: the page refuses, saying why; nothing changes
    absence = api(agency_head).post(
        "/api/v1/absences/",
        {"stand_in_id": drafter.pk, "start_date": day(0), "end_date": day(1), "reason": "x"},
        format="json",
    )
    assert absence.status_code == 201
    refused = page(drafter).post(f"/nhiem-vu/{task.pk}/", {"action": "approve"})
    assert refused.status_code == 403
    assert "người soạn thảo" in refused.content.decode()
    assert Plan.objects.get(pk=plan.pk).status == Plan.Status.AGENCY_REVIEW
    assert (
        api(drafter)
        .post(f"/api/v1/tasks/{task.pk}/complete/", {"action": "approve"}, format="json")
        .json()["error"]
        == "own_draft"
    )

    # with a colleague standing in instead, the colleague approves on the page
    api(agency_head).post(f"/api/v1/absences/{absence.json()['id']}/end/")
    assert (
        api(agency_head)
        .post(
            "/api/v1/absences/",
            {"stand_in_id": colleague.pk, "start_date": day(0), "end_date": day(1), "reason": "x"},
            format="json",
        )
        .status_code
        == 201
    )
    client = page(colleague)
    assert client.get(f"/nhiem-vu/{task.pk}/").status_code == 200
    done = client.post(f"/nhiem-vu/{task.pk}/", {"action": "approve"})
    assert done.status_code == 302
    assert Plan.objects.get(pk=plan.pk).status == Plan.Status.APPROVED
    detail = client.get(f"/ke-hoach/{plan.pk}/").content.decode()
    assert f"{colleague.display_name} thay mặt {agency_head.display_name}" in detail
