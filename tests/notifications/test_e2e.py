"""The bell in a real browser against the real ASGI app under uvicorn: list, live, read, catch-up."""

import re
from collections.abc import Iterator

import pytest
from django.test import Client

from notifications.models import Notification
from notifications.selectors import notification_unread_count
from tests.e2e.server import CHROMIUM, CHROMIUM_ARGS, serve

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def live_url(transactional_db) -> Iterator[str]:
    """The app under uvicorn with the bell test's routes (tests/notifications/e2e_urls.py)."""
    with serve("tests.notifications.e2e_urls") as url:
        yield url


def test_bell_lists_receives_live_marks_read_and_catches_up(live_url, user, monkeypatch):
    from playwright.sync_api import expect, sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls here are plain sync.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    # given a logged-in user with one unread notification from before
    old = Notification.objects.create(user=user, kind="plan.returned", title="Kế hoạch bị trả lại")
    client = Client()
    client.force_login(user)
    session_cookie = {"name": "sessionid", "value": client.cookies["sessionid"].value}

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context()
        context.add_cookies([{**session_cookie, "url": live_url}])
        page = context.new_page()
        sockets: list = []  # (page side, server side) of each socket the page opened

        def proxy(route) -> None:
            sockets.append((route, route.connect_to_server()))

        page.route_web_socket(re.compile(r".*/ws/notifications/.*"), proxy)
        bell = page.locator("#notification-bell")
        badge = page.locator("#notification-count")
        items = page.locator("#notification-list .notification-item")

        # when the page opens
        page.goto(f"{live_url}/e2e/bell/")

        # then it lists the old one, counts it, and opens the socket after the newest id it has
        expect(bell).to_have_attribute("data-socket-state", "open")
        expect(items).to_have_count(1)
        expect(items.first).to_contain_text("Kế hoạch bị trả lại")
        expect(badge).to_have_text("1")
        assert sockets[0][0].url.endswith(f"/ws/notifications/?after={old.id}")

        # when a notification is produced on the server
        live_id = page.request.post(
            f"{live_url}/e2e/notify/", form={"title": "Bạn được giao xử lý kế hoạch"}
        ).json()["id"]

        # then it appears at the top without reload, with a toast and the new count
        expect(items).to_have_count(2)
        expect(items.first).to_contain_text("Bạn được giao xử lý kế hoạch")
        expect(items.first.locator("a")).to_have_attribute("href", f"{live_url}/tasks/1/")
        expect(page.locator("#toasts .toast")).to_contain_text("Bạn được giao xử lý kế hoạch")
        expect(badge).to_have_text("2")

        # when the user opens the dropdown
        bell.click()

        # then everything is marked read (a POST with the CSRF token)
        expect(page.locator("#notification-dropdown")).to_be_visible()
        expect(badge).to_be_hidden()
        assert notification_unread_count(user=user) == 0
        page.keyboard.press("Escape")
        expect(page.locator("#notification-dropdown")).to_be_hidden()

        # given one notification stored while its push never reached the page
        missed = Notification.objects.create(user=user, kind="plan.signed", title="Đã ký")

        # when the connection drops
        page_side, server_side = sockets[0]
        server_side.close()
        page_side.close(code=4000, reason="drop")

        # then the page reconnects after the last id it saw and catches up, once
        expect(items).to_have_count(3)
        expect(items.first).to_contain_text("Đã ký")
        expect(badge).to_have_text("1")
        expect(bell).to_have_attribute("data-socket-state", "open")
        assert sockets[1][0].url.endswith(f"?after={live_id}")
        assert missed.id > live_id

        browser.close()


def test_bell_shows_a_page_and_loads_the_older_ones_on_request(live_url, user, monkeypatch):
    from playwright.sync_api import expect, sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    # given a user with 25 notifications
    for i in range(25):
        Notification.objects.create(user=user, kind="task.assigned", title=f"Thông báo số {i}")
    client = Client()
    client.force_login(user)
    session_cookie = {"name": "sessionid", "value": client.cookies["sessionid"].value}

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(locale="vi-VN")
        context.add_cookies([{**session_cookie, "url": live_url}])
        page = context.new_page()
        items = page.locator("#notification-list .notification-item")
        more = page.locator("#notification-more")

        # when the page opens
        page.goto(f"{live_url}/e2e/bell/")

        # then the bell lists the newest 20 and counts all 25 unread
        expect(items).to_have_count(20)
        expect(items.first).to_contain_text("Thông báo số 24")
        expect(page.locator("#notification-count")).to_have_text("25")

        # when the user opens the dropdown and asks for the older ones
        page.locator("#notification-bell").click()
        expect(more).to_be_visible()
        expect(more).to_have_text("Xem thông báo cũ hơn")
        more.click()

        # then the five older ones follow, oldest last, and there is nothing more to load
        expect(items).to_have_count(25)
        expect(items.last).to_contain_text("Thông báo số 0")
        expect(more).to_be_hidden()
        expect(page.locator("#notification-dropdown")).to_be_visible()

        browser.close()
