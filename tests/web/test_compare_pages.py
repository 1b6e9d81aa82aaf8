"""Comparing versions in the browser: the comparison page and its .docx, who may open them, bad
parameters, and what the signer sees changed since they last opened the plan."""

from __future__ import annotations

import copy
import io
import types
from typing import Any

import pytest
from django.test import Client
from django.urls import include, path, reverse
from docx import Document

from documents import services as documents
from documents.models import Plan, PlanVersionSeen
from tests.helpers import complete, in_days, open_task
from workflows.services import plan_submit

pytestmark = pytest.mark.django_db

compare_urls = types.ModuleType("compare_page_urls")
compare_urls.urlpatterns = [  # type: ignore[attr-defined]
    path("", include("web.urls_compare")),
    path("", include("tests.web.urls")),
]


@pytest.fixture(autouse=True)
def _compare_urls(_page_urls: None, settings: Any) -> None:
    """The page routes plus the comparison routes, however config/urls.py mounts them."""
    settings.ROOT_URLCONF = compare_urls


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def revised(content: dict[str, Any]) -> dict[str, Any]:
    """The content after the drafter folded in comments: a paragraph reworded, a task added."""
    content = copy.deepcopy(content)
    content["sections"][0]["children"][0]["paragraphs"] = [
        "Tuyên truyền, quảng bá rộng rãi hình ảnh tỉnh Đồng Nai."
    ]
    content["sections"][1]["children"][0]["tasks"].append(
        {"title": "Tổ chức họp báo quốc tế", "timeline": "quý III/2024"}
    )
    return content


@pytest.fixture
def plan_v2(drafter, agency_head, signer, make_content) -> Plan:
    """A plan submitted (v1), returned by the agency head, revised and resubmitted (v2)."""
    content = make_content(signer=signer)
    plan = documents.plan_create(actor=drafter, content=content)
    plan = plan_submit(plan=plan, actor=drafter)
    plan = complete(agency_head, plan, "agency_review", "return", comment="Bổ sung nhiệm vụ.")
    plan = complete(
        drafter, plan, "revise_agency", "resubmit", data={"content": revised(plan.content)}
    )
    assert plan.version_number == 2
    return plan


def compare_url(plan: Plan, query: str = "") -> str:
    return reverse("plan-compare", args=[plan.pk]) + query


def test_drafter_compares_the_previous_version_with_the_latest_by_default(plan_v2, drafter):
    # given a plan with two versions
    # when the drafter opens the comparison without choosing versions
    response = client_of(drafter).get(compare_url(plan_v2))
    # then version 1 is compared with version 2, with the changes inline
    assert response.status_code == 200
    page = response.content.decode()
    assert "phiên bản 1 → phiên bản 2" in page
    assert "<ins> rộng rãi</ins>" in page
    assert '<span class="compare-path">Mục I.1</span> — Mục đích' in page
    assert "Tổ chức họp báo quốc tế" in page
    assert "1 đoạn văn được sửa" in page
    assert "1 nhiệm vụ thêm mới" in page
    assert '<option value="1" selected>' in page
    assert '<option value="2" selected>' in page
    docx_url = reverse("plan-compare-docx", args=[plan_v2.pk]) + "?tu=1&amp;den=2"
    assert docx_url in page
    assert "Tải bản so sánh (.docx)" in page


def test_agency_head_downloads_the_comparison_as_docx(plan_v2, agency_head):
    # given a reviewer who may see the plan
    # when they download the comparison of versions 1 and 2
    response = client_of(agency_head).get(
        reverse("plan-compare-docx", args=[plan_v2.pk]) + "?tu=1&den=2"
    )
    # then they get a Word file that shows the changes
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert "so-sanh-ke-hoach" in response["Content-Disposition"]
    document = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Từ phiên bản 1 đến phiên bản 2" in text
    assert "rộng rãi" in text


def test_versions_can_be_compared_in_either_order_and_with_themselves(plan_v2, drafter):
    # given a plan with two versions
    client = client_of(drafter)
    # when the drafter compares 2 → 1, then 2 → 2
    backwards = client.get(compare_url(plan_v2, "?tu=2&den=1"))
    same = client.get(compare_url(plan_v2, "?tu=2&den=2"))
    # then the first shows the task removed, the second says nothing changed
    assert backwards.status_code == 200
    assert "1 nhiệm vụ bị xóa" in backwards.content.decode()
    assert same.status_code == 200
    assert "Hai phiên bản có nội dung giống nhau." in same.content.decode()


@pytest.mark.parametrize("name", ["plan-compare", "plan-compare-docx"])
def test_a_user_who_may_not_see_the_plan_gets_404(plan_v2, police, name):
    # given a user of a unit that has nothing to do with the plan
    # when they open the comparison
    response = client_of(police).get(reverse(name, args=[plan_v2.pk]))
    # then the plan does not exist for them
    assert response.status_code == 404
    assert "Không tìm thấy văn bản" in response.content.decode()


@pytest.mark.parametrize(
    "query, status, message",
    [
        ("?tu=abc&den=2", 400, "Số phiên bản “tu” không hợp lệ"),
        ("?tu=0", 400, "Số phiên bản “tu” không hợp lệ"),
        ("?tu=1&den=-2", 400, "Số phiên bản “den” không hợp lệ"),
        ("?tu=1&den=9", 404, "Văn bản không có phiên bản số 9."),
    ],
)
def test_bad_version_numbers_are_refused_in_vietnamese(plan_v2, drafter, query, status, message):
    # given a plan with two versions
    client = client_of(drafter)
    # when the comparison is asked with a bad number
    page = client.get(compare_url(plan_v2, query))
    docx = client.get(reverse("plan-compare-docx", args=[plan_v2.pk]) + query)
    # then the page and the download refuse with a clear message
    assert page.status_code == status
    assert message in page.content.decode()
    assert docx.status_code == status


def test_a_plan_with_one_version_cannot_be_compared_yet(drafter, signer, make_content):
    # given a plan submitted once
    plan = documents.plan_create(actor=drafter, content=make_content(signer=signer))
    plan = plan_submit(plan=plan, actor=drafter)
    client = client_of(drafter)
    # when the drafter opens the comparison, and the plan page
    page = client.get(compare_url(plan))
    docx = client.get(reverse("plan-compare-docx", args=[plan.pk]))
    detail = client.get(reverse("plan-detail", args=[plan.pk]))
    # then the page explains that two versions are needed and the plan page has no link
    assert page.status_code == 200
    assert "Cần ít nhất hai phiên bản để so sánh" in page.content.decode()
    assert docx.status_code == 400
    assert "So sánh phiên bản" not in detail.content.decode()


def test_plan_page_links_to_the_comparison(plan_v2, drafter):
    # given a plan with two versions
    # when the drafter opens the plan page
    page = client_of(drafter).get(reverse("plan-detail", args=[plan_v2.pk])).content.decode()
    # then a link leads to the comparison
    assert f'href="{compare_url(plan_v2)}"' in page
    assert "So sánh phiên bản" in page


def test_seen_is_recorded_for_people_who_act_not_for_others(plan_v2, drafter, agency_head):
    # given the agency head, who has the review task, and the drafter, who has none right now
    # when both open the plan page
    client_of(agency_head).get(reverse("plan-detail", args=[plan_v2.pk]))
    client_of(drafter).get(reverse("plan-detail", args=[plan_v2.pk]))
    # then both are remembered to have seen version 2
    seen = dict(PlanVersionSeen.objects.filter(plan=plan_v2).values_list("user", "version_number"))
    assert seen == {agency_head.pk: 2, drafter.pk: 2}


def test_a_reader_who_may_not_act_is_not_recorded(plan_v2, agency_head, drafter):
    # given the agency head approved: nothing left for them to do
    complete(agency_head, plan_v2, "agency_review", "approve")
    # when they open the plan page again
    response = client_of(agency_head).get(reverse("plan-detail", args=[plan_v2.pk]))
    # then the page shows, and nothing is recorded for them
    assert response.status_code == 200
    assert not PlanVersionSeen.objects.filter(plan=plan_v2, user=agency_head).exists()


def to_signature(plan: Plan, *, drafter, agency_head, foreign_affairs, finance, vetter, unit_id):
    plan = complete(agency_head, plan, "agency_review", "approve")
    plan = complete(
        drafter,
        plan,
        "choose_agencies",
        "send",
        data={"unit_ids": [unit_id], "deadline": in_days(5)},
    )
    plan = complete(foreign_affairs, plan, "consult", "agree")
    plan = complete(drafter, plan, "consolidate", "send")
    plan = complete(finance, plan, "budget_review", "approve")
    plan = complete(vetter, plan, "vetting", "approve")
    assert plan.status == Plan.Status.AWAITING_SIGNATURE
    return plan


def test_signer_sees_what_changed_since_they_last_saw_the_plan(
    drafter,
    agency_head,
    foreign_affairs,
    finance_reviewer,
    office_vetter,
    signer,
    directory,
    make_content,
):
    # given a plan that reached the signer as version 2
    plan = documents.plan_create(actor=drafter, content=make_content(signer=signer))
    plan = plan_submit(plan=plan, actor=drafter)
    plan = to_signature(
        plan,
        drafter=drafter,
        agency_head=agency_head,
        foreign_affairs=foreign_affairs,
        finance=finance_reviewer,
        vetter=office_vetter,
        unit_id=directory["so-nv"].pk,
    )
    assert plan.version_number == 2
    signer_client = client_of(signer)
    first_task = open_task(signer, plan, "sign")
    first = signer_client.get(reverse("task-detail", args=[first_task.pk])).content.decode()
    assert "Đây là lần đầu bạn xem văn bản này" in first

    # when the signer returns it, the drafter revises and resubmits (version 3)
    plan = complete(signer, plan, "sign", "return", comment="Bổ sung họp báo quốc tế.")
    plan = complete(
        drafter, plan, "revise_sign", "resubmit", data={"content": revised(plan.content)}
    )
    assert plan.status == Plan.Status.AWAITING_SIGNATURE
    assert plan.version_number == 3
    # and the signer follows the notification to the plan page, then opens the task
    plan_page = signer_client.get(reverse("plan-detail", args=[plan.pk])).content.decode()
    task = open_task(signer, plan, "sign")
    task_page = signer_client.get(reverse("task-detail", args=[task.pk])).content.decode()

    # then both pages say what changed since version 2, with a link to the full comparison
    for page in (plan_page, task_page):
        assert "Thay đổi kể từ lần bạn xem gần nhất (phiên bản 2 → 3)" in page
        assert "1 đoạn văn được sửa" in page
        assert "1 nhiệm vụ thêm mới" in page
        assert "Tổ chức họp báo quốc tế" in page
        assert f"{compare_url(plan)}?tu=2&amp;den=3" in page
    seen = PlanVersionSeen.objects.get(plan=plan, user=signer)
    assert (seen.version_number, seen.previous_version_number) == (3, 2)


def test_seen_version_only_moves_forward_and_keeps_the_one_before(plan_v2, drafter):
    # given the drafter saw version 1
    documents.plan_version_seen_record(plan=plan_v2, user=drafter, version_number=1)
    # when version 2 is seen, then version 1 again, then nothing (version 0)
    documents.plan_version_seen_record(plan=plan_v2, user=drafter, version_number=2)
    documents.plan_version_seen_record(plan=plan_v2, user=drafter, version_number=1)
    nothing = documents.plan_version_seen_record(plan=plan_v2, user=drafter, version_number=0)
    # then the last seen is 2, the one before it 1
    seen = PlanVersionSeen.objects.get(plan=plan_v2, user=drafter)
    assert (seen.version_number, seen.previous_version_number) == (2, 1)
    assert nothing is None
