"""The same walk through the HTTP API, as the different users, each with their own token."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from agencies.models import User
from tests.helpers import in_days
from tests.signing.browser_key import BrowserKey, api_enrol, api_sign_data

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def client_for(user: User) -> APIClient:
    client = APIClient()
    response = client.post(
        "/api/v1/auth/token/", {"username": user.username, "password": "demo"}, format="json"
    )
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def do_task(
    client: APIClient, plan_id: int, step: str, action: str, query: str = "", **body: Any
) -> dict[str, Any]:
    tasks = [
        t
        for t in client.get("/api/v1/tasks/").json()["results"]
        if t["document"] == plan_id and t["step"] == step
    ]
    assert len(tasks) == 1, tasks
    assert action in [a["code"] for a in tasks[0]["actions"]]
    response = client.post(
        f"/api/v1/tasks/{tasks[0]['id']}/complete/{query}",
        {"action": action, **body},
        format="json",
    )
    assert response.status_code == 200, response.json()
    return response.json()


def test_plan_walks_from_draft_to_receipt_through_the_api(
    drafter,
    agency_head,
    foreign_affairs,
    culture,
    finance_reviewer,
    office_vetter,
    signer,
    clerk,
    newspaper,
    directory,
    make_content,
):
    # given every user signed in with a token
    as_drafter, as_head = client_for(drafter), client_for(agency_head)
    as_newspaper = client_for(newspaper)

    # when the drafter creates and submits a plan
    created = as_drafter.post(
        "/api/v1/documents/", {"content": make_content(signer=signer)}, format="json"
    )
    assert created.status_code == 201, created.json()
    plan_id = created.json()["id"]
    assert as_newspaper.get(f"/api/v1/documents/{plan_id}/").status_code == 404
    assert as_drafter.post(f"/api/v1/documents/{plan_id}/submit/").status_code == 200

    # and every step is done by its own user through /api/v1/tasks/
    approved = do_task(as_head, plan_id, "agency_review", "approve")
    do_task(
        as_drafter,
        plan_id,
        "choose_agencies",
        "send",
        data={
            "unit_ids": [directory["so-nv"].pk, directory["so-vhttdl"].pk],
            "deadline": in_days(7),
        },
    )
    do_task(
        client_for(foreign_affairs), plan_id, "consult", "disagree", comment="Chưa rõ kinh phí."
    )
    do_task(client_for(culture), plan_id, "consult", "agree")
    detail = as_drafter.get(f"/api/v1/documents/{plan_id}/").json()
    comment = next(c for c in detail["consultations"] if c["verdict"] == "disagree")
    do_task(
        as_drafter,
        plan_id,
        "consolidate",
        "send",
        data={
            "resolutions": {
                str(comment["id"]): {
                    "resolution": "explained",
                    "note": "Kinh phí theo dự toán hằng năm.",
                }
            }
        },
    )
    do_task(client_for(finance_reviewer), plan_id, "budget_review", "approve")
    do_task(client_for(office_vetter), plan_id, "vetting", "approve")
    as_signer = client_for(signer)
    assert as_signer.get(f"/api/v1/documents/{plan_id}/pdf/").status_code == 200
    key = BrowserKey(signer)
    device = api_enrol(as_signer, key)
    do_task(
        as_signer,
        plan_id,
        "sign",
        "sign",
        data=api_sign_data(as_signer, plan_id, key, device["id"]),
    )
    issued = do_task(client_for(clerk), plan_id, "issue", "issue", query="?expand=plan")
    acknowledged = as_newspaper.post(f"/api/v1/documents/{plan_id}/acknowledge/")

    # then each completion said what changed and where to go (the whole plan on request)
    assert approved["plan"]["status"] == "approved" and approved["step"] == "agency_review"
    assert approved["next_tasks"] == [] and approved["next"] == f"/api/v1/documents/{plan_id}/"
    assert "plan_detail" not in approved
    assert issued["plan"]["status"] == "issued" and issued["plan"]["number"] == 1
    assert issued["plan_detail"]["number_text"].startswith("Số: 01/KH-UBND")
    # and the recipient sees the issued, numbered plan and its signed PDF
    assert acknowledged.status_code == 200
    pdf = as_newspaper.get(f"/api/v1/documents/{plan_id}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    detail = as_drafter.get(f"/api/v1/documents/{plan_id}/").json()
    assert [r["acknowledged_by"] is not None for r in detail["receipts"]].count(True) == 1
    assert [e["kind"] for e in detail["history"]][-1] == "receipt_acknowledged"
    trust = APIClient().get("/api/v1/trust/")
    assert trust.status_code == 200 and b"BEGIN CERTIFICATE" in trust.content
