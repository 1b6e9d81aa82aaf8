"""The pages as people use them: login, inbox, create and edit a plan, access, task errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from documents.models import Plan, PlanEvent
from tests.documents.seeds import SEED
from tests.web.conftest import plan_content
from workflows.services import plan_submit, task_list_open

SEED_PLAN = SEED

pytestmark = pytest.mark.django_db


def script_json(page: str, element_id: str) -> str:
    """The text of a `json_script` element of the page."""
    pattern = rf'<script id="{element_id}" type="application/json">(.*?)</script>'
    match = re.search(pattern, page, re.S)
    assert match, f"no #{element_id} in the page"
    return match.group(1)


@pytest.mark.parametrize(
    "name, args",
    [
        ("home", []),
        ("plan-create", []),
        ("plan-detail", [1]),
        ("plan-edit", [1]),
        ("plan-docx", [1]),
        ("plan-pdf", [1]),
        ("task-detail", [1]),
        ("plan-consultations", [1]),
    ],
)
def test_pages_require_login(db, name, args):
    # given an anonymous visitor
    client = Client()
    # when they open a page
    url = reverse(name, args=args)
    response = client.get(url)
    # then they are sent to the login page, and back afterwards
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_login_page_shows_a_form_and_logs_in(org):
    # given the login page
    client = Client()
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert "Đăng nhập" in page.content.decode()
    # when a user logs in
    response = client.post(reverse("login"), {"username": "chuyenvien", "password": "demo"})
    # then they land on their inbox, which shows who they are
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    home = client.get(reverse("home")).content.decode()
    assert "Nguyễn Văn An" in home
    assert "Sở Thông tin và Truyền thông" in home
    assert "Chuyên viên soạn thảo" in home


def test_logout_is_a_post(org, client_for):
    # given a logged-in user
    client = client_for(org.drafter)
    # when they log out
    response = client.post(reverse("logout"))
    # then they are logged out
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_inbox_lists_the_agency_heads_task(org, plan, client_for):
    # given a draft submitted to the head of the drafting agency
    plan_submit(plan=plan, actor=org.drafter)
    task = task_list_open(user=org.head).get()
    # when the head opens their inbox
    response = client_for(org.head).get(reverse("home"))
    # then the task is listed with its title, the plan title and a link
    page = response.content.decode()
    assert response.status_code == 200
    assert "Lãnh đạo đơn vị duyệt dự thảo" in page
    assert plan.title in page
    assert reverse("task-detail", args=[task.pk]) in page


def test_inbox_of_a_drafter_offers_to_create_and_lists_own_drafts(org, plan, client_for):
    # when the drafter opens the inbox
    page = client_for(org.drafter).get(reverse("home")).content.decode()
    # then they can create a plan and see their draft
    assert "Tạo kế hoạch mới" in page
    assert "Dự thảo của tôi" in page
    assert reverse("plan-detail", args=[plan.pk]) in page


def test_other_roles_are_not_offered_to_create(org, client_for):
    # when a consulted agency's staff opens the inbox
    page = client_for(org.culture).get(reverse("home")).content.decode()
    # then there is no create button, and the create page refuses them
    assert "Tạo kế hoạch mới" not in page
    assert client_for(org.culture).get(reverse("plan-create")).status_code == 403


def test_drafter_creates_a_blank_plan(org, client_for):
    # given the drafter
    client = client_for(org.drafter)
    # when they create a blank plan
    response = client.post(
        reverse("plan-create"),
        {"mode": "blank", "blank-title": "Kế hoạch truyền thông năm 2025", "blank-year": "2025"},
    )
    # then the plan exists with the usual four parts and they are sent to the editor
    plan = Plan.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("plan-edit", args=[plan.pk])
    assert plan.drafter == org.drafter
    assert plan.year == 2025
    assert [s["kind"] for s in plan.content["sections"]] == [
        "purpose",
        "tasks",
        "budget",
        "implementation",
    ]
    assert plan.events.get().kind == PlanEvent.Kind.CREATED


def test_creating_without_a_title_shows_the_form_again(org, client_for):
    # when the drafter forgets the title
    response = client_for(org.drafter).post(
        reverse("plan-create"), {"mode": "blank", "blank-title": "", "blank-year": "2025"}
    )
    # then nothing is created
    assert response.status_code == 400
    assert Plan.objects.exists() is False


def test_importing_a_file_that_is_not_docx_is_refused(org, client_for):
    # given a text file pretending to be Word
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(
        "ke-hoach.docx", b"not a zip", content_type="application/octet-stream"
    )
    # when the drafter uploads it
    response = client_for(org.drafter).post(
        reverse("plan-create"), {"mode": "import", "import-file": upload}
    )
    # then they are told in Vietnamese and nothing is created
    assert response.status_code == 400
    assert "không phải là tệp Word" in response.content.decode()
    assert Plan.objects.exists() is False


def test_editor_page_embeds_the_content_and_the_directory(org, plan, client_for):
    # when the drafter opens the editor
    response = client_for(org.drafter).get(reverse("plan-edit", args=[plan.pk]))
    # then the page carries the content, the units and the signers for editor.js
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="plan-content"' in page
    assert "js/editor.js" in page
    data = json.loads(script_json(page, "editor-data"))
    assert data["signers"] == [
        {"id": org.signer.pk, "name": "Võ Tấn Đức", "position": "Phó Chủ tịch"}
    ]
    assert {"id": org.sonv.pk, "name": "Sở Ngoại vụ"}.items() <= next(
        u for u in data["units"] if u["id"] == org.sonv.pk
    ).items()
    assert json.loads(script_json(page, "plan-content")) == plan.content


def test_drafter_saves_edited_content_as_json(org, plan, client_for):
    # given new content with a new task and recipients
    content = plan_content(org, title="Kế hoạch thông tin đối ngoại năm 2024 (sửa đổi)")
    content["sections"][1]["tasks"] = [
        {
            "title": "Xây dựng trang thông tin đối ngoại",
            "timeline": "trong năm 2024",
            "lead_units": [{"name": org.stttt.name, "unit_id": org.stttt.pk}],
            "coordinating_units": [{"name": org.sonv.name, "unit_id": org.sonv.pk}, "Báo Đồng Nai"],
            "budget_vnd": 200000000,
        }
    ]
    # when the editor posts it
    response = client_for(org.drafter).post(
        reverse("plan-edit", args=[plan.pk]),
        data=json.dumps(content),
        content_type="application/json",
    )
    # then it is saved, the derived signature comes back, and the edit is in the history
    body = response.json()
    assert response.status_code == 200
    assert body["ok"] is True
    assert body["content"]["signature"]["deputy_for"] == "CHỦ TỊCH"
    plan = Plan.objects.get(pk=plan.pk)
    assert plan.title == "Kế hoạch thông tin đối ngoại năm 2024 (sửa đổi)"
    assert plan.content["sections"][1]["tasks"][0]["budget_vnd"] == 200000000
    assert plan.events.last().kind == PlanEvent.Kind.EDITED


def test_bad_content_gives_a_vietnamese_error_and_changes_nothing(org, plan, client_for):
    # given content with an impossible year
    before = plan.content
    events = plan.events.count()
    # when the editor posts it
    response = client_for(org.drafter).post(
        reverse("plan-edit", args=[plan.pk]),
        data=json.dumps(plan_content(org, year=1800)),
        content_type="application/json",
    )
    # then the Vietnamese message comes back and nothing was saved
    assert response.status_code == 400
    assert response.json() == {
        "ok": False,
        "error": "Năm của kế hoạch phải là một năm từ 2000 đến 2100.",
    }
    plan = Plan.objects.get(pk=plan.pk)
    assert plan.content == before
    assert plan.events.count() == events


def test_malformed_json_is_refused(org, plan, client_for):
    # when the editor posts something that is not JSON
    response = client_for(org.drafter).post(
        reverse("plan-edit", args=[plan.pk]), data="{not json", content_type="application/json"
    )
    # then it is refused with a Vietnamese message
    assert response.status_code == 400
    assert "JSON" in response.json()["error"]


def test_only_the_drafter_may_edit(org, plan, client_for):
    # given the head of the drafting agency, who can see the submitted plan
    plan_submit(plan=plan, actor=org.drafter)
    client = client_for(org.head)
    # when they try to save content
    response = client.post(
        reverse("plan-edit", args=[plan.pk]),
        data=json.dumps(plan_content(org, title="Khác")),
        content_type="application/json",
    )
    # then they are refused and the plan is unchanged
    assert response.status_code == 403
    plan = Plan.objects.get(pk=plan.pk)
    assert plan.title != "Khác"


def test_a_submitted_plan_cannot_be_edited_by_its_drafter(org, plan, client_for):
    # given a submitted plan
    plan_submit(plan=plan, actor=org.drafter)
    # when the drafter opens the editor
    response = client_for(org.drafter).get(reverse("plan-edit", args=[plan.pk]))
    # then the page says why
    assert response.status_code == 409
    assert "Chỉ được sửa nội dung" in response.content.decode()


def test_plan_page_reads_like_the_document(org, plan, client_for):
    # when the drafter opens the plan
    response = client_for(org.drafter).get(reverse("plan-detail", args=[plan.pk]))
    # then the content is numbered I., 1., a), tasks show units and budgets, with a total
    page = response.content.decode()
    assert response.status_code == 200
    assert "I. MỤC ĐÍCH, YÊU CẦU" in page
    assert "II. NỘI DUNG, NHIỆM VỤ" in page
    assert "1. Truyền thông" in page
    assert "a) Bản tin" in page
    assert "Sở Ngoại vụ" in page
    assert "150.000.000 đồng" in page
    assert "200.000.000 đồng" in page
    assert "Trình lãnh đạo đơn vị" in page
    assert "KT. CHỦ TỊCH" in page
    assert "Tạo dự thảo" in page  # the history


def test_a_user_of_an_unrelated_unit_gets_404(org, plan, client_for):
    # given a user of a unit that has nothing to do with the plan
    client = client_for(org.outsider)
    # when they open the plan, its fragment, or its files
    for name in ("plan-detail", "plan-consultations", "plan-docx", "plan-pdf", "plan-edit"):
        response = client.get(reverse(name, args=[plan.pk]))
        # then the plan does not exist for them
        assert response.status_code == 404, name
    page = client.get(reverse("plan-detail", args=[plan.pk])).content.decode()
    assert "Không tìm thấy văn bản" in page


def test_drafter_submits_from_the_plan_page(org, plan, client_for):
    # when the drafter submits the draft
    client = client_for(org.drafter)
    response = client.post(reverse("plan-submit", args=[plan.pk]), follow=True)
    # then it waits for the agency head, who has a task
    plan = Plan.objects.get(pk=plan.pk)
    assert plan.status == Plan.Status.AGENCY_REVIEW
    assert "Đã trình lãnh đạo đơn vị" in response.content.decode()
    assert task_list_open(user=org.head).count() == 1


def test_submitting_twice_shows_an_error(org, plan, client_for):
    # given a submitted plan
    client = client_for(org.drafter)
    client.post(reverse("plan-submit", args=[plan.pk]))
    # when the drafter submits again
    response = client.post(reverse("plan-submit", args=[plan.pk]), follow=True)
    # then they are told why, and there is still one task
    assert "Chỉ trình được văn bản đang là dự thảo." in response.content.decode()
    assert task_list_open(user=org.head).count() == 1


def test_task_page_shows_the_actions(org, plan, client_for):
    # given a task of the agency head
    plan_submit(plan=plan, actor=org.drafter)
    task = task_list_open(user=org.head).get()
    # when they open it
    response = client_for(org.head).get(reverse("task-detail", args=[task.pk]))
    # then there is one button per action, and the plan summary with its PDF link
    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="approve"' in page
    assert 'value="return"' in page
    assert reverse("plan-pdf", args=[plan.pk]) in page


def test_task_post_with_a_wrong_action_shows_an_error(org, plan, client_for):
    # given a task of the agency head
    plan_submit(plan=plan, actor=org.drafter)
    task = task_list_open(user=org.head).get()
    events = plan.events.count()
    # when they post an action the task does not have
    response = client_for(org.head).post(reverse("task-detail", args=[task.pk]), {"action": "sign"})
    # then the page says so, and nothing happened
    assert response.status_code == 400
    assert "Thao tác “sign” không hợp lệ cho nhiệm vụ này" in response.content.decode()
    plan = Plan.objects.get(pk=plan.pk)
    assert plan.status == Plan.Status.AGENCY_REVIEW
    assert plan.events.count() == events
    assert task_list_open(user=org.head).get().pk == task.pk


def test_returning_without_a_reason_is_refused(org, plan, client_for):
    # given a task of the agency head
    plan_submit(plan=plan, actor=org.drafter)
    task = task_list_open(user=org.head).get()
    # when they return it without a comment
    response = client_for(org.head).post(
        reverse("task-detail", args=[task.pk]), {"action": "return", "comment": "  "}
    )
    # then they are asked for one and the plan stays with them
    assert response.status_code == 400
    assert "Vui lòng nhập ý kiến hoặc lý do." in response.content.decode()
    plan = Plan.objects.get(pk=plan.pk)
    assert plan.status == Plan.Status.AGENCY_REVIEW


def test_someone_elses_task_is_not_found(org, plan, client_for):
    # given a task of the agency head
    plan_submit(plan=plan, actor=org.drafter)
    task = task_list_open(user=org.head).get()
    # when another user opens or posts it
    client = client_for(org.outsider)
    # then it does not exist for them
    assert client.get(reverse("task-detail", args=[task.pk])).status_code == 404
    response = client.post(reverse("task-detail", args=[task.pk]), {"action": "approve"})
    assert response.status_code == 404
    plan = Plan.objects.get(pk=plan.pk)
    assert plan.status == Plan.Status.AGENCY_REVIEW


def test_drafter_imports_the_seed_plan_from_word(org, client_for):
    # given the seed plan as a drafter's Word file

    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = (Path(settings.BASE_DIR) / "documents/seeds/dongnai-262-KH-UBND-2023.docx").read_bytes()
    upload = SimpleUploadedFile("ke-hoach-262.docx", data)
    # when the drafter uploads it
    response = client_for(org.drafter).post(
        reverse("plan-create"), {"mode": "import", "import-file": upload}
    )
    # then a draft is created from it and the editor opens
    plan = Plan.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("plan-edit", args=[plan.pk])
    assert plan.events.get().kind == PlanEvent.Kind.IMPORTED
    assert len(plan.content["sections"]) >= 3


def test_docx_download_has_an_ascii_file_name(org, plan, client_for):
    # when the drafter downloads the Word file
    response = client_for(org.drafter).get(reverse("plan-docx", args=[plan.pk]))
    # then it is a .docx named after the plan
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="ke-hoach-{plan.pk}.docx"'
    assert response.content[:2] == b"PK"


def test_the_editor_lists_what_a_word_import_could_not_place(org, client_for):
    # given a draft imported from a Word file with a paragraph the importer could not place
    from documents import services as documents

    plan, _result = documents.plan_import_docx(actor=org.drafter, data=SEED_PLAN.read_bytes())
    event = plan.events.get(kind=PlanEvent.Kind.IMPORTED)
    PlanEvent.objects.filter(pk=event.pk).update(
        data={**event.data, "unplaced": ["Đoạn văn lạc chỗ cần xếp lại."]}
    )
    # when the drafter opens the editor
    response = client_for(org.drafter).get(f"/ke-hoach/{plan.pk}/sua/")
    # then the paragraph is shown for them to place
    page = response.content.decode()
    assert response.status_code == 200
    assert "Đoạn văn lạc chỗ cần xếp lại." in page
    assert "Cần xem lại sau khi nhập từ tệp Word" in page


def test_a_task_closed_meanwhile_sends_the_user_to_the_plan_with_the_reason(org, plan, client_for):
    # given the head's approval task, completed in another tab
    plan_submit(plan=plan, actor=org.drafter)
    task = next(t for t in task_list_open(user=org.head) if t.flow_task.name == "agency_review")
    client = client_for(org.head)
    assert client.post(f"/nhiem-vu/{task.pk}/", {"action": "approve"}).status_code == 302
    # when the stale tab posts again
    response = client.post(f"/nhiem-vu/{task.pk}/", {"action": "approve"}, follow=True)
    # then the user lands on the plan page and reads why
    assert response.redirect_chain[-1][0] == f"/ke-hoach/{plan.pk}/"
    assert "Bạn đã hoàn thành nhiệm vụ này (thao tác “Duyệt”)" in response.content.decode()
