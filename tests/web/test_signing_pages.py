"""The signer's pages: the task form's "sign" input (forms.task_input), the page "Thiết bị ký số",
and signing through the task page with what signing.js puts into the form's hidden fields."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from documents.models import ConsultationRequest, Plan
from signing import services as signing
from tests.signing.browser_key import BrowserKey
from tests.web.test_task_walk import only_task, status_of, to_consolidation
from web.forms import task_input
from workflows.services import plan_sign_prepare, task_complete


def post(**fields: str) -> QueryDict:
    data = QueryDict(mutable=True)
    for key, value in fields.items():
        data[key] = value
    return data


# ---------------------------------------------------------------------------------------------
# forms.task_input for the "sign" node


def test_sign_input_carries_the_session_and_the_signature() -> None:
    action, comment, data = task_input(
        "sign",
        post(
            action="sign",
            comment="Đồng ý ban hành.",
            session_id=" 0f8b2c4e-5d6a-4b7c-8e9f-0a1b2c3d4e5f ",
            signature="\nq83v\n",
        ),
    )
    assert (action, comment) == ("sign", "Đồng ý ban hành.")
    assert data == {"session_id": "0f8b2c4e-5d6a-4b7c-8e9f-0a1b2c3d4e5f", "signature": "q83v"}


def test_sign_input_without_the_hidden_fields_gives_empty_values() -> None:
    # the service answers "Thiếu phiên ký (session_id) hoặc chữ ký số (signature)…"
    assert task_input("sign", post(action="sign")) == (
        "sign",
        "",
        {"session_id": "", "signature": ""},
    )


def test_return_from_the_sign_task_needs_no_signature() -> None:
    action, comment, data = task_input(
        "sign", post(action="return", comment="Rà soát lại.", session_id="", signature="")
    )
    assert (action, comment) == ("return", "Rà soát lại.")
    assert data == {"session_id": "", "signature": ""}  # ignored by the "return" action


def test_other_nodes_take_no_signature_fields() -> None:
    assert task_input("vetting", post(action="approve", session_id="x", signature="y")) == (
        "approve",
        "",
        {},
    )


# ---------------------------------------------------------------------------------------------
# The page "Thiết bị ký số"


@pytest.fixture
def site_urls(settings: Any) -> None:
    """The whole site (pages and API), so the page carries the API addresses for signing.js."""
    settings.ROOT_URLCONF = "config.urls"


@pytest.mark.django_db
def test_devices_page_needs_a_login(org: Any, client: Any) -> None:
    response = client.get(reverse("signing-devices"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.django_db
def test_devices_page_is_for_signers_only(org: Any, client_for: Any) -> None:
    response = client_for(org.drafter).get(reverse("signing-devices"))
    assert response.status_code == 403
    assert (
        "Chỉ người có thẩm quyền ký mới được đăng ký thiết bị ký số." in response.content.decode()
    )
    # and the navigation offers it to signers only
    home = client_for(org.drafter).get(reverse("home")).content.decode()
    assert reverse("signing-devices") not in home
    home = client_for(org.signer).get(reverse("home")).content.decode()
    assert reverse("signing-devices") in home


@pytest.mark.django_db
def test_devices_page_lists_my_devices_and_carries_the_api(
    org: Any, client_for: Any, site_urls: None
) -> None:
    # given two enrolled devices of the signer, one revoked, and one of another person
    office = BrowserKey(org.signer, label="Máy ở văn phòng").enrol()
    home = BrowserKey(org.signer, label="Máy ở nhà").enrol()
    signing.device_revoke(device_id=home.pk, actor=org.signer)

    # when the signer opens the page
    response = client_for(org.signer).get(reverse("signing-devices"))

    # then both devices are listed with their serial, validity and state; only one can be revoked
    page = response.content.decode()
    assert response.status_code == 200
    assert f'data-device-id="{office.pk}" data-revoked="false"' in page
    assert f'data-device-id="{home.pk}" data-revoked="true"' in page
    assert office.serial in page and home.serial in page
    # (in the province's time: after 17:00 UTC the date is the next day's)
    assert timezone.localtime(office.not_after).strftime("%d/%m/%Y") in page
    assert page.count("data-revoke ") == 1
    assert "Đã thu hồi lúc" in page and "Đang hiệu lực" in page
    # and the script knows whom and where to ask
    assert f'data-user-id="{org.signer.pk}"' in page
    assert 'data-challenge-url="/api/v1/signing/challenge/"' in page
    assert 'data-devices-url="/api/v1/signing/devices/"' in page
    assert 'data-revoke-url="/api/v1/signing/devices/0/revoke/"' in page
    assert 'data-image-url="/api/v1/signing/signature-image/"' in page
    assert "js/signing.js" in page
    assert "Bạn chưa tải lên ảnh chữ ký." in page


# ---------------------------------------------------------------------------------------------
# Signing through the task page


def to_signature(org: Any, plan: Plan) -> Plan:
    """Through the services: consulted, consolidated, reviewed, vetted; awaiting signature."""
    to_consolidation(org, plan)
    comment = ConsultationRequest.objects.get(plan=plan, unit=org.sovh)
    resolutions = {str(comment.pk): {"resolution": "accepted", "note": "Đã bổ sung."}}
    for user, step, action, data in (
        (org.drafter, "consolidate", "send", {"resolutions": resolutions}),
        (org.finance, "budget_review", "approve", None),
        (org.vetter, "vetting", "approve", None),
    ):
        task_complete(task_id=only_task(user, plan, step).pk, actor=user, action=action, data=data)
    assert status_of(plan) == Plan.Status.AWAITING_SIGNATURE
    return Plan.objects.get(pk=plan.pk)


@pytest.mark.slow
@pytest.mark.django_db
def test_the_task_page_signs_with_the_hidden_fields(
    org: Any, plan: Plan, client_for: Any, site_urls: None
) -> None:
    # given a plan awaiting the signer's signature and the signer's enrolled browser key
    plan = to_signature(org, plan)
    key = BrowserKey(org.signer, label="Máy ở văn phòng")
    device = key.enrol()
    task = only_task(org.signer, plan, "sign")
    signer = client_for(org.signer)

    # then the sign form carries the hidden fields and the addresses signing.js needs
    page = signer.get(reverse("task-detail", args=[task.pk])).content.decode()
    assert 'name="session_id" value="" data-sign-session' in page
    assert 'name="signature" value="" data-sign-signature' in page
    assert f'data-prepare-url="/api/v1/documents/{plan.pk}/sign/prepare/"' in page
    assert f'data-user-id="{org.signer.pk}"' in page
    assert f'data-devices-url="{reverse("signing-devices")}"' in page

    # when the form is posted without a signature (no script), it is refused, nothing changes
    response = signer.post(reverse("task-detail", args=[task.pk]), {"action": "sign"})
    assert response.status_code == 400
    assert "Thiếu phiên ký (session_id) hoặc chữ ký số (signature)" in response.content.decode()
    assert status_of(plan) == Plan.Status.AWAITING_SIGNATURE

    # when the script has prepared and signed, and posts the form with the hidden fields
    pending = plan_sign_prepare(plan=plan, actor=org.signer, device_id=device.pk)
    response = signer.post(
        reverse("task-detail", args=[task.pk]),
        {
            "action": "sign",
            "comment": "",
            "session_id": str(pending.session.id),
            "signature": base64.b64encode(key.sign(pending.to_be_signed)).decode(),
        },
    )

    # then the plan is signed, with the usual redirect and message
    assert response.status_code == 302
    assert response["Location"] == reverse("plan-detail", args=[plan.pk])
    assert status_of(plan) == Plan.Status.SIGNED
    page = signer.get(response["Location"]).content.decode()
    assert "Đã thực hiện “Ký số”: Ký số kế hoạch." in page


@pytest.mark.slow
@pytest.mark.django_db
def test_returning_from_the_sign_task_needs_no_key(org: Any, plan: Plan, client_for: Any) -> None:
    plan = to_signature(org, plan)
    task = only_task(org.signer, plan, "sign")
    response = client_for(org.signer).post(
        reverse("task-detail", args=[task.pk]),
        {"action": "return", "comment": "Rà soát lại kinh phí.", "session_id": "", "signature": ""},
    )
    assert response.status_code == 302
    assert status_of(plan) == Plan.Status.RETURNED
