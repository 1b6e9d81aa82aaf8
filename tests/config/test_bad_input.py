"""No input gets a 5xx: each reproduction of issue 7 §2 answers a clear 4xx and changes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rest_framework.test import APIClient

from agencies.models import User
from documents.models import ConsultationRequest, Plan
from notifications.models import Notification
from tests.helpers import complete, open_task
from workflows.services import plan_submit

pytestmark = pytest.mark.django_db

HUGE = 2**70


def api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


def post_raw(client: APIClient, url: str, body: str) -> Any:
    return client.generic("POST", url, body.encode("utf-8"), content_type="application/json")


def assert_error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) >= {"error", "detail"}
    return body


@pytest.fixture
def at_choose_agencies(drafter, agency_head, make_content, signer) -> Plan:
    plan = Plan.objects.get(pk=_create(drafter, make_content(signer=signer)).pk)
    plan = plan_submit(plan=plan, actor=drafter)
    return complete(agency_head, plan, "agency_review", "approve")


def _create(drafter: User, content: dict[str, Any]) -> Plan:
    from documents.services import plan_create

    return plan_create(actor=drafter, content=content)


# --- JSON nested thousands deep ----------------------------------------------------------------


@pytest.mark.parametrize("levels", [40, 5_000, 200_000])
def test_deeply_nested_content_is_a_400_and_creates_nothing(drafter, levels):
    # when a drafter posts content nested thousands deep
    body = '{"content": {"title": "x", "sections": ' + deep(levels) + "}}"
    response = post_raw(api(drafter), "/api/v1/documents/", body)

    # then a JSON 400, and no plan
    assert "lồng" in assert_error(response, 400)["detail"]
    assert Plan.objects.count() == 0


def test_deeply_nested_task_data_is_a_400(drafter, at_choose_agencies):
    task = open_task(drafter, at_choose_agencies, "choose_agencies")
    body = '{"action": "send", "data": {"unit_ids": ' + deep(10_000) + "}}"
    assert_error(post_raw(api(drafter), f"/api/v1/tasks/{task.pk}/complete/", body), 400)
    assert Plan.objects.get(pk=at_choose_agencies.pk).status == Plan.Status.APPROVED


def test_nan_is_not_json(drafter):
    body = '{"content": {"title": "x", "year": NaN}}'
    assert_error(post_raw(api(drafter), "/api/v1/documents/", body), 400)


# --- ids beyond 64 bits, and `true` as an id ------------------------------------------------------


@pytest.mark.parametrize("bad", [HUGE, -1, 0, True, "1e3", 1.5, None])
def test_consultation_unit_ids_must_be_ids(drafter, at_choose_agencies, directory, bad):
    # given a plan waiting for the drafter to choose agencies
    task = open_task(drafter, at_choose_agencies, "choose_agencies")
    deadline = "2099-01-01T17:00"

    # when one of the unit ids is not an id
    response = api(drafter).post(
        f"/api/v1/tasks/{task.pk}/complete/",
        {
            "action": "send",
            "data": {"unit_ids": [directory["so-nv"].pk, bad], "deadline": deadline},
        },
        format="json",
    )

    # then a 400, and the plan was sent to nobody
    assert_error(response, 400)
    assert Plan.objects.get(pk=at_choose_agencies.pk).status == Plan.Status.APPROVED
    assert ConsultationRequest.objects.count() == 0


def test_true_is_not_unit_1(drafter, at_choose_agencies):
    # `true` == 1 in Python: it used to send the plan to the unit with id 1
    task = open_task(drafter, at_choose_agencies, "choose_agencies")
    response = api(drafter).post(
        f"/api/v1/tasks/{task.pk}/complete/",
        {"action": "send", "data": {"unit_ids": [True], "deadline": "2099-01-01T17:00"}},
        format="json",
    )
    assert_error(response, 400)
    assert ConsultationRequest.objects.count() == 0


@pytest.mark.parametrize(
    "content_patch",
    [
        {"signature": {"signer_id": HUGE}},
        {"recipients": {"units": [{"name": "X", "unit_id": HUGE}], "lines": [], "archive": ""}},
        {"recipients": {"units": [{"name": "X", "unit_id": True}], "lines": [], "archive": ""}},
    ],
)
def test_ids_in_content_must_be_ids(drafter, make_content, content_patch):
    response = api(drafter).post(
        "/api/v1/documents/", {"content": {**make_content(), **content_patch}}, format="json"
    )
    assert_error(response, 400)
    assert Plan.objects.count() == 0


def test_notification_ids_and_after_beyond_64_bits(drafter):
    client = api(drafter)
    assert_error(client.post("/api/v1/notifications/read/", {"ids": [HUGE]}, format="json"), 400)
    assert_error(client.get(f"/api/v1/notifications/?after={HUGE}"), 400)
    assert_error(client.get(f"/api/v1/notifications/?after={'9' * 5000}"), 400)


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/documents/{HUGE}/",
        f"/api/v1/tasks/{HUGE}/",
        f"/api/v1/documents/{'9' * 5000}/pdf/",
        f"/api/v1/documents/{2**63}/",
        "/api/v1/no-such-thing/",
    ],
)
def test_unknown_or_huge_ids_in_the_path_are_json_404s(drafter, url):
    assert_error(api(drafter).get(url), 404)


def test_version_numbers_beyond_any_limit_are_400s(drafter, make_content):
    plan = _create(drafter, make_content())
    response = api(drafter).get(f"/api/v1/documents/{plan.pk}/compare/?from={'9' * 5000}")
    assert response.status_code in (400, 404)
    assert response.json()["error"]


def test_huge_device_id_is_a_400(signer):
    response = api(signer).post(
        "/api/v1/documents/1/sign/prepare/", {"device_id": HUGE}, format="json"
    )
    assert response.status_code in (400, 404)
    assert response.json()["error"]


# --- texts a database cannot store ---------------------------------------------------------------


@pytest.mark.parametrize("title", ["Kế hoạch \ud800 năm 2024", "Kế hoạch\x00 năm 2024"])
def test_unstorable_title_is_a_400(drafter, make_content, title):
    # the body as a client sends it: \ud800 and \u0000 escapes in JSON text
    body = json.dumps({"content": {**make_content(), "title": title}})
    response = post_raw(api(drafter), "/api/v1/documents/", body)
    assert_error(response, 400)
    assert Plan.objects.count() == 0


def test_nul_in_a_form_comment_is_refused_with_a_message(
    client, agency_head, drafter, make_content, signer
):
    # given a plan waiting for the agency head
    plan = plan_submit(plan=_create(drafter, make_content(signer=signer)), actor=drafter)
    task = open_task(agency_head, plan, "agency_review")
    client.force_login(agency_head)

    # when the head returns it with a NUL in the reason
    response = client.post(
        f"/nhiem-vu/{task.pk}/", {"action": "return", "comment": "Sửa\x00 lại"}, follow=True
    )

    # then the page says why, and the plan did not move
    assert response.status_code == 400
    assert "NUL" in response.content.decode()
    assert Plan.objects.get(pk=plan.pk).status == Plan.Status.AGENCY_REVIEW


# --- sizes --------------------------------------------------------------------------------------


def test_a_megabyte_comment_is_refused(drafter, agency_head, make_content, signer):
    plan = plan_submit(plan=_create(drafter, make_content(signer=signer)), actor=drafter)
    task = open_task(agency_head, plan, "agency_review")
    response = api(agency_head).post(
        f"/api/v1/tasks/{task.pk}/complete/",
        {"action": "return", "comment": "x" * 1_000_000},
        format="json",
    )
    assert "quá dài" in assert_error(response, 400)["detail"]
    assert Plan.objects.get(pk=plan.pk).status == Plan.Status.AGENCY_REVIEW


def test_a_body_over_the_limit_is_a_json_413(drafter, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = json.dumps({"content": {"title": "x" * 20_000}})
    assert_error(post_raw(api(drafter), "/api/v1/documents/", body), 413)
    assert Plan.objects.count() == 0


def test_a_page_body_over_the_limit_is_a_page(client, drafter, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    client.force_login(drafter)
    response = client.post("/ke-hoach/moi/", {"mode": "blank", "blank-title": "x" * 20_000})
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")


def test_unread_notifications_untouched_by_refused_requests(drafter):
    Notification.objects.create(user=drafter, kind="x", title="t")
    api(drafter).post("/api/v1/notifications/read/", {"ids": [True]}, format="json")
    assert Notification.objects.filter(read_at__isnull=True).count() == 1
