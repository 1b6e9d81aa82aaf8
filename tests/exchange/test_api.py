"""The exchange's HTTP edges: the inbox authenticates its peer (HMAC of the shared secret) before
reading anything, answers 200 / 400 / 409 as the schema says; a recipient's user reports a
status; the sender's drafter sees each recipient's package and statuses (API and plan page)."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from rest_framework.test import APIClient

from agencies.models import User
from documents.models import IncomingDocument
from exchange.models import IncomingPackage, OutgoingPackage
from exchange.services import inbox_receive
from exchange.transports import sign_request
from tests.exchange.conftest import SECRET_A, play_recipient
from tests.exchange.test_services import _status

pytestmark = pytest.mark.django_db

INBOX = "/api/v1/exchange/inbox/"


def _post(body: bytes, headers: dict[str, str], content_type: str = "application/xml"):
    return Client().post(INBOX, data=body, content_type=content_type, headers=headers)


def test_the_inbox_refuses_an_unauthenticated_peer_and_reads_nothing(world):
    # given this database plays the ministry's side and the package from A
    play_recipient(world)
    body = bytes(world.package.xml)
    good = sign_request(secret=SECRET_A, own_code="tinh-a", body=body)
    stale = dict(good, **{"X-Exchange-Timestamp": str(int(time.time()) - 3600)})

    # when it arrives without headers, signed with a wrong secret, by an unknown peer, stale,
    # or for another body
    answers = [
        _post(body, {}),
        _post(body, sign_request(secret="x" * 40, own_code="tinh-a", body=body)),
        _post(body, sign_request(secret=SECRET_A, own_code="tinh-z", body=body)),
        _post(body, stale),
        _post(body + b" ", good),
    ]

    # then each is a 403 in the error format, and nothing is logged or registered
    assert [a.status_code for a in answers] == [403] * 5
    assert all(a.json()["error"] == "exchange_unauthenticated" for a in answers)
    assert not IncomingPackage.objects.exists() and not IncomingDocument.objects.exists()


def test_the_inbox_registers_once_and_answers_duplicate_with_409(world):
    # given this database plays the ministry's side
    play_recipient(world)
    body = bytes(world.package.xml)

    # when the package is delivered twice
    first = _post(body, sign_request(secret=SECRET_A, own_code="tinh-a", body=body))
    second = _post(body, sign_request(secret=SECRET_A, own_code="tinh-a", body=body))

    # then the first is accepted with its arrival number, the second refused as a duplicate
    assert first.status_code == 200, first.content
    assert first.json()["result"] == "accepted" and first.json()["arrival_number"] == 1
    assert second.status_code == 409 and second.json()["error"] == "duplicate"
    assert IncomingDocument.objects.count() == 1


def test_the_inbox_answers_a_broken_package_with_400_and_wrong_media_with_415(world):
    play_recipient(world)
    broken = b"<edXML/>"
    answer = _post(broken, sign_request(secret=SECRET_A, own_code="tinh-a", body=broken))
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_package"
    as_json = _post(b"{}", {}, content_type="application/json")
    assert as_json.status_code == 415 and as_json.json()["error"]
    assert not IncomingDocument.objects.exists()


def test_a_recipient_reports_a_status_through_the_api(world):
    # given the ministry registered the package, and one of its users
    peer_a = play_recipient(world)
    inbox_receive(peer=peer_a, body=bytes(world.package.xml))
    incoming = IncomingDocument.objects.get()
    staff = User.objects.create(username="bo1", unit=world.units["bo-tttt"], full_name="Cán bộ")
    client = APIClient()
    client.force_authenticate(staff)
    url = f"/api/v1/incoming/{incoming.pk}/exchange-status/"

    # when they report "in progress", then a code that is not theirs
    sent = client.post(url, {"code": "05", "description": "Đang nghiên cứu"}, format="json")
    wrong = client.post(url, {"code": "03"}, format="json")

    # then the first waits for the sender, the second is refused
    assert sent.status_code == 201 and sent.json()["status_code"] == "05"
    assert wrong.status_code == 400
    assert OutgoingPackage.objects.filter(kind="status", status_code="05").count() == 1


def test_the_sender_sees_each_external_recipient_and_its_statuses(world):
    # given the ministry's "received" and "accepted" came back
    inbox_receive(peer=world.peer_b, body=_status(world, "01"))
    inbox_receive(peer=world.peer_b, body=_status(world, "03"))
    drafter = User.objects.get(username="chuyenvien")

    # when the drafter reads the plan's packages, and its page
    client = APIClient()
    client.force_authenticate(drafter)
    packages = client.get(f"/api/v1/documents/{world.plan.pk}/exchange/").json()
    browser = Client()
    browser.force_login(drafter)
    page = browser.get(f"/ke-hoach/{world.plan.pk}/").content.decode()

    # then both show the ministry's package (delivered: the ministry answered) and its statuses
    (package,) = packages
    assert package["exchange_code"] == "000.00.00.G12" and package["state"] == "delivered"
    assert [s["code"] for s in package["statuses"]] == ["01", "03"]
    assert "01 Đã đến" in page and "03 Đã tiếp nhận" in page and "qua trục liên thông" in page

    # and a user who may not see the plan gets a 404
    outsider = APIClient()
    outsider.force_authenticate(User.objects.get(username="congan"))
    assert outsider.get(f"/api/v1/documents/{world.plan.pk}/exchange/").status_code == 404
    stranger = Client()
    stranger.force_login(User.objects.get(username="congan"))
    assert stranger.get(f"/ke-hoach/{world.plan.pk}/").status_code == 404


def test_the_recipient_reports_a_status_from_the_incoming_page(world):
    # given the ministry registered the package, and one of its users on the document's page
    peer_a = play_recipient(world)
    inbox_receive(peer=peer_a, body=bytes(world.package.xml))
    incoming = IncomingDocument.objects.get()
    staff = User.objects.create(username="bo1", unit=world.units["bo-tttt"], full_name="Cán bộ")
    browser = Client()
    browser.force_login(staff)
    page = browser.get(f"/van-ban-den/{incoming.pk}/").content.decode()
    assert "Nhận qua trục liên thông từ 000.00.00.H19" in page
    assert "01 Đã đến" in page and "03 Đã tiếp nhận" in page

    # when they report it assigned, then send a code that is not theirs
    url = f"/van-ban-den/{incoming.pk}/lien-thong/"
    done = browser.post(url, {"code": "04", "description": "Giao Cục TTĐN"}, follow=True)
    refused = browser.post(url, {"code": "02"}, follow=True)

    # then "04 Phân công" waits for the sender and the page says so; the other is refused
    assert "Đã gửi trạng thái xử lý" in done.content.decode()
    assert "04 Phân công" in done.content.decode()
    assert "Mã trạng thái phải là một trong" in refused.content.decode()
    codes = OutgoingPackage.objects.filter(kind="status").values_list("status_code", flat=True)
    assert sorted(codes) == ["01", "03", "04"]
