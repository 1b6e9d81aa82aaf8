"""The agent's own window (http://127.0.0.1:<port>/): where the user pairs pages and types the PIN.

A small page served by the agent itself: it polls `/ui/state` for requests waiting for the user,
shows who asks for what, and sends the decision (with the PIN for a signature) to `/ui/decide`.
Its texts come from the agent's catalogue (`i18n`); its calls carry this run's secret, which is
written into the page and which no other origin can read.
"""

from __future__ import annotations

import html
import json

from .i18n import _, language

TEXTS = (
    "Chương trình ký số — Kế hoạch UBND tỉnh",
    "Chương trình này ký bằng USB token của bạn khi một trang đã ghép nối yêu cầu. Mã PIN chỉ nhập ở đây, không bao giờ nhập trên trang web.",
    "Yêu cầu đang chờ",
    "Không có yêu cầu nào.",
    "Trang %s xin ghép nối với chương trình ký số.",
    "Chỉ đồng ý nếu trang đó đang hiển thị đúng mã ghép nối:",
    "Đồng ý ghép nối",
    "Từ chối",
    "Trang %s xin ký số bằng chứng thư:",
    "Trang %s xin chứng minh quyền giữ khóa để đăng ký chứng thư:",
    "Nội dung (do trang cung cấp):",
    "Mã băm được ký:",
    "Mã PIN của USB token",
    "Ký",
    "Trang đã ghép nối",
    "Chưa ghép nối trang nào.",
    "Hủy ghép nối",
    "Chứng thư trên USB token",
    "Đọc lại token",
    "Không có USB token nào được cắm, hoặc token không có chứng thư.",
    "Vui lòng nhập mã PIN.",
    "hiệu lực đến",
    "do %s cấp",
)


def page(secret: str) -> str:
    texts = json.dumps({text: _(text) for text in TEXTS}, ensure_ascii=False)
    # a JSON data block is not run as a script: the CSP ("script-src 'self'") allows it
    texts = texts.replace("<", "\\u003c")
    return f"""<!doctype html>
<html lang="{language()}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="agent-secret" content="{html.escape(secret)}">
<title>{html.escape(_("Chương trình ký số"))}</title>
<link rel="stylesheet" href="/ui.css">
<script type="application/json" id="texts">{texts}</script>
<script src="/ui.js" defer></script>
</head>
<body>
<main>
<h1>{html.escape(_("Chương trình ký số — Kế hoạch UBND tỉnh"))}</h1>
<p class="lead">{html.escape(_("Chương trình này ký bằng USB token của bạn khi một trang đã ghép nối yêu cầu. Mã PIN chỉ nhập ở đây, không bao giờ nhập trên trang web."))}</p>
<section aria-labelledby="pending-title">
<h2 id="pending-title">{html.escape(_("Yêu cầu đang chờ"))}</h2>
<div id="message" role="status" aria-live="polite"></div>
<div id="pending"></div>
</section>
<section aria-labelledby="certificates-title">
<h2 id="certificates-title">{html.escape(_("Chứng thư trên USB token"))}</h2>
<div id="certificates"></div>
<button type="button" id="reload-certificates">{html.escape(_("Đọc lại token"))}</button>
</section>
<section aria-labelledby="paired-title">
<h2 id="paired-title">{html.escape(_("Trang đã ghép nối"))}</h2>
<ul id="paired"></ul>
</section>
</main>
</body>
</html>
"""


SCRIPT = r"""
(function () {
  "use strict";
  const secret = document.querySelector("meta[name=agent-secret]").content;
  const texts = JSON.parse(document.getElementById("texts").textContent);
  const t = (s) => texts[s] || s;
  const fmt = (s, v) => t(s).replace("%s", v);
  const pendingBox = document.getElementById("pending");
  const baseTitle = document.title;
  const message = document.getElementById("message");
  let shown = "";

  async function call(path, body) {
    const init = { headers: { "X-Agent-Secret": secret }, cache: "no-store" };
    if (body !== undefined) {
      init.method = "POST";
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    return response.json();
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    children.forEach((c) => node.append(c));
    return node;
  }

  function say(text, kind) {
    message.textContent = text || "";
    message.className = kind || "";
  }

  async function decide(id, approve, pin) {
    const result = await call("/ui/decide", { id, approve, pin });
    if (result.error && result.detail) say(result.detail, "error");
    else say(result.message, result.ok ? "ok" : "error");
  }

  function requestCard(request) {
    const card = el("article", { class: "request", "data-request": request.kind });
    if (request.kind === "pair") {
      card.append(el("p", {}, fmt("Trang %s xin ghép nối với chương trình ký số.", request.origin)));
      card.append(el("p", {}, t("Chỉ đồng ý nếu trang đó đang hiển thị đúng mã ghép nối:")));
      card.append(el("p", { class: "code", "data-pairing-code": "" }, request.code));
      const yes = el("button", { type: "button", class: "primary" }, t("Đồng ý ghép nối"));
      const no = el("button", { type: "button" }, t("Từ chối"));
      yes.addEventListener("click", () => decide(request.id, true));
      no.addEventListener("click", () => decide(request.id, false));
      card.append(el("p", { class: "actions" }, yes, " ", no));
      return card;
    }
    const heading = request.purpose === "enrol"
      ? "Trang %s xin chứng minh quyền giữ khóa để đăng ký chứng thư:"
      : "Trang %s xin ký số bằng chứng thư:";
    const c = request.certificate;
    card.append(el("p", {}, fmt(heading, request.origin)));
    card.append(el("p", { class: "certificate" }, el("strong", {}, c.subject), " — ",
      fmt("do %s cấp", c.issuer), " — ", t("hiệu lực đến"), " ", c.not_after, " (", c.token_label, ")"));
    if (request.description) {
      card.append(el("p", {}, t("Nội dung (do trang cung cấp):"), " ", el("q", {}, request.description)));
    }
    card.append(el("p", { class: "digest" }, t("Mã băm được ký:"), " ", el("code", {}, request.digest)));
    const form = el("form", { autocomplete: "off" });
    const label = el("label", { for: "pin-" + request.id }, t("Mã PIN của USB token"));
    const pin = el("input", { type: "password", id: "pin-" + request.id, name: "pin", autocomplete: "off", inputmode: "numeric" });
    const sign = el("button", { type: "submit", class: "primary" }, t("Ký"));
    const no = el("button", { type: "button" }, t("Từ chối"));
    no.addEventListener("click", () => decide(request.id, false));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!pin.value) { say(t("Vui lòng nhập mã PIN."), "error"); pin.focus(); return; }
      const value = pin.value;
      pin.value = "";
      sign.disabled = true;
      decide(request.id, true, value);
    });
    form.append(label, pin, " ", sign, " ", no);
    card.append(form);
    return card;
  }

  let version = -1;

  /** Wait for what changes (a long poll), redraw, and wait again. */
  async function watch() {
    for (;;) {
      try {
        await refresh(true);
      } catch (_error) {
        await new Promise((resolve) => window.setTimeout(resolve, 1000));
      }
    }
  }

  async function refresh(waiting) {
    const state = await call("/ui/state" + (waiting ? "?after=" + version : ""));
    version = state.version;
    const key = JSON.stringify(state.pending.map((p) => p.id));
    if (key !== shown) {
      shown = key;
      pendingBox.replaceChildren();
      if (!state.pending.length) pendingBox.append(el("p", { class: "empty" }, t("Không có yêu cầu nào.")));
      state.pending.forEach((request) => pendingBox.append(requestCard(request)));
      const first = pendingBox.querySelector("input[name=pin]");
      if (first) first.focus();
      if (state.pending.length) window.focus();
      document.title = (state.pending.length ? "(" + state.pending.length + ") " : "") + baseTitle;
    }
    const paired = document.getElementById("paired");
    paired.replaceChildren();
    if (!state.paired.length) paired.append(el("li", { class: "empty" }, t("Chưa ghép nối trang nào.")));
    state.paired.forEach((origin) => {
      const button = el("button", { type: "button" }, t("Hủy ghép nối"));
      button.addEventListener("click", async () => { await call("/ui/unpair", { origin }); refresh(false); });
      paired.append(el("li", {}, origin, " ", button));
    });
  }

  async function certificates() {
    const box = document.getElementById("certificates");
    const data = await call("/ui/certificates");
    box.replaceChildren();
    if (!data.certificates.length) {
      box.append(el("p", { class: "empty" }, data.error || t("Không có USB token nào được cắm, hoặc token không có chứng thư.")));
      return;
    }
    const list = el("ul");
    data.certificates.forEach((c) => list.append(el("li", {}, el("strong", {}, c.subject), " — ",
      fmt("do %s cấp", c.issuer), " — ", t("hiệu lực đến"), " ", c.not_after.slice(0, 10), " (", c.token_label, ")")));
    box.append(list);
  }

  document.getElementById("reload-certificates").addEventListener("click", certificates);
  certificates();
  watch();
})();
"""

STYLE = """
body { font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #f4f6f9; color: #1d2733; }
main { max-width: 46rem; margin: 0 auto; padding: 1.5rem; }
h1 { font-size: 1.4rem; margin: 0 0 .5rem; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
.lead { color: #47525e; }
.request { background: #fff; border: 2px solid #0b5cab; border-radius: 8px; padding: 1rem;
  margin: .5rem 0; }
.code { font-size: 2rem; letter-spacing: .3rem; font-weight: 700; }
.digest code { word-break: break-all; font-size: .85rem; }
button { font: inherit; padding: .4rem .9rem; border-radius: 6px; border: 1px solid #8a96a3;
  background: #fff; cursor: pointer; }
button.primary { background: #0b5cab; color: #fff; border-color: #0b5cab; }
input[type=password] { font: inherit; padding: .35rem; margin: 0 .5rem; width: 10rem; }
#message.error { color: #a4161a; font-weight: 600; }
#message.ok { color: #1b7a3a; font-weight: 600; }
.empty { color: #66717d; }
"""
