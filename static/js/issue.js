/*
 * The clerk's issuance task: the number and date the issuance will give stay current while the
 * page is open. The small JSON of [data-issue-preview]'s data-url (web/views_issue.py) is read
 * every few seconds while the page is visible, and at once when a notification arrives; when
 * another clerk has taken the number shown, the page shows the new one, says so (aria-live) and
 * the form's expected_number follows, so that the result page can tell if it changed again
 * before the confirmation.
 */
(function () {
  "use strict";

  const t = typeof window.gettext === "function" ? window.gettext : (s) => s;
  const box = document.querySelector("[data-issue-preview]");
  if (!box) return;
  const POLL_MS = 5000;
  const numberOut = box.querySelector("[data-issue-number]");
  const dateOut = box.querySelector("[data-issue-date]");
  const changed = box.querySelector("[data-issue-changed]");
  const expected = box.querySelector("[data-issue-expected]");
  let timer = null;
  let stopped = false;

  async function check() {
    if (stopped) return;
    let data;
    try {
      const response = await fetch(box.dataset.url, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        cache: "no-store",
      });
      if (!response.ok) {
        stopped = true; // issued meanwhile, or no longer the clerk's: the page's own state rules
        return;
      }
      data = await response.json();
    } catch (_error) {
      return; // offline: the next tick tries again
    }
    const shown = numberOut.textContent.trim();
    const next = String(data.number_text || "").replace(/^Số:\s*/, "");
    dateOut.textContent = data.date_text || dateOut.textContent;
    if (next && next !== shown) {
      numberOut.textContent = next;
      expected.value = String(data.number);
      changed.textContent = t("Số %(old)s vừa được cấp cho văn bản khác; số sẽ cấp bây giờ là %(new)s.")
        .replace("%(old)s", shown)
        .replace("%(new)s", next);
      changed.hidden = false;
    }
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(async () => {
      if (document.visibilityState === "visible") await check();
      if (!stopped) schedule();
    }, POLL_MS);
  }

  document.addEventListener("notifications:received", () => { check(); });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") check();
  });
  schedule();
})();
