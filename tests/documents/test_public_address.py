"""An issued PDF prints PUBLIC_BASE_URL for ever: issuance is refused, with no number taken, while
that address does not reach this server (issue 7 §4)."""

from __future__ import annotations

import socket

import pytest

from agencies.errors import StateError
from documents import services as documents
from documents import verification
from documents.models import OutgoingRegister, Plan
from tests.e2e.server import serve
from tests.helpers import sign_as, walk_to_signature

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def signed(directory, make_content, signer) -> Plan:
    plan = walk_to_signature(content=make_content(signer=signer))
    return sign_as(signer, plan)


@pytest.fixture
def check(settings, monkeypatch):
    settings.PUBLIC_BASE_URL_CHECK = True
    monkeypatch.setattr(verification, "_public_address_ok_until", {})
    return settings


def _unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _refused(plan: Plan, clerk) -> StateError:
    with pytest.raises(StateError) as refusal:
        documents.plan_issue(plan=plan, actor=clerk)
    assert refusal.value.code == "public_address_unreachable"
    assert Plan.objects.get(pk=plan.pk).status == Plan.Status.SIGNED
    assert Plan.objects.get(pk=plan.pk).number is None
    assert not OutgoingRegister.objects.filter(last_number__gt=0).exists()
    return refusal.value


def test_an_address_nobody_answers_on_is_refused(signed, clerk, check):
    check.PUBLIC_BASE_URL = f"http://127.0.0.1:{_unused_port()}"
    assert check.PUBLIC_BASE_URL in _refused(signed, clerk).message


def test_an_address_of_another_installation_is_refused(signed, clerk, check):
    with serve(env={"TEST_SECRET_KEY": "another-installation-" + "k" * 40}) as other:
        check.PUBLIC_BASE_URL = other
        _refused(signed, clerk)


def test_the_address_this_server_answers_on_issues(signed, clerk, check):
    with serve() as url:
        check.PUBLIC_BASE_URL = url
        issued = documents.plan_issue(plan=signed, actor=clerk)
    assert issued.number == 1
    # the address printed (link and QR code) is the one checked
    assert verification.plan_verify_url_of(issued).startswith(f"{url}/kiem-tra/")
