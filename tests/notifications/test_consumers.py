import asyncio
import time

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from config.asgi import application
from notifications import consumers
from notifications.consumers import NotificationConsumer
from notifications.models import Notification
from notifications.services import (
    BATCH_TYPE,
    notification_mark_read,
    notify_on_commit,
    user_group_name,
)

from .helpers import as_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("channel_layer")]

ORIGIN = (b"origin", b"http://testserver")

notify = database_sync_to_async(notify_on_commit)


async def _notify(user, title: str) -> int:
    (notification,) = await notify(user_ids=[user.id], kind="task.assigned", title=title)
    return notification.id


async def _connect(communicator: WebsocketCommunicator) -> None:
    connected, _ = await communicator.connect()
    assert connected is True


async def _assert_closed_unauthenticated(communicator: WebsocketCommunicator) -> None:
    connected, _ = await communicator.connect()
    assert connected is True  # accepted, so that the browser sees the close code
    assert await communicator.receive_output() == {"type": "websocket.close", "code": 4401}


# The consumer alone


async def test_anonymous_socket_is_closed_with_4401():
    communicator = WebsocketCommunicator(
        as_user(NotificationConsumer.as_asgi(), AnonymousUser()), "/ws/notifications/"
    )

    await _assert_closed_unauthenticated(communicator)


async def test_user_receives_only_own_notifications(user, other_user, channel_layer):
    # given the user's socket is open
    communicator = WebsocketCommunicator(
        as_user(NotificationConsumer.as_asgi(), user), "/ws/notifications/"
    )
    await _connect(communicator)

    # when someone else is notified
    await _notify(other_user, "Của người khác")

    # then nothing arrives
    assert await communicator.receive_nothing() is True

    # when the user is notified
    notification_id = await _notify(user, "Bạn được giao xử lý")

    # then it arrives, with the unread count
    message = await communicator.receive_json_from()
    assert (message["id"], message["title"], message["read"], message["unread_count"]) == (
        notification_id,
        "Bạn được giao xử lý",
        False,
        1,
    )
    await communicator.disconnect()


async def test_group_messages_are_forwarded_as_they_are(user, channel_layer):
    # given an open socket
    communicator = WebsocketCommunicator(
        as_user(NotificationConsumer.as_asgi(), user), "/ws/notifications/"
    )
    await _connect(communicator)

    # when a message reaches the user's group
    await channel_layer.group_send(
        user_group_name(user.id),
        {"type": "notification.message", "payload": {"kind": "plan.issued"}},
    )

    # then its payload is sent unchanged
    assert await communicator.receive_json_from() == {"kind": "plan.issued"}
    await communicator.disconnect()


async def test_a_batch_forwards_only_the_users_own_payload(user, other_user, channel_layer):
    # given an open socket
    communicator = WebsocketCommunicator(
        as_user(NotificationConsumer.as_asgi(), user), "/ws/notifications/"
    )
    await _connect(communicator)

    # when a batch for the user and someone else reaches the user's group
    payloads = {
        user_group_name(other_user.id): {"id": 2, "kind": "plan.issued"},
        user_group_name(user.id): {"id": 1, "kind": "plan.issued"},
    }
    await channel_layer.group_send(
        user_group_name(user.id), {"type": BATCH_TYPE, "payloads": payloads}
    )

    # then only the user's own payload is sent, once
    assert await communicator.receive_json_from() == {"id": 1, "kind": "plan.issued"}
    assert await communicator.receive_nothing() is True
    await communicator.disconnect()


async def test_a_push_does_not_wait_for_the_process_sync_thread(user, channel_layer):
    # given an open socket, and the process's one thread for synchronous code busy for a while
    communicator = WebsocketCommunicator(
        as_user(NotificationConsumer.as_asgi(), user), "/ws/notifications/"
    )
    await _connect(communicator)
    busy = asyncio.ensure_future(sync_to_async(time.sleep)(1.5))
    await asyncio.sleep(0.05)

    # when a batch and a single notice reach the user's group
    started = time.monotonic()
    await channel_layer.group_send(
        user_group_name(user.id),
        {"type": BATCH_TYPE, "payloads": {user_group_name(user.id): {"id": 7}}},
    )
    await channel_layer.group_send(
        user_group_name(user.id), {"type": "notification.message", "payload": {"id": 8}}
    )

    # then both reach the socket long before that thread is free (channels' dispatch would
    # first close old database connections there, message by message)
    assert await communicator.receive_json_from(timeout=1) == {"id": 7}
    assert await communicator.receive_json_from(timeout=1) == {"id": 8}
    assert time.monotonic() - started < 1.0
    assert not busy.done()
    await busy
    await communicator.disconnect()


async def test_reconnecting_client_catches_up_exactly_the_missed_ones_in_order(user, other_user):
    # given a client that saw the first notification, then dropped
    seen = await _notify(user, "Đã xem")
    missed = [await _notify(user, f"Bỏ lỡ {i}") for i in range(3)]
    await _notify(other_user, "Của người khác")

    # when it reconnects with ?after=<last id seen>
    communicator = WebsocketCommunicator(
        as_user(NotificationConsumer.as_asgi(), user), f"/ws/notifications/?after={seen}"
    )
    await _connect(communicator)

    # then it receives exactly the missed ones, oldest first, and then nothing more
    received = [await communicator.receive_json_from() for _ in missed]
    assert [m["id"] for m in received] == missed
    assert await communicator.receive_nothing() is True

    # and live ones follow
    live = await _notify(user, "Mới")
    assert (await communicator.receive_json_from())["id"] == live
    await communicator.disconnect()


async def test_catch_up_pages_through_many_missed_ones(user, monkeypatch):
    # given more missed notifications than one catch-up page holds
    monkeypatch.setattr(consumers, "CATCH_UP_PAGE", 2)
    missed = [await _notify(user, f"Bỏ lỡ {i}") for i in range(5)]

    # when the client reconnects from before all of them
    communicator = WebsocketCommunicator(
        as_user(NotificationConsumer.as_asgi(), user), "/ws/notifications/?after=0"
    )
    await _connect(communicator)

    # then it gets them all, in order, once
    assert [(await communicator.receive_json_from())["id"] for _ in missed] == missed
    assert await communicator.receive_nothing() is True
    await communicator.disconnect()


async def test_catch_up_message_sends_the_missed_ones_once(user):
    # given an open socket that already received one notification live
    communicator = WebsocketCommunicator(
        as_user(NotificationConsumer.as_asgi(), user), "/ws/notifications/"
    )
    await _connect(communicator)
    first = await _notify(user, "Một")
    assert (await communicator.receive_json_from())["id"] == first

    # and one stored while its push was lost
    lost = (await database_sync_to_async(_store_without_push)(user)).id

    # when the client asks to catch up from before both
    await communicator.send_json_to({"type": "catch_up", "after": 0})

    # then only the one it has not had arrives
    assert (await communicator.receive_json_from())["id"] == lost
    assert await communicator.receive_nothing() is True
    await communicator.disconnect()


async def test_live_push_already_sent_by_catch_up_is_not_repeated(user, channel_layer):
    # given a notification stored and pushed while the socket was still catching up
    notification_id = await _notify(user, "Một")
    communicator = WebsocketCommunicator(
        as_user(NotificationConsumer.as_asgi(), user), "/ws/notifications/?after=0"
    )
    await _connect(communicator)
    assert (await communicator.receive_json_from())["id"] == notification_id

    # when its live push arrives late
    await channel_layer.group_send(
        user_group_name(user.id),
        {"type": "notification.message", "payload": {"id": notification_id, "kind": "x"}},
    )

    # then the client does not get it twice
    assert await communicator.receive_nothing() is True
    await communicator.disconnect()


async def test_bad_client_frames_are_ignored(user):
    communicator = WebsocketCommunicator(
        as_user(NotificationConsumer.as_asgi(), user), "/ws/notifications/"
    )
    await _connect(communicator)

    await communicator.send_to(text_data="không phải JSON")
    await communicator.send_json_to([1, 2])
    await communicator.send_json_to({"type": "catch_up", "after": "abc"})

    assert await communicator.receive_nothing() is True
    await communicator.disconnect()


async def test_marking_read_tells_the_other_tabs(user):
    # given an open tab and an unread notification
    communicator = WebsocketCommunicator(
        as_user(NotificationConsumer.as_asgi(), user), "/ws/notifications/"
    )
    await _connect(communicator)
    await _notify(user, "Một")
    await communicator.receive_json_from()

    # when another tab marks all read
    await database_sync_to_async(notification_mark_read)(user=user, ids=None)

    # then this tab learns the new count
    assert await communicator.receive_json_from() == {
        "type": "notifications.read",
        "ids": None,
        "unread_count": 0,
    }
    await communicator.disconnect()


# The full ASGI application: origin check, session and token authentication, routing


async def test_a_ticket_opens_one_socket_once(user):
    from agencies.services import socket_ticket_issue

    # given a single-use ticket (POST /api/v1/auth/socket-ticket/)
    _ticket, key = await database_sync_to_async(socket_ticket_issue)(user=user)
    communicator = WebsocketCommunicator(
        application, f"/ws/notifications/?ticket={key}", headers=[ORIGIN]
    )
    await _connect(communicator)

    # when the user is notified, it arrives on this socket
    notification_id = await _notify(user, "Một")
    assert (await communicator.receive_json_from())["id"] == notification_id
    await communicator.disconnect()

    # and the same ticket opens nothing a second time
    again = WebsocketCommunicator(application, f"/ws/notifications/?ticket={key}", headers=[ORIGIN])
    await _assert_closed_unauthenticated(again)


async def test_an_expired_ticket_opens_nothing(user):
    import datetime as dt

    from django.utils import timezone

    from agencies.services import socket_ticket_issue

    earlier = timezone.now() - dt.timedelta(minutes=5)
    _ticket, key = await database_sync_to_async(socket_ticket_issue)(user=user, now=earlier)
    communicator = WebsocketCommunicator(
        application, f"/ws/notifications/?ticket={key}", headers=[ORIGIN]
    )
    await _assert_closed_unauthenticated(communicator)


async def test_a_token_in_the_url_is_refused(user, token):
    # a long-lived secret in a URL ends up in access logs: no longer accepted
    communicator = WebsocketCommunicator(
        application, f"/ws/notifications/?token={token}", headers=[ORIGIN]
    )
    await _assert_closed_unauthenticated(communicator)


async def test_token_in_authorization_header_authenticates_and_catches_up(user, token):
    # given a missed notification
    missed = await _notify(user, "Bỏ lỡ")

    # when a client connects with the token in a header and ?after=0
    communicator = WebsocketCommunicator(
        application,
        "/ws/notifications/?after=0",
        headers=[ORIGIN, (b"authorization", f"Token {token}".encode())],
    )
    await _connect(communicator)

    # then it catches up
    assert (await communicator.receive_json_from())["id"] == missed
    await communicator.disconnect()


async def test_session_cookie_authenticates(user):
    # given a browser logged in by session
    client = Client()
    await sync_to_async(client.force_login)(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()

    # when its page opens the socket
    communicator = WebsocketCommunicator(
        application, "/ws/notifications/", headers=[ORIGIN, (b"cookie", cookie)]
    )
    await _connect(communicator)

    # then the user's notifications arrive
    notification_id = await _notify(user, "Một")
    assert (await communicator.receive_json_from())["id"] == notification_id
    await communicator.disconnect()


async def test_anonymous_socket_through_the_application_is_closed():
    communicator = WebsocketCommunicator(application, "/ws/notifications/", headers=[ORIGIN])

    await _assert_closed_unauthenticated(communicator)


async def test_unknown_token_is_closed_even_with_a_session(user):
    # given a logged-in browser that also presents a wrong token
    client = Client()
    await sync_to_async(client.force_login)(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    communicator = WebsocketCommunicator(
        application, "/ws/notifications/?token=wrong", headers=[ORIGIN, (b"cookie", cookie)]
    )

    # then explicit credentials that fail do not fall back to the session
    await _assert_closed_unauthenticated(communicator)


async def test_foreign_origin_is_refused(token):
    communicator = WebsocketCommunicator(
        application,
        "/ws/notifications/",
        headers=[
            (b"origin", b"https://evil.example"),
            (b"authorization", f"Token {token}".encode()),
        ],
    )

    connected, _ = await communicator.connect()

    assert connected is False


def _store_without_push(user):
    return Notification.objects.create(user=user, kind="task.assigned", title="Bị lỡ")


async def test_two_sockets_of_one_user_both_receive(user):
    # given two tabs of the same user
    tabs = [
        WebsocketCommunicator(as_user(NotificationConsumer.as_asgi(), user), "/ws/notifications/")
        for _ in range(2)
    ]
    await asyncio.gather(*(_connect(tab) for tab in tabs))

    # when the user is notified
    notification_id = await _notify(user, "Một")

    # then both tabs get it
    for tab in tabs:
        assert (await tab.receive_json_from())["id"] == notification_id
        await tab.disconnect()
