"""Notices by e-mail: the outbox sent after commit to a real local SMTP server (aiosmtpd),
retried when the server fails or is down, each person's choice of kinds and the daily digest."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import threading
import time
from email import message_from_bytes
from email.header import decode_header, make_header
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.db import transaction
from django.utils import timezone

from agencies.models import User
from notifications.models import EmailMessage, Notification
from notifications.services import (
    email_digest_send_due,
    email_outbox_send,
    notification_preference_set,
    notify_on_commit,
)

pytestmark = pytest.mark.django_db(transaction=True)


class Inbox:
    """An SMTP handler that keeps what it accepts and refuses the first `fail` messages (451)."""

    def __init__(self) -> None:
        self.received: list[Any] = []
        self.fail = 0
        self.port = 0
        self.controller: Any = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.fail > 0:
            self.fail -= 1
            return "451 4.3.0 Try again later"
        self.received.append(message_from_bytes(envelope.content))
        return "250 OK"

    def start(self) -> None:
        # A stopped controller cannot start again (its loop is closed): a new one, same port.
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    def subjects(self) -> list[str]:
        return [str(make_header(decode_header(m["Subject"]))) for m in self.received]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(settings: Any) -> Any:
    """A real SMTP server on 127.0.0.1, and Django's SMTP backend pointed at it."""
    inbox = Inbox()
    inbox.port = free_port()
    inbox.start()
    port = inbox.port
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    settings.DEFAULT_FROM_EMAIL = "Kế hoạch <noreply@dongnai.example>"
    settings.EMAIL_RETRY_BASE_SECONDS = 60
    yield inbox
    inbox.stop()


@pytest.fixture
def person(db: None) -> User:
    return User.objects.create_user(
        username="vanhoa", password="x", full_name="Lê Văn Hòa", email="vanhoa@dongnai.example"
    )


def remind(user: User, title: str = "Nhắc hạn góp ý: Kế hoạch thông tin đối ngoại") -> None:
    with transaction.atomic():
        notify_on_commit(
            user_ids=[user.pk],
            kind=Notification.Kind.DEADLINE_REMINDER,
            title=title,
            body="Hạn góp ý: 17:00 16/02/2027.",
            url="/ke-hoach/1/",
        )


def test_a_reminder_is_mailed_after_commit_to_the_smtp_server(smtp, person):
    # when a reminder is raised and its transaction commits
    remind(person)

    # then the server got one e-mail, to the person, with the notice and its link
    assert smtp.subjects() == ["Nhắc hạn góp ý: Kế hoạch thông tin đối ngoại"]
    message = smtp.received[0]
    assert message["To"] == "vanhoa@dongnai.example"
    body = message.get_payload(decode=True).decode("utf-8")
    assert "Hạn góp ý: 17:00 16/02/2027." in body and "/ke-hoach/1/" in body
    stored = EmailMessage.objects.get()
    assert stored.status == EmailMessage.Status.SENT and stored.attempts == 1


def test_in_the_background_every_e_mail_goes_and_the_commit_does_not_wait(smtp, settings):
    # given the served set-up: e-mails sent by the process's outbox thread; a slow SMTP server
    settings.EMAIL_SEND_IN_BACKGROUND = True
    people = [
        User.objects.create_user(username=f"p{n}", password="x", email=f"p{n}@dongnai.example")
        for n in range(120)
    ]
    gate = threading.Event()
    handle = smtp.handle_DATA

    async def slow(*args: Any) -> str:
        await asyncio.get_running_loop().run_in_executor(None, gate.wait, 10)
        return await handle(*args)

    smtp.handle_DATA = slow

    # when 120 people are notified and the transaction commits
    with transaction.atomic():
        notify_on_commit(
            user_ids=[p.pk for p in people], kind=Notification.Kind.DEADLINE_REMINDER, title="Hạn"
        )

    # then the commit returned before any e-mail was accepted
    assert smtp.received == []
    gate.set()
    # and every one of them is delivered, more than one outbox batch, each once
    deadline = time.monotonic() + 30
    while len(smtp.received) < len(people) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sorted(m["To"] for m in smtp.received) == sorted(p.email for p in people)
    _wait_until_sent(len(people))


def _wait_until_sent(count: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if EmailMessage.objects.filter(status=EmailMessage.Status.SENT).count() == count:
            return
        time.sleep(0.05)
    assert EmailMessage.objects.filter(status=EmailMessage.Status.SENT).count() == count


def test_nothing_is_mailed_when_the_transaction_rolls_back(smtp, person):
    with pytest.raises(RuntimeError), transaction.atomic():
        notify_on_commit(user_ids=[person.pk], kind="deadline.reminder", title="Nhắc hạn")
        raise RuntimeError("rolled back")
    assert smtp.received == [] and not EmailMessage.objects.exists()


def test_a_refused_e_mail_is_retried_after_a_wait_and_then_delivered_once(smtp, person):
    # given a server that refuses the first message (451, try later)
    smtp.fail = 1
    remind(person)
    stored = EmailMessage.objects.get()
    assert stored.status == EmailMessage.Status.PENDING and stored.attempts == 1
    assert "451" in stored.last_error
    assert smtp.received == []

    # when the dispatcher sweeps before the wait is over, nothing is tried
    assert email_outbox_send(now=timezone.now() + dt.timedelta(seconds=30)) == 0
    # and after it, the e-mail goes, once
    assert email_outbox_send(now=timezone.now() + dt.timedelta(seconds=61)) == 1
    assert email_outbox_send(now=timezone.now() + dt.timedelta(hours=2)) == 0
    stored.refresh_from_db()
    assert stored.status == EmailMessage.Status.SENT and stored.attempts == 2
    assert len(smtp.received) == 1


def test_a_server_that_is_down_then_back_gets_the_e_mail_on_a_later_sweep(smtp, person):
    # given the server is down when the notice is raised
    smtp.stop()
    remind(person)
    stored = EmailMessage.objects.get()
    assert stored.status == EmailMessage.Status.PENDING and stored.attempts == 1

    # when it is back and the dispatcher sweeps after the wait (twice the wait after 2 failures)
    assert email_outbox_send(now=timezone.now() + dt.timedelta(seconds=61)) == 0  # still down
    stored.refresh_from_db()
    assert stored.attempts == 2
    assert stored.next_attempt_at > timezone.now() + dt.timedelta(seconds=61 + 110)
    smtp.start()
    assert email_outbox_send(now=timezone.now() + dt.timedelta(seconds=61 + 121)) == 1

    # then it arrived once
    assert smtp.subjects() == ["Nhắc hạn góp ý: Kế hoạch thông tin đối ngoại"]
    stored.refresh_from_db()
    assert stored.status == EmailMessage.Status.SENT


def test_after_the_last_attempt_the_e_mail_is_given_up(smtp, person, settings):
    settings.EMAIL_MAX_ATTEMPTS = 2
    smtp.fail = 5
    remind(person)
    assert email_outbox_send(now=timezone.now() + dt.timedelta(hours=1)) == 0
    stored = EmailMessage.objects.get()
    assert stored.status == EmailMessage.Status.FAILED and stored.attempts == 2
    assert email_outbox_send(now=timezone.now() + dt.timedelta(days=1)) == 0


def test_only_the_kinds_a_person_chose_are_mailed(smtp, person):
    # by default: reminders yes, a new task no
    with transaction.atomic():
        notify_on_commit(user_ids=[person.pk], kind="task.assigned", title="Việc mới")
    assert smtp.received == []

    # when the person chooses new tasks and not reminders
    notification_preference_set(user=person, email_kinds=["task.assigned"], digest=False)
    with transaction.atomic():
        notify_on_commit(user_ids=[person.pk], kind="task.assigned", title="Việc mới 2")
    remind(person)

    # then only the new task came by e-mail; both are in the bell
    assert smtp.subjects() == ["Việc mới 2"]
    assert Notification.objects.filter(user=person).count() == 3


def test_a_digest_comes_once_a_day_with_the_chosen_notices(smtp, person, settings):
    # given a person who asked for one e-mail a day
    settings.DIGEST_HOUR = 7
    notification_preference_set(
        user=person, email_kinds=["deadline.reminder", "task.assigned"], digest=True
    )
    remind(person, "Nhắc hạn góp ý: KH 1")
    remind(person, "Nhắc hạn góp ý: KH 2")
    with transaction.atomic():
        notify_on_commit(user_ids=[person.pk], kind="plan.signed", title="Không chọn loại này")
    assert smtp.received == []  # nothing one by one

    # when the dispatcher sweeps the next morning, before and after the digest hour, twice
    tomorrow = timezone.localtime() + dt.timedelta(days=1)
    assert email_digest_send_due(now=tomorrow.replace(hour=6, minute=59)) == 0
    at_seven = tomorrow.replace(hour=7, minute=0)
    assert email_digest_send_due(now=at_seven) == 1
    assert email_digest_send_due(now=at_seven + dt.timedelta(hours=3)) == 0

    # then one e-mail lists both reminders and not the kind not chosen
    assert len(smtp.received) == 1
    body = smtp.received[0].get_payload(decode=True).decode("utf-8")
    assert "KH 1" in body and "KH 2" in body and "Không chọn" not in body

    # and the day after, with nothing new, no digest
    assert email_digest_send_due(now=at_seven + dt.timedelta(days=1)) == 0
    assert len(smtp.received) == 1
