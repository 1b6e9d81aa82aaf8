/*
 * Pages that follow the server: when a notification concerns the page, the parts of it that may
 * have changed are fetched again and replaced in place, without a reload.
 *
 * Contract with the page:
 *   [data-live-page]           the page's root; data-live-page="inbox" reacts to every
 *                              notification, "plan" only to those whose data.plan_id is the
 *                              root's data-plan-id. data-live-url: what to fetch (default: the
 *                              page's own URL, so the inbox keeps its paging).
 *   [data-live-region][id]     a part replaced by the element of the same id in the fetched page.
 *                              A region holding a form the user has started to fill in (or where
 *                              the focus is in a field) is left alone, and #plan-live-banner
 *                              offers a reload instead.
 *   #live-status               an aria-live region (base.html) that announces what changed.
 * Keyboard focus survives a replacement: the element with the same id, name or link (and text)
 * in the new region takes it back, else the region itself; a <details> the user opened stays open.
 * The notifications come from notifications.js ("notifications:received" on document).
 */
(function () {
  "use strict";

  const t = typeof window.gettext === "function" ? window.gettext : (s) => s;
  const root = document.querySelector("[data-live-page]");
  if (!root) return;
  const kind = root.dataset.livePage;
  const planId = Number(root.dataset.planId || 0);
  let controller = null;
  let pending = null;
  const burst = [];
  const seen = new Set();

  function announce(text) {
    const status = document.getElementById("live-status");
    if (!status || !text) return;
    // A change of text is what screen readers announce: clear first, then set.
    status.textContent = "";
    window.setTimeout(() => { status.textContent = text; }, 50);
  }

  function focusKey(element) {
    if (!element || element === document.body) return null;
    if (element.id) return { selector: "#" + CSS.escape(element.id) };
    if (element.name) return { selector: `[name="${CSS.escape(element.name)}"]` };
    const href = element.getAttribute("href");
    if (href) return { selector: `a[href="${CSS.escape(href)}"]`, text: element.textContent.trim() };
    return null;
  }

  function findByKey(region, key) {
    if (!key) return null;
    const found = Array.from(region.querySelectorAll(key.selector));
    if (key.text) return found.find((e) => e.textContent.trim() === key.text) || found[0] || null;
    return found[0] || null;
  }

  function isBusy(region) {
    const active = document.activeElement;
    if (active && region.contains(active) && active.matches("input, textarea, select")) return true;
    return Array.from(region.querySelectorAll("input, textarea, select")).some((field) => {
      if (field.type === "hidden") return false;
      if (field.type === "checkbox" || field.type === "radio") {
        return field.checked !== field.defaultChecked;
      }
      if (field.tagName === "SELECT") {
        return Array.from(field.options).some((o) => o.selected !== o.defaultSelected);
      }
      return field.value !== field.defaultValue;
    });
  }

  function summaryText(details) {
    const summary = details.querySelector("summary");
    return summary ? summary.textContent.trim() : "";
  }

  function replaceRegion(region, fresh) {
    const active = document.activeElement;
    const hadFocus = active && region.contains(active);
    const key = hadFocus ? focusKey(active) : null;
    // A <details> the user opened stays open.
    const opened = new Set(Array.from(region.querySelectorAll("details[open]")).map(summaryText));
    fresh.querySelectorAll("details").forEach((d) => {
      if (opened.has(summaryText(d))) d.open = true;
    });
    region.replaceWith(fresh);
    fresh.classList.add("flash-update");
    if (hadFocus) {
      const target = findByKey(fresh, key);
      if (target) {
        target.focus();
      } else {
        if (!fresh.hasAttribute("tabindex")) fresh.setAttribute("tabindex", "-1");
        fresh.focus();
      }
    }
  }

  function showBanner(text) {
    const banner = document.getElementById("plan-live-banner");
    if (!banner) return;
    banner.querySelector("[data-text]").textContent = text;
    banner.hidden = false;
  }

  async function refresh(message) {
    if (controller) controller.abort();
    controller = new AbortController();
    let html;
    try {
      const response = await fetch(root.dataset.liveUrl || window.location.href, {
        credentials: "same-origin",
        headers: { "X-Requested-With": "XMLHttpRequest" },
        signal: controller.signal,
      });
      if (!response.ok || response.redirected) {
        // The page is gone for this user (e.g. the task was closed): say so, do not guess.
        showBanner(t("Văn bản vừa có cập nhật mới."));
        return;
      }
      html = await response.text();
    } catch (_error) {
      return; // aborted by a newer refresh, or offline: the next notification tries again
    }
    const fresh = new DOMParser().parseFromString(html, "text/html");
    let skipped = false;
    document.querySelectorAll("[data-live-region][id]").forEach((region) => {
      const next = fresh.getElementById(region.id);
      if (!next) {
        region.remove();
        return;
      }
      if (next.innerHTML === region.innerHTML) return;
      // A signing form is wired up by signing.js when the page loads: reload for a new one.
      if (isBusy(region) || region.querySelector("[data-sign-form]") || next.querySelector("[data-sign-form]")) {
        skipped = true;
        return;
      }
      replaceRegion(region, document.importNode(next, true));
    });
    // Regions that appear (a task panel, a consultation table) go where the new page has them.
    fresh.querySelectorAll("[data-live-region][id]").forEach((next) => {
      if (document.getElementById(next.id)) return;
      const before = next.previousElementSibling;
      const anchor = before && before.id ? document.getElementById(before.id) : null;
      if (anchor) anchor.after(document.importNode(next, true));
    });
    const newRoot = fresh.querySelector("[data-live-page]");
    if (newRoot && newRoot.dataset.status) root.dataset.status = newRoot.dataset.status;
    if (skipped) showBanner(t("Văn bản vừa có cập nhật mới."));
    document.dispatchEvent(new CustomEvent("live:updated"));
    announce(message);
  }

  function concerns(payload) {
    if (kind === "inbox") return true;
    const info = payload.data || {};
    return Number(info.plan_id) === planId;
  }

  function onNotification(event) {
    const payload = event.detail || {};
    if (payload.id != null) {
      if (seen.has(payload.id)) return;
      seen.add(payload.id);
    }
    if (!concerns(payload)) return;
    let message = payload.title || t("Có cập nhật mới.");
    if (kind === "inbox" && payload.kind === "task.assigned") {
      message = t("Có việc mới trong hộp việc:") + " " + (payload.title || "");
    }
    // Several notifications in a burst: one fetch after the last, all of them announced.
    burst.push(message);
    window.clearTimeout(pending);
    pending = window.setTimeout(() => {
      const said = burst.splice(0).join(" · ");
      refresh(said);
    }, 150);
  }

  document.addEventListener("notifications:received", onNotification);
})();
