"""The doubts of an import on the pages: the editor gets every issue with the part it concerns
(editor.js shows it next to that part), the top list links to it, and the document preview
marks what the file lacked instead of filling it in."""

from __future__ import annotations

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from documents.models import Plan
from tests.documents.test_intake_rules import build

pytestmark = pytest.mark.django_db

NO_FOOTER = build(
    ("c", "KẾ HOẠCH"),
    ("c", "Chuyển đổi số năm 2025"),
    "I. MỤC ĐÍCH",
    "Nâng cao hiệu quả.",
    "II. NHIỆM VỤ",
    "Đẩy mạnh ứng dụng công nghệ thông tin.",
)


def import_through_the_page(client, drafter) -> Plan:
    client.force_login(drafter)
    response = client.post(
        reverse("plan-create"),
        {"mode": "import", "import-file": SimpleUploadedFile("ke-hoach.docx", NO_FOOTER)},
    )
    assert response.status_code == 302
    return Plan.objects.get()


def test_the_editor_gets_each_issue_with_its_part_and_the_list_links_to_it(client, drafter) -> None:
    plan = import_through_the_page(client, drafter)
    html = client.get(reverse("plan-edit", args=[plan.pk])).content.decode()
    script = re.search(r'<script id="import-issues" type="application/json">(.*?)</script>', html)
    issues = json.loads(script.group(1))
    paths = {issue["code"]: issue.get("path") for issue in issues}
    assert paths["no_signer"] == "signature"
    assert paths["no_recipients"] == "recipients"
    assert paths["no_tasks"] == "sections.1"
    assert paths["no_place"] == "place"
    for number, issue in enumerate(issues, 1):
        if issue.get("path"):
            assert f'href="#import-issue-{number}"' in html
    assert "js/editor.js" in html


def test_the_preview_marks_the_missing_signature_and_recipients(client, drafter) -> None:
    plan = import_through_the_page(client, drafter)
    html = client.get(reverse("plan-detail", args=[plan.pk])).content.decode()
    assert "<mark>[Chưa có nơi nhận: bổ sung trước khi trình ký]</mark>" in html
    assert "<mark>[Chưa có thẩm quyền ký, chức vụ và người ký: chọn người ký]</mark>" in html
    assert "TM. ỦY BAN NHÂN DÂN" not in html
