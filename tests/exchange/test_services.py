"""The document exchange's services (edXML, QCVN 102:2016/BTTTT): what issuing to an external
unit builds and keeps, how the outbox retries, what a recipient registers, answers and refuses,
and how the statuses come back into the receipt table."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from django.utils import timezone

from agencies.errors import InvalidInput, PermissionDenied, StateError
from agencies.models import User
from documents.models import IncomingDocument, IncomingRegister, Receipt
from exchange import edxml
from exchange.models import IncomingPackage, OutgoingPackage, StatusMessage
from exchange.services import (
    inbox_receive,
    incoming_status_send,
    outbox_send_due,
)
from tests.exchange.conftest import play_recipient

pytestmark = pytest.mark.django_db


def test_issuing_to_an_external_unit_keeps_an_edxml_package_with_header_trace_and_signed_pdf(
    world,
):
    # given a plan issued to Báo Đồng Nai (a user of this system) and the ministry (external)
    plan, package = world.plan, world.package

    # then one package is kept, for the ministry only, routed to its peer, due now
    assert OutgoingPackage.objects.filter(plan=plan).count() == 1
    assert package.unit.code == "bo-tttt" and package.peer == world.peer_b
    assert package.state == OutgoingPackage.State.PENDING and package.attempts == 0
    assert package.receipt == Receipt.objects.get(plan=plan, unit=world.units["bo-tttt"])

    # and it reads back as the issued plan: identifiers, number and notation, place and date,
    # type, subject, signer, recipients, page count, trace, and the sealed PDF intact
    read = edxml.parse(bytes(package.xml))
    assert isinstance(read, edxml.DocumentPackage)
    assert read.document_id == package.message_id
    assert read.sender.code == "000.00.00.H19"
    assert [o.code for o in read.recipients] == ["000.00.00.G12"]
    assert (read.code_number, read.code_notation) == (f"{plan.number:02d}", "KH-UBND")
    assert read.promulgation_date == plan.issued_on and read.place == "Đồng Nai"
    assert read.type_name == "Kế hoạch" and read.subject == plan.title
    assert read.signer.full_name == "Nguyễn Sơn Hùng"
    assert read.signer.competence.startswith("KT.")
    assert "Bộ Thông tin và Truyền thông" in read.to_places
    assert read.page_amount >= 1
    assert [t.organ_code for t in read.traces] == ["000.00.00.H19"]
    (pdf,) = read.attachments
    assert pdf.content_type == "application/pdf" and pdf.data == bytes(plan.issued_pdf)


def test_an_unreachable_peer_keeps_the_package_and_retries_with_backoff(world):
    # given the peer does not answer
    package = world.package

    # when the outbox is swept twice, the second time when the first retry is due
    assert outbox_send_due() == 0
    package.refresh_from_db()
    first_retry = package.next_try

    # then the package is kept, counted, and due again later, with the reason
    assert package.state == OutgoingPackage.State.PENDING and package.attempts == 1
    assert package.last_error and first_retry > timezone.now()
    assert outbox_send_due() == 0  # not due yet: no new attempt
    package.refresh_from_db()
    assert package.attempts == 1
    assert outbox_send_due(now=first_retry + dt.timedelta(seconds=1)) == 0
    package.refresh_from_db()
    assert package.attempts == 2
    assert package.next_try - first_retry >= dt.timedelta(seconds=15)


def test_the_recipient_registers_the_package_once_and_answers_received_and_accepted(world):
    # given this database plays the ministry's side
    peer_a = play_recipient(world)
    body = bytes(world.package.xml)

    # when the package arrives
    answer = inbox_receive(peer=peer_a, body=body)

    # then it is in the ministry's incoming register with the next arrival number
    incoming = IncomingDocument.objects.get(registering_unit=world.units["bo-tttt"])
    assert answer["result"] == "accepted" and answer["arrival_number"] == incoming.arrival_number
    assert incoming.arrival_number == 1
    assert incoming.number == f"{world.plan.number:02d}/KH-UBND" and incoming.doc_type == "KH"
    assert incoming.subject == world.plan.title and incoming.signer_name == "Nguyễn Sơn Hùng"
    assert bytes(incoming.original) == bytes(world.plan.issued_pdf)
    assert incoming.signatures["signatures"]
    # and statuses 01 (đã đến) and 03 (đã tiếp nhận) wait for the sender
    answers = OutgoingPackage.objects.filter(kind="status").order_by("pk")
    assert [a.status_code for a in answers] == ["01", "03"]
    assert all(a.peer == peer_a for a in answers)
    status = edxml.parse(bytes(answers[1].xml))
    assert status.response_for_document_id == world.package.message_id
    assert status.sender.code == "000.00.00.G12" and "số đến 1/" in status.description

    # when the same package arrives again (the sender did not get the answer and retries)
    with pytest.raises(StateError) as refused:
        inbox_receive(peer=peer_a, body=body)

    # then it is refused as a duplicate and nothing is registered twice
    assert refused.value.code == "duplicate"
    assert IncomingDocument.objects.count() == 1
    assert IncomingRegister.objects.get(unit=world.units["bo-tttt"]).last_number == 1
    assert OutgoingPackage.objects.filter(kind="status").count() == 2
    assert IncomingPackage.objects.filter(state="duplicate").count() == 1


def _tampered_attachment(xml: bytes) -> bytes:
    start = xml.index(b"ContentTransferEncoded>") + len(b"ContentTransferEncoded>")
    data = bytearray(base64.b64decode(xml[start : xml.index(b"<", start)]))
    data[len(data) // 2] ^= 0x01
    return xml[:start] + base64.b64encode(bytes(data)) + xml[xml.index(b"<", start) :]


def _with_attachment(world, pdf: bytes) -> bytes:
    package = edxml.parse(bytes(world.package.xml))
    attachment = edxml.Attachment("1", "x.pdf", "application/pdf", pdf)
    return edxml.build_document(
        edxml.DocumentPackage(**{**package.__dict__, "attachments": (attachment,)})
    )


@pytest.mark.parametrize(
    "breakage",
    [
        "not_xml",
        "doctype",
        "not_edxml",
        "no_document_id",
        "attachment_changed",
        "unknown_recipient",
        "unsigned_pdf",
        "signature_broken",
    ],
)
def test_a_broken_package_is_refused_and_nothing_is_registered(world, breakage):
    # given this database plays the ministry's side, and a package broken in one way
    peer_a = play_recipient(world)
    xml = bytes(world.package.xml)
    pdf = bytes(world.plan.issued_pdf)
    body = {
        "not_xml": lambda: b"<edXML:edXML",
        "doctype": lambda: (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>'
            + xml[xml.index(b"<edXML:edXML") :]
        ),
        "not_edxml": lambda: b"<other/>",
        "no_document_id": lambda: xml.replace(b"<edXML:DocumentId>", b"<edXML:Other>").replace(
            b"</edXML:DocumentId>", b"</edXML:Other>"
        ),
        "attachment_changed": lambda: _tampered_attachment(xml),
        "unknown_recipient": lambda: xml.replace(b"000.00.00.G12", b"000.00.00.G99"),
        "unsigned_pdf": lambda: _with_attachment(world, b"%PDF-1.4\n%%EOF\n"),
        "signature_broken": lambda: _with_attachment(
            world, pdf.replace(b"/Title", b"/Titla", 1) if b"/Title" in pdf else pdf[:-200]
        ),
    }[breakage]()

    # when it arrives
    with pytest.raises(InvalidInput) as refused:
        inbox_receive(peer=peer_a, body=body)

    # then it is refused with a reason, logged as refused, and nothing is registered or answered
    assert refused.value.code == "invalid_package" and refused.value.message
    assert not IncomingDocument.objects.exists()
    assert not IncomingRegister.objects.filter(last_number__gt=0).exists()
    assert not OutgoingPackage.objects.filter(kind="status").exists()
    assert IncomingPackage.objects.get().state == "refused"


def _status(world, code: str, *, sender: str = "000.00.00.G12", moment=None) -> bytes:
    return edxml.build_status(
        edxml.StatusPackage(
            response_for_organ="000.00.00.H19",
            response_for_document_id=world.package.message_id,
            response_for_code="01/KH-UBND",
            sender=edxml.Organ(sender, "Bộ Thông tin và Truyền thông"),
            status_code=code,
            description="Đã vào sổ" if code == "03" else "",
            timestamp=moment or timezone.now().replace(microsecond=0),
        )
    )


def test_statuses_from_the_recipient_come_into_the_receipt_table_once(world):
    # given the plan's package to the ministry, and the ministry's answers through its peer
    receipt = Receipt.objects.get(plan=world.plan, unit=world.units["bo-tttt"])
    assert receipt.acknowledged_at is None
    received, accepted = _status(world, "01"), _status(world, "03")

    # when they arrive (the second one twice)
    assert inbox_receive(peer=world.peer_b, body=received)["result"] == "accepted"
    assert inbox_receive(peer=world.peer_b, body=accepted)["result"] == "accepted"
    assert inbox_receive(peer=world.peer_b, body=accepted)["result"] == "duplicate"

    # then each is recorded once, and "accepted" acknowledges the receipt
    codes = list(StatusMessage.objects.filter(package=world.package).values_list("code", flat=True))
    assert codes == ["01", "03"]
    receipt.refresh_from_db()
    assert receipt.acknowledged_at is not None and receipt.acknowledged_by is None
    # and the drafter is told, with the plan's id (its page updates live)
    drafter = User.objects.get(username="chuyenvien")
    notice = drafter.notifications.filter(kind="exchange.status").latest("id")
    assert notice.data["plan_id"] == world.plan.pk and "Đã tiếp nhận" in notice.title


def test_a_status_that_overtakes_the_recipients_answer_marks_the_package_delivered(world):
    # given the package still pending: the sending thread has not yet recorded the answer
    OutgoingPackage.objects.filter(pk=world.package.pk).update(state="pending", delivered_at=None)

    # when the recipient's "received" status arrives first
    inbox_receive(peer=world.peer_b, body=_status(world, "01"))

    # then the package counts as delivered
    world.package.refresh_from_db()
    assert world.package.state == "delivered" and world.package.delivered_at is not None


def test_a_status_from_another_unit_or_peer_is_refused(world):
    # given a status claiming to come from a unit the package was not sent to
    wrong_unit = _status(world, "03", sender="000.00.00.H10")
    peer_a = play_recipient(world)  # and a peer the package was not sent through

    # then both are refused and nothing is recorded
    with pytest.raises(InvalidInput):
        inbox_receive(peer=world.peer_b, body=wrong_unit)
    with pytest.raises(InvalidInput):
        inbox_receive(peer=peer_a, body=_status(world, "03"))
    assert not StatusMessage.objects.exists()
    assert Receipt.objects.get(plan=world.plan, unit=world.units["bo-tttt"]).acknowledged_at is None


def test_the_recipient_reports_assigned_in_progress_done_to_the_sender(world):
    # given the ministry registered the package, and one of its users
    peer_a = play_recipient(world)
    inbox_receive(peer=peer_a, body=bytes(world.package.xml))
    incoming = IncomingDocument.objects.get()
    staff = User.objects.create(username="bo1", unit=world.units["bo-tttt"], full_name="Cán bộ Bộ")

    # when they report the document assigned, then done
    incoming_status_send(actor=staff, incoming=incoming, code="04", description="Giao Cục TTĐN")
    incoming_status_send(actor=staff, incoming=incoming, code="06")

    # then both statuses wait for the sender, after 01 and 03
    codes = list(
        OutgoingPackage.objects.filter(kind="status")
        .order_by("pk")
        .values_list("status_code", flat=True)
    )
    assert codes == ["01", "03", "04", "06"]

    # and a code that is not a user's, or a user of another unit, is refused, nothing added
    with pytest.raises(InvalidInput):
        incoming_status_send(actor=staff, incoming=incoming, code="03")
    with pytest.raises(PermissionDenied):
        incoming_status_send(
            actor=User.objects.get(username="baodongnai"), incoming=incoming, code="05"
        )
    assert OutgoingPackage.objects.filter(kind="status").count() == 4


def test_the_administrator_configures_a_peer_and_its_units_become_external(directory):
    # given the demo directory, where Sở Ngoại vụ uses this system
    from django.core.management import CommandError, call_command

    from agencies.models import Unit
    from exchange.models import Peer

    assert Unit.objects.get(code="so-nv").is_internal

    # when a peer is configured with a short secret, then properly
    with pytest.raises(CommandError):
        call_command("exchange_peer", code="p", name="P", url="http://p", secret="short")
    call_command(
        "exchange_peer",
        code="tinh-b",
        name="Tỉnh B",
        url="https://vanban.tinh-b.example",
        secret="s" * 32,
        unit=["so-nv"],
    )

    # then the first changed nothing, and the unit is now reached through the peer
    peer = Peer.objects.get()
    assert peer.code == "tinh-b" and list(peer.units.values_list("code", flat=True)) == ["so-nv"]
    assert not Unit.objects.get(code="so-nv").is_internal
