/*
 * Small behaviours of the pages (loaded on every page, each part only acts if its elements exist):
 * - flash messages can be dismissed;
 * - forms and buttons with data-confirm ask first;
 * - task forms: a comment is required by some actions (the server checks it too);
 * - choosing agencies: filter the unit list, select a whole group;
 * - budget review: a line's adjusted amount is asked for only when "adjust" is chosen;
 * - plan and task pages update live: the notification script dispatches an event on `document`
 *   ("notification", or "notifications:received" as notifications.js names it; e.detail is the
 *   payload, e.detail.data.plan_id the plan); when it names this plan,
 *   the consultation table (and an issued plan's receipts table, with the edXML statuses that
 *   come back from other systems) is reloaded from its fragment URL, and a banner offers a
 *   reload when the plan's status changed.
 */
(function () {
  "use strict";

  const t = typeof window.gettext === "function" ? window.gettext : (s) => s;

  function onReady(fn) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
    else fn();
  }

  // Budget review: the adjusted amount only when the line is adjusted ----------------------------
  function syncBudgetLine(line) {
    const amount = line && line.querySelector("[data-budget-amount]");
    if (!amount) return;
    const chosen = line.querySelector("[data-budget-verdict]:checked");
    const adjusting = Boolean(chosen && chosen.value === "adjust");
    amount.hidden = !adjusting;
    const input = amount.querySelector("input");
    if (input) input.required = adjusting;
  }
  function syncBudgetLines() {
    document.querySelectorAll("[data-budget-line]").forEach(syncBudgetLine);
  }
  onReady(syncBudgetLines);
  document.addEventListener("live:updated", syncBudgetLines); // a task form live.js brought
  document.addEventListener("change", (event) => {
    const target = event.target;
    if (target.matches && target.matches("[data-budget-verdict]")) {
      syncBudgetLine(target.closest("[data-budget-line]"));
    }
  });

  // Dismissible flash messages ----------------------------------------------------------------
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-dismiss]");
    if (button) button.closest(".alert").remove();
  });

  // Confirmations and required comments --------------------------------------------------------
  document.addEventListener("submit", (event) => {
    const form = event.target;
    const submitter = event.submitter || null;
    if (form.hasAttribute("data-task-form") && submitter && submitter.hasAttribute("data-comment-required")) {
      const comment = form.querySelector("[data-comment]");
      const error = form.querySelector("[data-comment-error]");
      if (comment && !comment.value.trim()) {
        event.preventDefault();
        if (error) error.hidden = false;
        comment.setAttribute("aria-invalid", "true");
        comment.focus();
        return;
      }
    }
    const question = (submitter && submitter.dataset.confirm) || form.dataset.confirm;
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    if (!event.defaultPrevented) {
      // One click, one submission: the services refuse a second one anyway.
      window.setTimeout(() => {
        form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = true; });
      }, 0); // after the form data (with the chosen action) has been read
    }
  });

  window.addEventListener("pageshow", () => {
    // Back from the next page (bfcache): the buttons must work again.
    document.querySelectorAll("form button[type=submit]:disabled").forEach((b) => { b.disabled = false; });
  });

  document.addEventListener("input", (event) => {
    if (event.target.matches("[data-comment]")) {
      const error = event.target.form && event.target.form.querySelector("[data-comment-error]");
      if (error) error.hidden = true;
      event.target.removeAttribute("aria-invalid");
    }
  });

  // Choosing agencies ---------------------------------------------------------------------------
  document.addEventListener("input", (event) => {
    if (!event.target.matches("[data-unit-filter]")) return;
    const q = event.target.value.trim().toLowerCase();
    const form = event.target.form;
    form.querySelectorAll("label[data-unit-name]").forEach((label) => {
      label.hidden = Boolean(q) && !label.dataset.unitName.includes(q);
    });
    form.querySelectorAll("[data-unit-group]").forEach((group) => {
      group.hidden = !group.querySelector("label[data-unit-name]:not([hidden])");
    });
  });

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-check-all]");
    if (!button) return;
    const group = button.closest("[data-unit-group]");
    const boxes = Array.from(group.querySelectorAll("label:not([hidden]) input[type=checkbox]"));
    const check = boxes.some((b) => !b.checked);
    boxes.forEach((b) => { b.checked = check; });
    button.textContent = check ? t("bỏ chọn cả nhóm") : t("chọn cả nhóm");
  });

  // Wide tables: a .table-wrap that scrolls sideways is a region the keyboard can reach and
  // scroll (tabindex=0), named after its table; one that fits is left out of the tab order.
  function markScrollRegions() {
    document.querySelectorAll(".table-wrap").forEach((wrap) => {
      const scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
      if (scrolls && !wrap.hasAttribute("tabindex")) {
        const table = wrap.querySelector("table");
        const caption = table && table.querySelector("caption");
        const section = wrap.closest("section, details");
        const heading = section && section.querySelector("h2, h3, summary");
        const name = (caption || heading || {}).textContent || t("Bảng");
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("role", "region");
        wrap.setAttribute("aria-label", name.trim().replace(/\s+/g, " ") + " " + t("(cuộn ngang để xem hết)"));
        wrap.dataset.scrollRegion = "";
      } else if (!scrolls && wrap.hasAttribute("data-scroll-region")) {
        ["tabindex", "role", "aria-label", "data-scroll-region"].forEach((a) => wrap.removeAttribute(a));
      }
    });
  }
  onReady(markScrollRegions);
  let resizeTimer = null;
  window.addEventListener("resize", () => {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(markScrollRegions, 100);
  });
  document.addEventListener("live:updated", markScrollRegions);
  document.addEventListener("toggle", markScrollRegions, true); // a <details> opened

  // Live updates of a plan's page -----------------------------------------------------------------
  onReady(() => {
    const page = document.getElementById("plan-page");
    // A page with data-live-page is refreshed region by region by live.js.
    if (!page || page.hasAttribute("data-live-page")) return;
    const planId = Number(page.dataset.planId);
    const banner = document.getElementById("plan-live-banner");
    let reloading = null;

    function showBanner(text) {
      if (!banner) return;
      banner.querySelector("[data-text]").textContent = text;
      banner.hidden = false;
    }

    async function reloadConsultations() {
      const box = document.getElementById("consultations-table");
      if (!box) {
        showBanner(t("Văn bản vừa có cập nhật mới."));
        return;
      }
      if (reloading) reloading.abort();
      reloading = new AbortController();
      try {
        const response = await fetch(page.dataset.consultationsUrl, {
          credentials: "same-origin",
          headers: { "X-Requested-With": "XMLHttpRequest" },
          signal: reloading.signal,
        });
        if (response.ok) {
          box.innerHTML = await response.text();
          box.classList.remove("flash-update");
          void box.offsetWidth; // restart the highlight animation
          box.classList.add("flash-update");
        }
      } catch (_error) {
        // Aborted or offline: the next notification or a reload brings the table up to date.
      }
    }

    const seen = new Set();
    function onNotification(event) {
      const payload = event.detail || {};
      const info = payload.data || {};
      if (Number(info.plan_id) !== planId) return;
      if (payload.id != null) {
        // Both event names may carry the same notification: act once.
        if (seen.has(payload.id)) return;
        seen.add(payload.id);
      }
      reloadConsultations();
      if (info.status && info.status !== page.dataset.status) {
        showBanner(payload.title ? payload.title + ". " + t("Trạng thái văn bản đã thay đổi.") : t("Trạng thái văn bản đã thay đổi."));
      }
    }
    // "notification" is the agreed name; notifications.js also emits "notifications:received".
    document.addEventListener("notification", onNotification);
    document.addEventListener("notifications:received", onNotification);
  });
})();
