"""axe-core finds no serious or critical accessibility violation on any kind of page, each
visited as the users who see it (the vendored axe.min.js, see tests/e2e/vendor/axe-core/)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.scenes import login_with, pages_of, scene_build

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
#: The impacts this test refuses (axe's scale: minor, moderate, serious, critical).
REFUSED = {"serious", "critical"}

RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ") + " :: " + n.failureSummary),
  }));
}"""


def _violations(page: Any) -> list[dict[str, Any]]:
    # Evaluated through the DevTools protocol: the page's CSP (no inline script) is untouched.
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    return [v for v in page.evaluate(RUN_AXE) if v["impact"] in REFUSED]


def _summary(found: dict[str, list[dict[str, Any]]]) -> str:
    """One line per rule: the pages and the first elements it names."""
    rules: dict[str, list[str]] = {}
    for where, violations in found.items():
        for v in violations:
            rules.setdefault(f"{v['id']} ({v['impact']}): {v['help']}", []).append(
                f"{where}: {'; '.join(v['nodes'][:2])}"
            )
    return "\n".join(f"{rule}\n  " + "\n  ".join(places) for rule, places in rules.items())


def test_no_page_has_a_serious_accessibility_violation(walk: Any) -> None:
    # given plans at every kind of step, and each user in a browser of their own
    scene = scene_build()
    pages: dict[str, Any] = {}
    found: dict[str, list[dict[str, Any]]] = {}
    for user, path in pages_of(scene):
        page = pages.get(user) or login_with(walk, user)
        pages[user] = page
        # when axe-core checks each page once it has loaded (scripts run)
        page.goto(path)
        expect(page.locator("main#main")).to_be_visible()
        page.wait_for_load_state("load")
        violations = _violations(page)
        if violations:
            found[f"{user or 'anonymous'} {path}"] = violations
    # axe sets style attributes while it measures, which the CSP refuses and reports (at some
    # moment after the run): those reports are axe's. test_small_screens visits the same pages
    # without axe and finds none.
    walk.csp_violations[:] = [v for v in walk.csp_violations if "inline style" not in v]
    # then none is serious or critical
    assert found == {}, _summary(found)
