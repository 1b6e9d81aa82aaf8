/*
 * Choosing a consultation deadline: shows the date a deadline in working days (or a date that
 * may fall on a day off) ends on, as the server computes it (GET /api/v1/calendar/deadline/),
 * before the drafter sends. The server computes it again when the form is sent.
 */
(function () {
  "use strict";

  function setup(box) {
    if (box.dataset.deadlineReady) return;
    box.dataset.deadlineReady = "1";
    const url = box.getAttribute("data-preview-url");
    const days = box.querySelector("[data-deadline-days]");
    const date = box.querySelector("[data-deadline-date]");
    const preview = box.querySelector("[data-deadline-preview]");
    let asked = 0;

    function mode() {
      const checked = box.querySelector("[data-deadline-mode]:checked");
      return checked ? checked.value : "working_days";
    }

    function show(text) {
      preview.textContent = "";
      const strong = document.createElement("strong");
      strong.textContent = text;
      preview.appendChild(strong);
    }

    function refresh() {
      const byDays = mode() === "working_days";
      days.disabled = !byDays;
      date.disabled = byDays;
      const query = byDays
        ? "working_days=" + encodeURIComponent(days.value)
        : "date=" + encodeURIComponent((date.value || "").slice(0, 10));
      if ((byDays && !days.value) || (!byDays && !date.value)) {
        show("");
        return;
      }
      if (!url) return;
      const mine = ++asked;
      fetch(url + "?" + query, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then((response) => response.json())
        .then((answer) => {
          if (mine !== asked) return;
          show(answer.label || answer.detail || "");
        })
        .catch(() => {});
    }

    box.addEventListener("change", refresh);
    days.addEventListener("input", refresh);
    refresh();
  }

  function onReady(fn) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
    else fn();
  }

  function setupAll() {
    document.querySelectorAll("[data-deadline-choice]").forEach(setup);
  }
  onReady(setupAll);
  // The task form may arrive later, in a part of the plan's page that live.js refreshed.
  document.addEventListener("live:updated", setupAll);
})();
