import logging

import pytest
from django.db import transaction
from django.utils import timezone

from notifications import services
from notifications.models import Notification
from notifications.selectors import (
    UNREAD_COUNT_CAP,
    notification_list,
    notification_unread_count,
)
from notifications.services import notification_mark_read, notify_on_commit

from .helpers import capture_notifications

pytestmark = pytest.mark.django_db


def test_notification_is_stored_at_once_and_pushed_only_after_commit(
    user, other_user, django_capture_on_commit_callbacks
):
    # given a transaction that notifies two users (one of them twice)
    with capture_notifications() as sent:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            # when the service runs inside it
            created = notify_on_commit(
                user_ids=[other_user.id, user.id, user.id],
                kind="task.assigned",
                title="Bạn được giao xử lý kế hoạch",
                url="/plans/1/",
                data={"plan_id": 1},
            )
            # then the rows exist, with ids, but nothing has left yet
            assert [n.user_id for n in created] == sorted([user.id, other_user.id])
            assert all(n.pk for n in created)
            assert Notification.objects.count() == 2
            assert sent == []
        # when the transaction commits
        for callback in callbacks:
            callback()

    # then each user got exactly one push, of a row already stored
    assert [(s.user_id, s.kind, s.stored_at_push) for s in sent] == [
        (n.user_id, "task.assigned", True) for n in created
    ]


def test_pushed_payload_carries_the_row_and_the_unread_count(
    user, django_capture_on_commit_callbacks
):
    # given one unread notification already
    notify_on_commit(user_ids=[user.id], kind="plan.returned", title="Kế hoạch bị trả lại")

    # when another one is created and committed
    with capture_notifications() as sent, django_capture_on_commit_callbacks(execute=True):
        (notification,) = notify_on_commit(
            user_ids=[user.id],
            kind="plan.signed",
            title="Kế hoạch đã được ký",
            body="Chủ tịch đã ký.",
            url="/plans/7/",
            data={"plan_id": 7},
        )

    # then the payload is the stored row, unread, with the count of both
    (push,) = sent
    assert push.payload == {
        "id": notification.id,
        "kind": "plan.signed",
        "title": "Kế hoạch đã được ký",
        "body": "Chủ tịch đã ký.",
        "url": "/plans/7/",
        "data": {"plan_id": 7},
        "created_at": notification.as_payload()["created_at"],
        "read": False,
        "unread_count": 2,
    }
    assert push.payload["created_at"].startswith(str(notification.created_at.year))


def test_unread_counts_stop_at_the_cap_that_the_bell_shows_as_99_plus(
    user, other_user, django_capture_on_commit_callbacks
):
    # given one user with 99 unread notices and another with 150 (of which 10 read)
    def pile(person, n):
        Notification.objects.bulk_create(
            Notification(user=person, kind="task.assigned", title=f"Việc {i}") for i in range(n)
        )

    pile(user, 99)
    pile(other_user, 150)
    read = Notification.objects.filter(user=other_user).order_by("id")[:10]
    Notification.objects.filter(pk__in=read).update(read_at=timezone.now())

    # then the counts are exact below the cap, and the cap above it
    assert notification_unread_count(user=user) == 99
    assert notification_unread_count(user=other_user) == UNREAD_COUNT_CAP == 100

    # when both are notified once more
    with capture_notifications() as sent, django_capture_on_commit_callbacks(execute=True):
        notify_on_commit(user_ids=[user.id, other_user.id], kind="plan.signed", title="Đã ký")

    # then the pushes carry 100 (exact) and the cap
    counts = {push.user_id: push.payload["unread_count"] for push in sent}
    assert counts == {user.id: 100, other_user.id: 100}
    assert notification_unread_count(user=user) == 100


def test_nothing_is_stored_or_pushed_when_the_transaction_rolls_back(
    user, django_capture_on_commit_callbacks
):
    # given a unit of work that notifies and then fails
    # when it rolls back
    with (
        capture_notifications() as sent,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notify_on_commit(user_ids=[user.id], kind="plan.issued", title="Đã ban hành")
        raise RuntimeError("issuance failed")

    # then nothing was stored, nothing was scheduled, nothing was pushed
    assert Notification.objects.count() == 0
    assert callbacks == []
    assert sent == []


def test_a_failing_push_is_logged_and_not_raised(
    user, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    # given a channel layer that is down
    class BrokenLayer:
        async def group_send(self, group: str, message: dict) -> None:
            raise ConnectionError("redis is down")

    monkeypatch.setattr(services, "get_channel_layer", BrokenLayer)

    # when a notification is committed
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        notify_on_commit(user_ids=[user.id], kind="plan.issued", title="Đã ban hành")

    # then the row stays stored and the failure is only logged
    assert Notification.objects.filter(user=user).count() == 1
    assert "Could not push a notification" in caplog.text


def test_no_users_means_no_rows_and_no_callback(django_capture_on_commit_callbacks):
    # when nobody is to be notified
    with django_capture_on_commit_callbacks() as callbacks:
        created = notify_on_commit(user_ids=[], kind="plan.issued", title="Đã ban hành")

    # then nothing happens
    assert created == []
    assert callbacks == []


def test_mark_read_marks_only_the_users_own_notifications(user, other_user):
    # given notifications for two users
    mine = notify_on_commit(user_ids=[user.id], kind="a.b", title="Một") + notify_on_commit(
        user_ids=[user.id], kind="a.b", title="Hai"
    )
    (theirs,) = notify_on_commit(user_ids=[other_user.id], kind="a.b", title="Ba")

    # when the user marks one of theirs and the other user's as read
    marked = notification_mark_read(user=user, ids=[mine[0].id, theirs.id])

    # then only the user's own one changed
    assert marked == 1
    assert notification_unread_count(user=user) == 1
    assert notification_unread_count(user=other_user) == 1

    # when the user marks all
    assert notification_mark_read(user=user, ids=None) == 1

    # then none is unread, and marking again changes nothing
    assert notification_unread_count(user=user) == 0
    assert notification_mark_read(user=user, ids=None) == 0


def test_list_is_newest_first_and_catch_up_is_oldest_first(user, other_user):
    # given five notifications for the user and one for someone else
    ids = [
        notify_on_commit(user_ids=[user.id], kind="a.b", title=f"Số {i}")[0].id for i in range(5)
    ]
    notify_on_commit(user_ids=[other_user.id], kind="a.b", title="Khác")

    # then the list is the user's, newest first, and catch-up returns what follows `after`
    assert [n.id for n in notification_list(user=user)] == ids[::-1]
    assert [n.id for n in notification_list(user=user, limit=2)] == ids[:2:-1]
    assert [n.id for n in notification_list(user=user, after=ids[1])] == ids[2:]
    assert [n.id for n in notification_list(user=user, after=ids[1], limit=2)] == ids[2:4]
