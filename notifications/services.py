"""Writes of notifications: store inside the caller's transaction, push to sockets after commit.

Invariant (DESIGN.md): a notification is stored before it is pushed and pushed only after commit; a
client that reconnects catches up from the stored rows, because the channel layer does not replay.
"""

import asyncio
import collections
import datetime as dt
import logging
import threading
import weakref
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.mail import EmailMessage as DjangoEmail
from django.core.mail import get_connection
from django.db import IntegrityError, connections, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.errors import InvalidInput

from .models import EmailMessage, NoticeOnce, Notification, NotificationPreference
from .selectors import (
    UNREAD_COUNT_CAP,
    Recipient,
    notification_recipients_by_id,
    notification_recipients_of,
    notification_unread_count,
)

logger = logging.getLogger(__name__)

#: The channel-layer message type; NotificationConsumer.notification_message handles it.
MESSAGE_TYPE = "notification.message"
#: The channel-layer message type of a batch of payloads keyed by user group;
#: NotificationConsumer.notification_batch takes its own user's.
BATCH_TYPE = "notification.batch"
#: Payload `type` of the read-state message sent after notifications are marked read.
READ_STATE_TYPE = "notifications.read"

Payload = dict[str, Any]


def user_group_name(user_id: int) -> str:
    """The channel-layer group that every open socket of `user_id` joins."""
    return f"user-{user_id}"


def notify_on_commit(
    *,
    user_ids: Iterable[int] | QuerySet[Any],
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    data: dict[str, Any] | None = None,
) -> list[Notification]:
    """Store one notification per distinct user now; push each to its user once the caller commits.

    Runs inside the caller's transaction: if it rolls back, nothing is stored and nothing is pushed.
    `user_ids` are ids, or a queryset of users' ids (read in the same statement as their unread
    counts). `title` is Vietnamese and shown in the bell; `url` is where a click leads. A failed
    push is logged, never raised: the row is stored and the client catches up on reconnect.
    """
    if not kind or not title:
        raise ValueError("notify_on_commit needs a kind and a title")
    recipients = _recipients_of(user_ids)
    if not recipients:
        return []
    unread = {pk: r.unread for pk, r in recipients.items()}
    now = timezone.now()
    notifications = Notification.objects.bulk_create(
        [
            Notification(
                user_id=user_id,
                kind=kind,
                title=title,
                body=body,
                url=url,
                data=dict(data or {}),
                created_at=now,
            )
            for user_id in sorted(unread)
        ]
    )
    pushes = [
        (
            n.user_id,
            {**n.as_payload(), "unread_count": min(unread[n.user_id] + 1, UNREAD_COUNT_CAP)},
        )
        for n in notifications
    ]
    transaction.on_commit(lambda: _push_all(pushes), robust=True)
    _email_enqueue(
        [n for n in notifications if recipients[n.user_id].wants_email(kind)],
        {pk: r.email for pk, r in recipients.items()},
    )
    return notifications


def _recipients_of(user_ids: Iterable[int] | QuerySet[Any]) -> dict[int, Recipient]:
    """The recipients' unread counts before this notification and their e-mail choices, in one
    statement."""
    if isinstance(user_ids, QuerySet):
        return notification_recipients_of(users=user_ids)
    recipients = sorted({int(user_id) for user_id in user_ids})
    if not recipients:
        return {}
    return notification_recipients_by_id(user_ids=recipients)


def notify_once(
    *,
    key: str,
    user_ids: Iterable[int] | QuerySet[Any],
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    data: dict[str, Any] | None = None,
) -> list[Notification]:
    """`notify_on_commit`, but once for ever per `key` (a reminder, an escalation), however many
    dispatchers try at once: the key is a unique row written in the caller's transaction, so a
    second writer waits for the first and then finds it (and sends nothing). Returns [] when
    the notice had already gone."""
    try:
        with transaction.atomic():
            NoticeOnce.objects.create(key=key[:200])
    except IntegrityError:
        return []
    return notify_on_commit(
        user_ids=user_ids, kind=kind, title=title, body=body, url=url, data=data
    )


# ---------------------------------------------------------------------------------------------
# E-mail: an outbox written with the notice, sent after commit, retried by the dispatcher


def _absolute(url: str) -> str:
    if url.startswith("/"):
        return f"{settings.PUBLIC_BASE_URL}{url}"
    return url


def _email_text(notification: Notification) -> tuple[str, str]:
    lines = [notification.title]
    if notification.body:
        lines += ["", notification.body]
    if notification.url:
        lines += ["", _absolute(notification.url)]
    return notification.title[:255], "\n".join(lines) + "\n"


def _email_enqueue(notifications: list[Notification], addresses: dict[int, str]) -> None:
    """Store one e-mail per notice in the caller's transaction; send them after it commits."""
    if not notifications:
        return
    rows = []
    for n in notifications:
        subject, body = _email_text(n)
        rows.append(
            EmailMessage(
                user_id=n.user_id,
                to=addresses[n.user_id],
                subject=subject,
                body=body,
                kind=n.kind,
                created_at=n.created_at,
                next_attempt_at=n.created_at,
            )
        )
    stored = EmailMessage.objects.bulk_create(rows)
    ids = [m.pk for m in stored if m.pk is not None]
    transaction.on_commit(lambda: _email_send_soon(ids), robust=True)


#: One thread per process sends the e-mails of committed notices, in order, so that the request
#: that notified does not wait on the SMTP server (up to EMAIL_TIMEOUT) nor compete with the
#: socket pushes for the interpreter. Anything it has not sent when the process stops is still
#: in the outbox: the timer dispatcher sends it once the claim lapses.
_EMAIL_SENDER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="email-outbox")


def _email_send_soon(ids: list[int]) -> None:
    if settings.EMAIL_SEND_IN_BACKGROUND:
        _EMAIL_SENDER.submit(_email_send_all, ids)
    else:
        _email_send_all(ids, close=False)


def _email_send_all(ids: list[int], *, close: bool = True) -> None:
    """Send these outbox e-mails, a batch at a time; never raises."""
    try:
        for start in range(0, len(ids), EMAIL_BATCH):
            email_outbox_send(ids=ids[start : start + EMAIL_BATCH])
    except Exception:
        logger.exception("Could not send %d e-mail(s)", len(ids))
    finally:
        if close:
            connections.close_all()


def _backoff(attempts: int) -> dt.timedelta:
    """How long to wait after the `attempts`-th failure: 1, 2, 4 … minutes, at most an hour."""
    base = float(settings.EMAIL_RETRY_BASE_SECONDS)
    return dt.timedelta(seconds=min(base * 2 ** (attempts - 1), 3600.0))


#: How long a dispatcher holds the e-mails it is sending.
CLAIM_SECONDS = 300
#: E-mails sent in one go.
EMAIL_BATCH = 50


def _email_claim(*, ids: list[int] | None, now: dt.datetime) -> list[EmailMessage]:
    """Take the due e-mails (of `ids`, or all) that no other dispatcher holds."""
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    with transaction.atomic():
        due = EmailMessage.objects.select_for_update(skip_locked=True).filter(
            free, status=EmailMessage.Status.PENDING, next_attempt_at__lte=now
        )
        if ids is not None:
            due = due.filter(pk__in=ids)
        messages = list(due.order_by("next_attempt_at", "pk")[:EMAIL_BATCH])
        if messages:
            claimed_until = now + dt.timedelta(seconds=CLAIM_SECONDS)
            # The claim is taken only where still free: two dispatchers on SQLite (no row locks)
            # cannot both take one.
            taken = set(
                EmailMessage.objects.filter(free, pk__in=[m.pk for m in messages]).values_list(
                    "pk", flat=True
                )
            )
            EmailMessage.objects.filter(pk__in=taken).update(claimed_until=claimed_until)
            messages = [m for m in messages if m.pk in taken]
    return messages


def email_outbox_send(*, ids: list[int] | None = None, now: dt.datetime | None = None) -> int:
    """Send the due e-mails of the outbox (those of `ids` only, after a commit); returns how
    many went. A failure is recorded and retried later (`_backoff`), up to EMAIL_MAX_ATTEMPTS;
    never raises."""
    now = now or timezone.now()
    try:
        messages = _email_claim(ids=ids, now=now)
    except Exception:
        logger.exception("Could not read the e-mail outbox")
        return 0
    if not messages:
        return 0
    sent = 0
    try:
        connection = get_connection(fail_silently=False)
        connection.open()
    except Exception as exc:
        for message in messages:
            _email_failed(message, exc, now)
        return 0
    try:
        for message in messages:
            try:
                DjangoEmail(
                    subject=message.subject,
                    body=message.body,
                    from_email=settings.DEFAULT_FROM_EMAIL,
                    to=[message.to],
                    connection=connection,
                ).send()
            except Exception as exc:
                _email_failed(message, exc, now)
                continue
            EmailMessage.objects.filter(pk=message.pk).update(
                status=EmailMessage.Status.SENT,
                sent_at=timezone.now(),
                attempts=message.attempts + 1,
                claimed_until=None,
                last_error="",
            )
            sent += 1
    finally:
        try:
            connection.close()
        except Exception:
            logger.warning("Could not close the mail connection", exc_info=True)
    return sent


def _email_failed(message: EmailMessage, error: BaseException, now: dt.datetime) -> None:
    attempts = message.attempts + 1
    gave_up = attempts >= settings.EMAIL_MAX_ATTEMPTS
    logger.warning(
        "E-mail %s to %s failed (attempt %d): %r", message.pk, message.to, attempts, error
    )
    EmailMessage.objects.filter(pk=message.pk).update(
        attempts=attempts,
        last_error=repr(error)[:2000],
        next_attempt_at=now + _backoff(attempts),
        claimed_until=None,
        status=EmailMessage.Status.FAILED if gave_up else EmailMessage.Status.PENDING,
    )


# ---------------------------------------------------------------------------------------------
# Preferences and the daily digest


def email_kind_choices() -> list[tuple[str, str]]:
    """The kinds of notices one may get by e-mail, with their names."""
    return [(str(value), str(label)) for value, label in Notification.Kind.choices]


def notification_preference_set(
    *, user: Any, email_kinds: Any, digest: Any
) -> NotificationPreference:
    """`user` chooses which kinds of notices come by e-mail, and whether in one daily digest."""
    known = {value for value, _label in email_kind_choices()}
    if not isinstance(email_kinds, list) or not all(isinstance(k, str) for k in email_kinds):
        raise InvalidInput(_("“email_kinds” phải là danh sách các loại thông báo."))
    unknown = sorted(set(email_kinds) - known)
    if unknown:
        raise InvalidInput(
            _("Không có loại thông báo: %(kinds)s.") % {"kinds": ", ".join(unknown)[:200]}
        )
    if not isinstance(digest, bool):
        raise InvalidInput(_("“digest” phải là true hoặc false."))
    kinds = [value for value, _label in email_kind_choices() if value in set(email_kinds)]
    with transaction.atomic():
        row, created = NotificationPreference.objects.select_for_update().get_or_create(
            user_id=user.pk,
            defaults={"email_kinds": kinds, "digest": digest, "digest_sent_until": timezone.now()},
        )
        if not created:
            if digest and not row.digest:
                row.digest_sent_until = timezone.now()  # the first digest starts from now
            row.email_kinds, row.digest = kinds, digest
            row.save()
    return row


def email_digest_send_due(*, now: dt.datetime | None = None) -> int:
    """Once a day (from DIGEST_HOUR, local time), one e-mail to each person who asked for a
    digest, with the notices of their chosen kinds since the last one; returns how many were
    queued. A person's row is locked while theirs is made, so two dispatchers make one."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    if local.hour < settings.DIGEST_HOUR:
        return 0
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    due = NotificationPreference.objects.filter(digest=True).filter(
        Q(digest_sent_until__isnull=True) | Q(digest_sent_until__lt=day_start)
    )
    queued = 0
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            row = (
                NotificationPreference.objects.select_for_update()
                .select_related("user")
                .filter(pk=pk, digest=True)
                .filter(Q(digest_sent_until__isnull=True) | Q(digest_sent_until__lt=day_start))
                .first()
            )
            if row is None:
                continue
            since = row.digest_sent_until or now - dt.timedelta(days=1)
            notices = list(
                Notification.objects.filter(
                    user_id=row.user_id,
                    kind__in=row.email_kinds,
                    created_at__gt=since,
                    created_at__lte=now,
                ).order_by("id")[:200]
            )
            row.digest_sent_until = now
            row.save(update_fields=["digest_sent_until", "updated_at"])
            if not notices or not row.user.email:
                continue
            message = _digest(row.user.email, row.user_id, notices, local)
            transaction.on_commit(partial(email_outbox_send, ids=[message.pk]), robust=True)
            queued += 1
    return queued


def _digest(
    address: str, user_id: int, notices: list[Notification], local: dt.datetime
) -> EmailMessage:
    subject = _("Tổng hợp thông báo ngày %(date)s (%(count)s)") % {
        "date": local.strftime("%d/%m/%Y"),
        "count": len(notices),
    }
    lines: list[str] = []
    for n in notices:
        when = timezone.localtime(n.created_at).strftime("%H:%M %d/%m")
        lines.append(f"- {when} {n.title}")
        if n.body:
            lines.append(f"  {n.body}")
        if n.url:
            lines.append(f"  {_absolute(n.url)}")
    return EmailMessage.objects.create(
        user_id=user_id,
        to=address,
        subject=subject[:255],
        body="\n".join(lines) + "\n",
        kind="digest",
        next_attempt_at=timezone.now(),
    )


def notification_mark_read(
    *, user: Any, ids: list[int] | None, now: dt.datetime | None = None
) -> int:
    """Mark `user`'s unread notifications read (all of them when `ids` is None); return how many.

    Ids of other users' notifications are ignored. After commit, the user's other open tabs get a
    `{"type": "notifications.read", "ids": [...] | null, "unread_count": n}` message.
    """
    queryset = Notification.objects.filter(user_id=user.pk, read_at__isnull=True)
    if ids is not None:
        queryset = queryset.filter(id__in=ids)
    marked = queryset.update(read_at=now or timezone.now())
    if marked:
        payload: Payload = {
            "type": READ_STATE_TYPE,
            "ids": None if ids is None else sorted(set(ids)),
            "unread_count": notification_unread_count(user=user),
        }
        transaction.on_commit(lambda: _push_all([(user.pk, payload)]), robust=True)
    return marked


def _push_all(pushes: list[tuple[int, Payload]]) -> None:
    """Push stored notifications to their users' open sockets, all in one trip to the event
    loop. Never raises."""
    if pushes:
        _push_batch(pushes)  # looked up at call time, so tests can observe it


def _push_batch(pushes: list[tuple[int, Payload]]) -> None:
    """Hand the pushes to the event loop serving this request (`pushes_sent_by`), which sends
    them while the answer goes out; elsewhere (commands, timers, the tests' clients) send them
    and wait. Never raises."""
    loop = _SENDING_LOOP.get()
    if loop is not None and _sender_of(loop).hand_over(pushes):
        return
    try:
        async_to_sync(_send_logged)(pushes)
    except Exception:
        # The rows are stored; the clients catch up when they reconnect.
        logger.exception("Could not push %d notification(s)", len(pushes))


async def _send_logged(pushes: list[tuple[int, Payload]]) -> None:
    try:
        layer = get_channel_layer()
        if layer is None:
            return
        failed = await _group_send_all(layer, pushes)
    except Exception:
        # The rows are stored; the clients catch up when they reconnect.
        logger.exception("Could not push %d notification(s)", len(pushes))
        return
    for user_id, error in failed:
        logger.error("Could not push a notification to user %s: %r", user_id, error)


#: The event loop that sends the current request's pushes (`pushes_sent_by`), if any.
_SENDING_LOOP: ContextVar[asyncio.AbstractEventLoop | None] = ContextVar(
    "notifications_sending_loop", default=None
)


@contextmanager
def pushes_sent_by(loop: asyncio.AbstractEventLoop) -> Iterator[None]:
    """Within this context (and the threads that copy it, as sync_to_async does), the pushes
    made after commit are handed to `loop` instead of being sent while the request waits.

    config.asgi wraps each request's middleware and view in it: the request answers as soon as
    its transaction has committed, and the loop sends the pushes in the order they were handed
    over (a request's pushes in order; one user's never overtake each other). A push still
    waiting when the process stops is lost to the sockets only: the rows are stored, and a
    client catches up when it reconnects (DESIGN.md)."""
    token = _SENDING_LOOP.set(loop)
    try:
        yield
    finally:
        _SENDING_LOOP.reset(token)


class _LoopSender:
    """The pushes handed over to one event loop, sent by one task at a time in the order they
    came. Consecutive hand-overs for distinct users go out as one batch (one trip to Redis)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop_of = weakref.ref(loop)  # the registry below holds senders by weak keys
        self.waiting: collections.deque[list[tuple[int, Payload]]] = collections.deque()
        self.task: asyncio.Task[None] | None = None

    def hand_over(self, pushes: list[tuple[int, Payload]]) -> bool:
        """From any thread; False if the loop no longer runs (the caller then sends itself)."""
        loop = self.loop_of()
        if loop is None or loop.is_closed() or not loop.is_running():
            return False
        try:
            loop.call_soon_threadsafe(self._add, list(pushes))
        except RuntimeError:  # closed in between
            return False
        return True

    def _add(self, pushes: list[tuple[int, Payload]]) -> None:
        self.waiting.append(pushes)
        if self.task is None:
            self.task = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        try:
            while self.waiting:
                await _send_logged(self._next_batch())
        finally:
            self.task = None

    def _next_batch(self) -> list[tuple[int, Payload]]:
        """The first hand-over, and those after it while no user appears twice (a batch
        carries one payload per user)."""
        batch = self.waiting.popleft()
        users = {user_id for user_id, _payload in batch}
        while self.waiting and len(batch) < BATCH_USERS:
            following = {user_id for user_id, _payload in self.waiting[0]}
            if users & following or len(following) < len(self.waiting[0]):
                break
            batch.extend(self.waiting.popleft())
            users |= following
        return batch


_senders: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopSender] = (
    weakref.WeakKeyDictionary()
)
_senders_lock = threading.Lock()


def _sender_of(loop: asyncio.AbstractEventLoop) -> _LoopSender:
    with _senders_lock:
        sender = _senders.get(loop)
        if sender is None:
            sender = _senders[loop] = _LoopSender(loop)
        return sender


#: Group sends in flight at once on a layer without group_send_many: enough to hide round trips,
#: few enough to stay well inside redis-py's connection pool (an unbounded burst fails with
#: MaxConnectionsError).
PUSH_CONCURRENCY = 16
#: Users per batch message on a layer with group_send_many (notifications.layers): each socket
#: takes its own payload from the batch, so a batch stays a few hundred KB at most.
BATCH_USERS = 500


async def _group_send_all(
    layer: Any, pushes: list[tuple[int, Payload]]
) -> list[tuple[int, BaseException]]:
    """Send each (user id, payload) to that user's group; return the pushes that failed.

    On the Redis layer, a batch of users is one message per worker process
    (`{"type": BATCH_TYPE, "payloads": {group: payload}}`, see notifications.layers): 300 group
    sends used to be 300 messages that each worker read one round trip at a time (~0.3 s).
    """
    if hasattr(layer, "group_send_many"):
        failed: list[tuple[int, BaseException]] = []
        for start in range(0, len(pushes), BATCH_USERS):
            batch = pushes[start : start + BATCH_USERS]
            payloads = {user_group_name(user_id): payload for user_id, payload in batch}
            try:
                await layer.group_send_many(
                    list(payloads), {"type": BATCH_TYPE, "payloads": payloads}
                )
            except Exception as error:
                failed.extend((user_id, error) for user_id, _payload in batch)
        return failed
    slots = asyncio.Semaphore(PUSH_CONCURRENCY)

    async def send(user_id: int, payload: Payload) -> None:
        async with slots:
            await layer.group_send(
                user_group_name(user_id), {"type": MESSAGE_TYPE, "payload": payload}
            )

    results = await asyncio.gather(
        *(send(user_id, payload) for user_id, payload in pushes), return_exceptions=True
    )
    return [
        (user_id, result)
        for (user_id, _payload), result in zip(pushes, results, strict=True)
        if isinstance(result, BaseException)
    ]
