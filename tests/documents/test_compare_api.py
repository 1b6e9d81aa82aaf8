"""The versions API: list, read one, compare two as JSON or .docx; access and bad parameters."""

from __future__ import annotations

import copy
import io
import types
from typing import Any

import pytest
from django.urls import include, path
from docx import Document
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from documents import services as documents
from documents.api_compare import (
    DocumentCompareDocxView,
    DocumentCompareView,
    DocumentVersionDetailView,
    DocumentVersionListView,
)
from documents.models import Plan
from tests.helpers import complete
from workflows.services import plan_submit

pytestmark = pytest.mark.django_db

# The lines config/api_urls.py carries for these views, mounted here on their own.
compare_api_urls = [
    path(
        "documents/<id:plan_id>/versions/",
        DocumentVersionListView.as_view(),
        name="api-document-versions",
    ),
    path(
        "documents/<id:plan_id>/versions/<id:number>/",
        DocumentVersionDetailView.as_view(),
        name="api-document-version",
    ),
    path(
        "documents/<id:plan_id>/compare/",
        DocumentCompareView.as_view(),
        name="api-document-compare",
    ),
    path(
        "documents/<id:plan_id>/compare/docx/",
        DocumentCompareDocxView.as_view(),
        name="api-document-compare-docx",
    ),
]
urls = types.ModuleType("compare_api_urls")
urls.urlpatterns = [  # type: ignore[attr-defined]
    path("api/v1/", include(compare_api_urls)),
    path("", include("config.urls")),
]


@pytest.fixture(autouse=True)
def _compare_api_urls(settings: Any) -> None:
    settings.ROOT_URLCONF = urls


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def plan_v2(drafter, agency_head, signer, make_content) -> Plan:
    """Submitted (v1), returned, revised (a task's timeline, a recipient dropped), resubmitted (v2)."""
    plan = documents.plan_create(actor=drafter, content=make_content(signer=signer))
    plan = plan_submit(plan=plan, actor=drafter)
    plan = complete(agency_head, plan, "agency_review", "return", comment="Sửa thời gian.")
    content = copy.deepcopy(plan.content)
    content["sections"][1]["children"][0]["tasks"][0]["timeline"] = "4 số/năm"
    content["recipients"]["units"] = content["recipients"]["units"][:1]
    return complete(drafter, plan, "revise_agency", "resubmit", data={"content": content})


def base(plan: Plan) -> str:
    return f"/api/v1/documents/{plan.pk}"


def test_versions_are_listed_in_order(plan_v2, drafter):
    # given a plan with two versions
    # when the drafter lists them
    response = api(drafter).get(f"{base(plan_v2)}/versions/")
    # then both are there, oldest first, with who made them and why
    assert response.status_code == 200
    rows = response.json()
    assert [(r["number"], r["reason"]) for r in rows] == [(1, "submitted"), (2, "resubmitted")]
    assert rows[0]["created_by_name"] == drafter.display_name
    assert rows[0]["is_signed"] is False


def test_one_version_is_read_with_its_content(plan_v2, agency_head):
    # given a plan with two versions
    # when a reviewer reads version 1
    response = api(agency_head).get(f"{base(plan_v2)}/versions/1/")
    # then they get its content as it was submitted
    assert response.status_code == 200
    body = response.json()
    assert body["number"] == 1
    assert body["content"] == plan_v2.versions.get(number=1).content
    assert body["content"]["sections"][1]["children"][0]["tasks"][0]["timeline"] == "6 số/năm"


def test_compare_defaults_to_previous_and_latest(plan_v2, drafter, directory):
    # given a plan with two versions
    # when the comparison is asked without parameters
    response = api(drafter).get(f"{base(plan_v2)}/compare/")
    # then version 1 is compared with version 2
    assert response.status_code == 200
    body = response.json()
    assert (body["document"], body["from"], body["to"]) == (plan_v2.pk, 1, 2)
    [task] = body["tasks"]
    assert (task["kind"], task["path"]) == ("changed", "II.1.a")
    [timeline] = task["fields"]
    assert (timeline["field"], timeline["old"], timeline["new"]) == (
        "timeline",
        "6 số/năm",
        "4 số/năm",
    )
    assert ["delete", "6"] in timeline["segments"]
    assert body["recipients"]["units_removed"] == [directory["cong-an"].name]
    assert body["summary"]["tasks_changed"] == 1
    assert body["summary"]["recipients_removed"] == 1


def test_compare_explicit_versions(plan_v2, drafter, directory):
    # given a plan with two versions
    # when the comparison is asked from 2 to 1
    response = api(drafter).get(f"{base(plan_v2)}/compare/?from=2&to=1")
    # then the recipient dropped in version 2 comes back
    assert response.status_code == 200
    assert response.json()["recipients"]["units_added"] == [directory["cong-an"].name]


def test_compare_as_docx(plan_v2, drafter):
    # given a plan with two versions
    # when the comparison is downloaded
    response = api(drafter).get(f"{base(plan_v2)}/compare/docx/?from=1&to=2")
    # then it is a Word file naming the versions and the changes
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    document = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Từ phiên bản 1 đến phiên bản 2" in text
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert "Nhiệm vụ thay đổi" in cells
    assert "Thực hiện “Bản tin đối ngoại”" in cells


@pytest.mark.parametrize(
    "suffix",
    ["/versions/", "/versions/1/", "/compare/", "/compare/docx/"],
)
def test_a_user_who_may_not_see_the_plan_gets_404(plan_v2, police, suffix):
    # given a user of an unrelated unit
    # when they ask for the versions
    response = api(police).get(base(plan_v2) + suffix)
    # then the plan does not exist for them
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


@pytest.mark.parametrize(
    "query, status, error",
    [
        ("?from=abc", 400, "invalid"),
        ("?from=0&to=2", 400, "invalid"),
        ("?from=1&to=7", 404, "not_found"),
    ],
)
def test_bad_version_numbers_are_refused(plan_v2, drafter, query, status, error):
    # given a plan with two versions
    client = api(drafter)
    # when the comparison is asked with a bad number
    for suffix in ("/compare/", "/compare/docx/"):
        response = client.get(base(plan_v2) + suffix + query)
        # then it is refused with a JSON error
        assert response.status_code == status
        assert response.json()["error"] == error
    assert client.get(f"{base(plan_v2)}/versions/9/").status_code == 404


def test_a_plan_with_one_version_has_nothing_to_compare(drafter, signer, make_content):
    # given a plan submitted once
    plan = documents.plan_create(actor=drafter, content=make_content(signer=signer))
    plan = plan_submit(plan=plan, actor=drafter)
    # when the default comparison is asked
    response = api(drafter).get(f"{base(plan)}/compare/")
    # then the answer says two versions are needed
    assert response.status_code == 400
    assert "hai phiên bản" in response.json()["detail"]


def test_schema_documents_the_version_endpoints(db):
    # given the version routes
    # when the OpenAPI schema is generated
    schema = SchemaGenerator(urlconf=urls).get_schema(request=None, public=True)
    # then each endpoint and its parameters are described
    paths = schema["paths"]
    compare = paths["/api/v1/documents/{plan_id}/compare/"]["get"]
    assert {p["name"] for p in compare["parameters"]} >= {"from", "to"}
    assert "/api/v1/documents/{plan_id}/versions/{number}/" in paths
    assert "/api/v1/documents/{plan_id}/compare/docx/" in paths
    assert "VersionComparison" in schema["components"]["schemas"]
