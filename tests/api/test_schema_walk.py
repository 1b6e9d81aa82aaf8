"""A client that knows only the OpenAPI schema walks a plan from draft to receipt (issue 7 §5):
every request it sends and every answer it gets is checked against the schema."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.api.schema_client import SchemaClient
from tests.conftest import BASE_CONTENT
from tests.helpers import in_days
from tests.signing.browser_key import BrowserKey

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def _as(schema: dict[str, Any], username: str) -> SchemaClient:
    anonymous = SchemaClient(schema, token="")
    answer = anonymous.call(
        "v1_auth_token_create", body={"username": username, "password": "demo"}, expect=200
    )
    return SchemaClient(schema, token=answer["token"])


def _results(answer: Any) -> list[dict[str, Any]]:
    return answer["results"] if isinstance(answer, dict) else answer


def _do(client: SchemaClient, plan_id: int, step: str, action: str, **body: Any) -> Any:
    tasks = [
        t
        for t in _results(client.call("v1_tasks_list", expect=200))
        if t["document"] == plan_id and t["step"] == step
    ]
    assert len(tasks) == 1, tasks
    task = client.call("v1_tasks_retrieve", path={"task_id": tasks[0]["id"]}, expect=200)
    assert action in [a["code"] for a in task["actions"]]
    return client.call(
        "v1_tasks_complete_create",
        path={"task_id": task["id"]},
        body={"action": action, **body},
        expect=200,
    )


def test_a_client_from_the_schema_walks_a_plan_to_receipt(schema, directory):
    drafter, head = _as(schema, "chuyenvien"), _as(schema, "giamdoc")
    consulted, finance = _as(schema, "ngoaivu"), _as(schema, "taichinh")
    vetter, signer = _as(schema, "vanphong"), _as(schema, "phochutich")
    clerk, recipient = _as(schema, "vanthu"), _as(schema, "baodongnai")

    # the drafter finds who may sign and the units, through the API
    signers = drafter.call("v1_people_list", query={"can_sign": "true"}, expect=200)
    deputy = next(p for p in signers if p["position"].lower().startswith("phó"))
    units = {u["name"]: u["id"] for u in drafter.call("v1_units_list", expect=200)}
    newspaper, foreign = units["Báo Đồng Nai"], units["Sở Ngoại vụ"]

    content = {
        **BASE_CONTENT,
        "signature": {"signer_id": deputy["id"]},
        "recipients": {
            "units": [{"name": "Báo Đồng Nai", "unit_id": newspaper}],
            "lines": ["Thường trực Tỉnh ủy"],
            "archive": "Lưu: VT.",
        },
    }
    plan = drafter.call("v1_documents_create", body={"content": content}, expect=201)
    drafter.call("v1_documents_submit_create", path={"plan_id": plan["id"]}, expect=200)
    _do(head, plan["id"], "agency_review", "approve")
    _do(
        drafter,
        plan["id"],
        "choose_agencies",
        "send",
        data={"unit_ids": [foreign], "deadline": in_days(5)},
    )
    _do(consulted, plan["id"], "consult", "agree_with_comments", comment="Bổ sung số liệu.")
    detail = drafter.call("v1_documents_retrieve", path={"plan_id": plan["id"]}, expect=200)
    request_id = detail["consultations"][0]["id"]
    _do(
        drafter,
        plan["id"],
        "consolidate",
        "send",
        data={"resolutions": {str(request_id): {"resolution": "accepted", "note": ""}}},
    )
    _do(finance, plan["id"], "budget_review", "approve")
    _do(vetter, plan["id"], "vetting", "approve")

    # the signer enrols a key and signs
    from agencies.models import User

    key = BrowserKey(User.objects.get(username="phochutich"))
    challenge = signer.call("v1_signing_challenge_create", expect=201)
    device = signer.call(
        "v1_signing_devices_create",
        body={
            "label": "Máy tính bảng",
            "spki": base64.b64encode(key.spki).decode(),
            "nonce": challenge["nonce"],
            "proof": base64.b64encode(key.sign(base64.b64decode(challenge["nonce"]))).decode(),
        },
        expect=201,
    )
    prepared = signer.call(
        "v1_documents_sign_prepare_create",
        path={"plan_id": plan["id"]},
        body={"device_id": device["id"]},
        expect=200,
    )
    signature = key.sign(base64.b64decode(prepared["to_be_signed"]))
    _do(
        signer,
        plan["id"],
        "sign",
        "sign",
        data={
            "session_id": prepared["session_id"],
            "signature": base64.b64encode(signature).decode(),
        },
    )
    _do(clerk, plan["id"], "issue", "issue")
    recipient.call("v1_documents_acknowledge_create", path={"plan_id": plan["id"]}, expect=200)

    final = drafter.call("v1_documents_retrieve", path={"plan_id": plan["id"]}, expect=200)
    assert final["status"] == "issued"
    assert final["number_text"].startswith("Số: 01/KH-")
    assert [r["acknowledged_at"] is not None for r in final["receipts"]] == [True]
    pdf = drafter.call("v1_documents_pdf_retrieve", path={"plan_id": plan["id"]}, expect=200)
    assert pdf.startswith(b"%PDF")


def test_the_schema_client_refuses_what_the_schema_does_not_describe(schema, directory):
    drafter = _as(schema, "chuyenvien")
    # a body the schema does not allow is not even sent
    with pytest.raises(AssertionError, match="year"):
        drafter.call("v1_documents_create", body={"content": {"title": "x", "year": "năm nay"}})
    # an answer is checked against the documented schema of its status
    with pytest.raises(AssertionError, match="required property"):
        drafter._validate({"id": 1}, "components", "schemas", "PlanDetail")
