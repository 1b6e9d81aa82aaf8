"""The HTTP transport and the outbox against a live server, one database playing both sides
(the peer "tinh-b" is this server itself): a package is kept while its peer is down, retried
until acknowledged, registered once however often it is sent, and its statuses come back the
same way. Two separate installations: test_two_instances.py (make test-serve)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.utils import timezone

from agencies.models import Unit
from documents.models import IncomingDocument, Receipt
from exchange.models import OutgoingPackage, StatusMessage
from exchange.services import outbox_send_due, system_id

pytestmark = pytest.mark.django_db(transaction=True)


def _later(minutes: int = 5) -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=minutes)


def test_a_package_is_retried_until_acknowledged_and_registered_once(world, live_server):
    # given the plan's package to the ministry, whose peer does not answer yet
    package = world.package
    assert outbox_send_due() == 0
    package.refresh_from_db()
    assert package.state == "pending" and package.attempts == 1 and package.last_error

    # when the peer comes up — this server, which serves the ministry — and the retry is due
    Unit.objects.filter(code="bo-tttt").update(is_internal=True)
    world.peer_b.code, world.peer_b.base_url = system_id(), live_server.url
    world.peer_b.save()
    assert outbox_send_due(now=_later()) == 1

    # then it is acknowledged and registered with its arrival number
    package.refresh_from_db()
    assert package.state == "delivered" and package.attempts == 2 and not package.last_error
    (incoming,) = IncomingDocument.objects.all()
    assert incoming.arrival_number == 1

    # when it is sent again (as if the acknowledgement had been lost)
    OutgoingPackage.objects.filter(pk=package.pk).update(state="pending", next_try=timezone.now())
    assert outbox_send_due(now=_later()) == 3  # the package again, and statuses 01 and 03

    # then the peer's "duplicate" counts as acknowledged, and nothing is registered twice
    package.refresh_from_db()
    assert package.state == "delivered"
    assert IncomingDocument.objects.count() == 1

    # and the statuses went back over HTTP into the receipt
    assert list(StatusMessage.objects.values_list("code", flat=True)) == ["01", "03"]
    receipt = Receipt.objects.get(plan=world.plan, unit=world.units["bo-tttt"])
    assert receipt.acknowledged_at is not None


def test_a_package_the_peer_refuses_is_not_retried_and_shows_as_rejected(world, live_server):
    # given the peer answers, but the ministry is not one of its users
    world.peer_b.code, world.peer_b.base_url = system_id(), live_server.url
    world.peer_b.save()

    # when the outbox is swept, and again later
    assert outbox_send_due() == 0
    assert outbox_send_due(now=_later(120)) == 0

    # then the package is refused once for good, with the peer's reason as status 02
    package = OutgoingPackage.objects.get(pk=world.package.pk)
    assert package.state == "refused" and package.attempts == 1
    (status,) = StatusMessage.objects.filter(package=package)
    assert status.code == "02" and "Không có đơn vị nhận" in status.description
    assert not IncomingDocument.objects.exists()


def test_the_same_package_delivered_twice_at_once_is_registered_once(world):
    # given this database plays the ministry's side, and two deliveries of one package at once
    from django.db import connections

    from agencies.errors import StateError
    from exchange.services import inbox_receive
    from tests.exchange.conftest import play_recipient

    peer_a = play_recipient(world)
    body = bytes(world.package.xml)
    barrier = threading.Barrier(2)
    results: list[object] = []

    def deliver() -> None:
        try:
            barrier.wait()
            results.append(inbox_receive(peer=peer_a, body=body)["result"])
        except StateError as error:
            results.append(error.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    # then one is accepted, the other refused as a duplicate, and one arrival number is taken
    assert sorted(results) == ["accepted", "duplicate"]
    assert IncomingDocument.objects.count() == 1
    assert OutgoingPackage.objects.filter(kind="status").count() == 2
