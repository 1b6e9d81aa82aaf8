"""An issued plan's receipts table updates live when another system's status message (edXML)
arrives at this server's inbox: the drafter sees "03 Đã tiếp nhận" without reloading."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from playwright.sync_api import expect

from exchange.transports import INBOX_PATH, sign_request
from tests.e2e.test_plan_walk import assert_not_reloaded, keep_open, login
from tests.exchange.conftest import SECRET_B, world  # noqa: F401 (the fixture)
from tests.exchange.test_services import _status

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_status_from_another_system_appears_live_in_the_receipts_table(world, walk: Any):  # noqa: F811
    # given the drafter on the page of a plan issued to the ministry (reached through "tinh-b")
    drafter = login(walk, "chuyenvien")
    drafter.goto(f"/ke-hoach/{world.plan.pk}/")
    keep_open(drafter)
    ministry = drafter.locator("#receipts-table tbody tr").filter(
        has_text="Bộ Thông tin và Truyền thông"
    )
    expect(ministry).to_contain_text("edXML: chờ gửi")
    expect(ministry).to_contain_text("Chưa xác nhận")

    # when the ministry's system tells this server's inbox that it accepted the plan
    body = _status(world, "03")
    request = urllib.request.Request(
        walk.base_url + INBOX_PATH,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/xml",
            **sign_request(secret=SECRET_B, own_code="tinh-b", body=body),
        },
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert json.loads(response.read())["result"] == "accepted"

    # then the row shows the status and the acknowledgement, without a reload
    expect(ministry).to_contain_text("03 Đã tiếp nhận")
    expect(ministry).to_contain_text("qua trục liên thông")
    assert_not_reloaded(drafter)
