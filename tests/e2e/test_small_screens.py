"""At 390 × 844 (a phone), every main page fits the screen: the page never scrolls sideways,
wide tables scroll inside a labelled region the keyboard reaches, and the buttons are on screen."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.scenes import PHONE, login_with, pages_of, scene_build

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const e of document.querySelectorAll("body *")) {
    if (e.closest("[data-scroll-region], .skip-link")) continue;
    const r = e.getBoundingClientRect();
    if (r.width && (r.right > width + 1 || r.left < -1)) {
      wide.push(`${e.tagName.toLowerCase()}.${e.className} ${Math.round(r.left)}..${Math.round(r.right)}`);
    }
  }
  return {scroll: document.scrollingElement.scrollWidth, wide: wide.slice(0, 8)};
}"""

BUTTONS_OFF_SCREEN = """() => {
  const width = document.documentElement.clientWidth;
  return Array.from(document.querySelectorAll("main .btn, main button"))
    .filter((b) => b.offsetParent !== null && !b.closest("[data-scroll-region], details:not([open])"))
    .filter((b) => { const r = b.getBoundingClientRect(); return r.left < 0 || r.right > width; })
    .map((b) => b.textContent.trim());
}"""

SCROLL_REGIONS = """() => Array.from(document.querySelectorAll(".table-wrap"))
  .filter((w) => w.scrollWidth > w.clientWidth)
  .map((w) => ({focusable: w.tabIndex === 0, label: w.getAttribute("aria-label") || w.getAttribute("aria-labelledby") || "", role: w.getAttribute("role") || ""}))"""


def test_main_pages_fit_a_phone_screen(walk: Any) -> None:
    # given plans at several steps and each user on a phone
    scene = scene_build()
    pages: dict[str, Any] = {}
    for user, path in pages_of(scene):
        page = pages.get(user) or login_with(walk, user, viewport=PHONE)
        pages[user] = page
        # when the page is shown at 390 px
        page.goto(path)
        expect(page.locator("main#main")).to_be_visible()
        page.wait_for_load_state("load")
        # then nothing runs off the side, and the buttons are on screen
        overflow = page.evaluate(OVERFLOW)
        assert overflow["scroll"] <= PHONE["width"], (user, path, overflow)
        assert page.evaluate(BUTTONS_OFF_SCREEN) == [], (user, path)
        # and a table wider than the screen scrolls in a focusable, labelled region
        for region in page.evaluate(SCROLL_REGIONS):
            assert region["focusable"] and region["label"] and region["role"] == "region", (
                user,
                path,
                region,
            )
