/*
 * Digital signing in the browser: the signer's key lives here, never on the server.
 *
 * - The page "Thiết bị ký số" ([data-signing-devices]) enrols this browser: a NON-EXTRACTABLE
 *   ECDSA P-256 key pair (WebCrypto) is created, its public key (SPKI) is sent with a signature
 *   over a fresh server nonce (proof of possession), and the server answers with the device and
 *   its certificate. The key pair (CryptoKey objects, stored as they are) and the device id are
 *   kept in IndexedDB, database "kehoach-signing", store "keys", one entry per user id, so two
 *   people using the same browser never mix keys. The page also revokes devices (and forgets
 *   this browser's key when its device is revoked) and uploads the signature image (PNG).
 * - The same page finds the signing agent (agent/, `kehoach-agent`) on the signer's computer at
 *   [data-agent-url] (127.0.0.1), pairs this site with it (a code shown here, confirmed in the
 *   agent's own window) and enrols a USB token's certificate: the token signs SHA-256 of a
 *   server nonce through the agent (the PIN is typed in the agent's window, never here) and the
 *   server checks the certificate with its CA.
 * - The task form of the "sign" step ([data-sign-form]) says which key signs ([data-sign-method]):
 *   the USB token through the agent when the agent runs, is paired with this site and a token
 *   plugged in carries one of the user's active token certificates; else this browser's key;
 *   and why neither can. "Ký số" asks the server to prepare the document (POST …/sign/prepare/
 *   with the device id). The browser key signs the DER it receives (`to_be_signed`; WebCrypto
 *   hashes it and answers the 64-byte r‖s); the token, through the agent, signs the SHA-256
 *   digest it receives instead. The session id and the signature (base64) go into the form's
 *   hidden fields and the form is submitted with action "sign"; the server finishes the
 *   signature, completes the task and redirects with its usual messages. Other actions ("Trả
 *   lại") post the form as usual.
 *
 * Needs a secure context (HTTPS, or http://localhost / 127.0.0.1): elsewhere `crypto.subtle`
 * does not exist. An HTTPS page may call http://127.0.0.1 (a potentially trustworthy origin);
 * Chrome may ask the user once to allow access to devices on the local network. Load this script after plan.js (base.html's extra_js block): its submit
 * handler runs after plan.js's one, which asks for confirmation and checks required comments.
 */
(function () {
  "use strict";

  const t = typeof window.gettext === "function" ? window.gettext : (s) => s;
  const interpolate =
    typeof window.interpolate === "function"
      ? window.interpolate
      : (fmt, obj) => fmt.replace(/%\((\w+)\)s/g, (_m, k) => String(obj[k]));

  const DB_NAME = "kehoach-signing";
  const STORE = "keys";
  const KEY_ALGORITHM = { name: "ECDSA", namedCurve: "P-256" };
  const SIGN_ALGORITHM = { name: "ECDSA", hash: "SHA-256" };
  const SIGN_FORMAT = "ECDSA-P256-SHA256";

  function onReady(fn) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
    else fn();
  }

  /** An error whose message is meant for the user (Vietnamese), optionally with a link. */
  class SigningError extends Error {
    constructor(message, link) {
      super(message);
      this.link = link || null;
    }
  }

  function userMessage(error) {
    if (error instanceof SigningError) return error.message;
    console.error(error); // eslint-disable-line no-console
    return t("Đã xảy ra lỗi không mong muốn trong trình duyệt. Vui lòng tải lại trang và thử lại.");
  }

  // What the browser can do -----------------------------------------------------------------------

  /** Why this browser cannot sign here, or null. */
  function cryptoProblem() {
    if (!window.isSecureContext || !window.crypto || !window.crypto.subtle) {
      return t(
        "Trình duyệt chỉ cho phép ký số trên HTTPS hoặc localhost. Vui lòng mở hệ thống qua địa chỉ https://."
      );
    }
    if (!window.indexedDB) {
      return t(
        "Trình duyệt không cho phép lưu khóa ký (IndexedDB bị tắt, ví dụ ở chế độ ẩn danh). Vui lòng dùng cửa sổ thường."
      );
    }
    return null;
  }

  // IndexedDB: a small promise wrapper --------------------------------------------------------------

  function settle(request) {
    return new Promise((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  function openDb() {
    let request;
    try {
      request = window.indexedDB.open(DB_NAME, 1);
    } catch (error) {
      return Promise.reject(error);
    }
    request.onupgradeneeded = () => {
      request.result.createObjectStore(STORE, { keyPath: "userId" });
    };
    return settle(request);
  }

  /** Run one request on the store and wait until its transaction has committed. */
  async function withStore(mode, makeRequest) {
    let db;
    try {
      db = await openDb();
    } catch (_error) {
      throw new SigningError(
        t("Không mở được kho khóa ký của trình duyệt (IndexedDB). Vui lòng kiểm tra cài đặt quyền riêng tư của trình duyệt.")
      );
    }
    try {
      const tx = db.transaction(STORE, mode);
      const committed = new Promise((resolve, reject) => {
        tx.oncomplete = () => resolve();
        tx.onabort = () => reject(tx.error);
        tx.onerror = () => reject(tx.error);
      });
      const result = await settle(makeRequest(tx.objectStore(STORE)));
      await committed;
      return result;
    } finally {
      db.close();
    }
  }

  const keyStore = {
    /** {userId, deviceId, keyPair, label, createdAt} of `userId` in this browser, or undefined. */
    get: (userId) => withStore("readonly", (store) => store.get(String(userId))),
    put: (entry) => withStore("readwrite", (store) => store.put(entry)),
    remove: (userId) => withStore("readwrite", (store) => store.delete(String(userId))),
  };

  // Encoding and the API ----------------------------------------------------------------------------

  function toBase64(buffer) {
    const bytes = new Uint8Array(buffer);
    let binary = "";
    for (let i = 0; i < bytes.length; i += 0x8000) {
      binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return window.btoa(binary);
  }

  function fromBase64(text) {
    let clean = String(text || "").replace(/\s+/g, "").replace(/-/g, "+").replace(/_/g, "/");
    clean += "=".repeat((4 - (clean.length % 4)) % 4);
    const binary = window.atob(clean);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function statusMessage(status) {
    if (status === 401 || status === 403) {
      return t("Bạn không có quyền thực hiện thao tác này, hoặc phiên đăng nhập đã hết. Vui lòng tải lại trang.");
    }
    if (status === 404) return t("Không tìm thấy dữ liệu yêu cầu.");
    if (status === 413) return t("Tệp quá lớn.");
    return interpolate(t("Máy chủ không xử lý được yêu cầu (mã lỗi %(status)s). Vui lòng thử lại."), { status }, true);
  }

  /** fetch() to the API with the session's CSRF token; the JSON answer, or a SigningError with
   * the server's Vietnamese `detail`. */
  async function api(url, { method = "POST", json, body } = {}) {
    if (!url) throw new SigningError(t("Trang thiếu địa chỉ dịch vụ ký số. Vui lòng tải lại trang."));
    const headers = { "X-CSRFToken": csrfToken(), Accept: "application/json" };
    let payload = body;
    if (json !== undefined) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(json);
    }
    let response;
    try {
      response = await fetch(url, { method, headers, body: payload, credentials: "same-origin" });
    } catch (_error) {
      throw new SigningError(t("Không kết nối được với máy chủ. Vui lòng kiểm tra mạng và thử lại."));
    }
    let data = null;
    if ((response.headers.get("content-type") || "").includes("json")) {
      try {
        data = await response.json();
      } catch (_error) {
        data = null;
      }
    }
    if (!response.ok) {
      const detail = data && (data.detail || data.error);
      throw new SigningError(typeof detail === "string" && detail ? detail : statusMessage(response.status));
    }
    return data;
  }

  // The signing agent: a program on the signer's computer that signs with their USB token ----------

  const AGENT_PROBE_MS = 1500;

  /** What the agent's refusal codes mean for the user (the agent's own text is the fallback). */
  function agentMessage(code, detail) {
    const messages = {
      not_paired: t("Trang này chưa được ghép nối với chương trình ký số. Hãy ghép nối ở trang Thiết bị ký số."),
      refused: t("Bạn đã từ chối trên chương trình ký số; chưa có gì được ký."),
      pin_incorrect: t("Mã PIN không đúng; chưa có gì được ký. Hãy ký lại và nhập đúng mã PIN trên cửa sổ của chương trình ký số."),
      pin_locked: t("Mã PIN của USB token đã bị khóa do nhập sai nhiều lần; hãy liên hệ nơi cấp token."),
      pin_invalid: t("Mã PIN không hợp lệ; chưa có gì được ký."),
      token_removed: t("Không tìm thấy USB token: token đã bị rút ra hoặc không đọc được; chưa có gì được ký. Hãy cắm lại token rồi ký lại."),
      certificate_not_found: t("Không tìm thấy chứng thư của bạn trên USB token đang cắm. Hãy cắm đúng USB token rồi thử lại."),
      key_not_found: t("USB token không có khóa bí mật đi kèm chứng thư này."),
      timeout: t("Hết thời gian chờ xác nhận trên chương trình ký số; chưa có gì được ký."),
      busy: t("Chương trình ký số đang chờ bạn xác nhận một yêu cầu khác; hãy hoàn tất hoặc từ chối yêu cầu đó trước."),
    };
    return messages[code] || detail || t("Chương trình ký số báo lỗi. Vui lòng thử lại.");
  }

  /** A call to the agent on 127.0.0.1 (cross-origin; no cookies). Its answer, or a SigningError. */
  async function agentCall(base, path, { json, timeoutMs } = {}) {
    if (!base) throw new SigningError(t("Trang thiếu địa chỉ chương trình ký số. Vui lòng tải lại trang."));
    const controller = timeoutMs ? new AbortController() : null;
    const timer = controller ? window.setTimeout(() => controller.abort(), timeoutMs) : null;
    const init = { method: "GET", mode: "cors", credentials: "omit", cache: "no-store" };
    if (json !== undefined) {
      init.method = "POST";
      init.headers = { "Content-Type": "application/json" };
      init.body = JSON.stringify(json);
    }
    if (controller) init.signal = controller.signal;
    let response;
    try {
      response = await fetch(base.replace(/\/$/, "") + path, init);
    } catch (_error) {
      throw new SigningError(
        t("Không kết nối được với chương trình ký số trên máy này. Hãy kiểm tra chương trình đang chạy rồi thử lại.")
      );
    } finally {
      if (timer) window.clearTimeout(timer);
    }
    let data = null;
    try {
      data = await response.json();
    } catch (_error) {
      data = null;
    }
    if (!response.ok) {
      const error = new SigningError(agentMessage(data && data.error, data && data.detail));
      error.code = (data && data.error) || "";
      throw error;
    }
    return data;
  }

  /** The agent's status ({agent, version, paired, ui}) if it runs on this computer, else null. */
  async function agentProbe(base) {
    if (!base) return null;
    try {
      const status = await agentCall(base, "/v1/status", { timeoutMs: AGENT_PROBE_MS });
      return status && status.agent === "kehoach-agent" ? status : null;
    } catch (_error) {
      return null;
    }
  }

  // Small DOM helpers -----------------------------------------------------------------------------

  /** Show `message` (and an optional link) in `box`, as an alert of `kind`; hide it when empty. */
  function showAlert(box, kind, message, link) {
    if (!box) return;
    box.replaceChildren();
    if (!message) {
      box.hidden = true;
      return;
    }
    const alert = box.matches(".alert") ? box : document.createElement("div");
    alert.className = `alert alert-${kind}`;
    alert.append(document.createTextNode(message));
    if (link) {
      alert.append(" ");
      const a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.text;
      alert.append(a);
    }
    if (alert !== box) box.append(alert);
    box.hidden = false;
  }

  function defaultDeviceLabel() {
    const ua = navigator.userAgent || "";
    const browser = /Edg\//.test(ua)
      ? "Edge"
      : /Firefox\//.test(ua)
        ? "Firefox"
        : /Chromium\//.test(ua)
          ? "Chromium"
          : /Chrome\//.test(ua)
            ? "Chrome"
            : /Safari\//.test(ua)
              ? "Safari"
              : t("Trình duyệt");
    const platform = /Windows/.test(ua)
      ? "Windows"
      : /Android/.test(ua)
        ? "Android"
        : /iPhone|iPad/.test(ua)
          ? "iOS"
          : /Mac OS X/.test(ua)
            ? "macOS"
            : /Linux/.test(ua)
              ? "Linux"
              : "";
    const day = new Date().toLocaleDateString("vi-VN");
    return platform
      ? interpolate(t("%(browser)s trên %(platform)s (%(day)s)"), { browser, platform, day }, true)
      : `${browser} (${day})`;
  }

  // The page "Thiết bị ký số" -------------------------------------------------------------------

  function devicesPage(root) {
    const userId = root.dataset.userId;
    const problemBox = root.querySelector("[data-crypto-problem]");
    const deviceMessage = root.querySelector("[data-device-message]");
    const imageMessage = root.querySelector("[data-image-message]");
    const enrolForm = root.querySelector("[data-enrol-form]");
    const enrolButton = root.querySelector("[data-enrol-button]");
    const enrolledNote = root.querySelector("[data-enrolled-note]");
    const labelInput = enrolForm && enrolForm.querySelector("input[name=label]");
    const problem = cryptoProblem();
    let busy = false;

    if (labelInput && !labelInput.value) labelInput.value = defaultDeviceLabel();

    /** Mark the row of this browser's device; enrolling again only if it has no usable one. */
    async function markThisBrowser() {
      root.querySelectorAll("[data-this-browser]").forEach((badge) => {
        badge.hidden = true;
      });
      let entry = null;
      if (!problem) {
        try {
          entry = await keyStore.get(userId);
        } catch (error) {
          showAlert(deviceMessage, "error", userMessage(error));
        }
      }
      const row = entry ? root.querySelector(`tr[data-device-id="${Number(entry.deviceId)}"]`) : null;
      if (row) row.querySelector("[data-this-browser]").hidden = false;
      const active = Boolean(row) && row.dataset.revoked !== "true";
      if (enrolButton) enrolButton.disabled = Boolean(problem) || active || busy;
      if (enrolledNote) {
        enrolledNote.hidden = !active;
        enrolledNote.textContent = active
          ? t("Trình duyệt này đã được đăng ký. Muốn đăng ký lại, hãy thu hồi thiết bị của trình duyệt này trước.")
          : "";
      }
      return entry;
    }

    /** Reload the device list from the page itself (the server renders it). */
    async function reloadList() {
      const response = await fetch(window.location.href, {
        credentials: "same-origin",
        headers: { "X-Requested-With": "XMLHttpRequest" },
      });
      if (!response.ok) throw new SigningError(statusMessage(response.status));
      const html = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = html.querySelector("[data-device-list]");
      const list = root.querySelector("[data-device-list]");
      if (fresh && list) list.replaceChildren(...Array.from(fresh.childNodes));
      await markThisBrowser();
    }

    async function enrol(label) {
      if (problem) throw new SigningError(problem);
      // IndexedDB must work before a certificate is asked for. A previous key of this browser
      // (its device revoked, or unknown to the server) is replaced below.
      await keyStore.get(userId);
      showAlert(deviceMessage, "info", t("Đang tạo khóa ký trong trình duyệt…"));
      const keyPair = await window.crypto.subtle.generateKey(KEY_ALGORITHM, false, ["sign", "verify"]);
      const spki = await window.crypto.subtle.exportKey("spki", keyPair.publicKey);
      showAlert(deviceMessage, "info", t("Đang xin cấp chứng thư cho khóa…"));
      const challenge = await api(root.dataset.challengeUrl, { json: {} });
      const proof = await window.crypto.subtle.sign(SIGN_ALGORITHM, keyPair.privateKey, fromBase64(challenge.nonce));
      const device = await api(root.dataset.devicesUrl, {
        json: { label, spki: toBase64(spki), nonce: challenge.nonce, proof: toBase64(proof) },
      });
      const entry = { userId: String(userId), deviceId: device.id, keyPair, label: device.label, createdAt: new Date().toISOString() };
      try {
        await keyStore.put(entry);
      } catch (error) {
        // The certificate exists but the key could not be kept: revoke it rather than leave it.
        try {
          await api(revokeUrl(device.id), { json: {} });
        } catch (_ignored) {
          // The list will show it; the user can revoke it by hand.
        }
        throw error;
      }
      return device;
    }

    function revokeUrl(deviceId) {
      const template = root.dataset.revokeUrl || "";
      return template ? template.replace(/\/0\/revoke\/$/, `/${Number(deviceId)}/revoke/`) : "";
    }

    async function revoke(deviceId) {
      const device = await api(revokeUrl(deviceId), { json: {} });
      let forgotten = false;
      if (!problem) {
        const entry = await keyStore.get(userId);
        if (entry && Number(entry.deviceId) === Number(deviceId)) {
          await keyStore.remove(userId);
          forgotten = true;
        }
      }
      return { device, forgotten };
    }

    if (problem) {
      showAlert(problemBox, "error", problem);
    }

    if (enrolForm) {
      enrolForm.addEventListener("submit", async (event) => {
        event.preventDefault();
        if (busy) return;
        const label = (labelInput ? labelInput.value : "").trim();
        if (!label) {
          showAlert(deviceMessage, "error", t("Vui lòng đặt tên cho thiết bị."));
          if (labelInput) labelInput.focus();
          return;
        }
        busy = true;
        enrolButton.disabled = true;
        try {
          const device = await enrol(label);
          await reloadList();
          showAlert(
            deviceMessage,
            "success",
            interpolate(
              t("Đã đăng ký trình duyệt này làm thiết bị ký số “%(label)s” (chứng thư số %(serial)s)."),
              { label: device.label, serial: device.serial },
              true
            )
          );
        } catch (error) {
          showAlert(deviceMessage, "error", userMessage(error));
        } finally {
          busy = false;
          await markThisBrowser();
        }
      });
    }

    root.addEventListener("click", async (event) => {
      const button = event.target.closest("button[data-revoke]");
      if (!button || busy) return;
      const label = button.dataset.deviceLabel || "";
      const question = interpolate(
        t("Thu hồi thiết bị ký “%(label)s”? Sau khi thu hồi, không thể ký bằng thiết bị này nữa."),
        { label },
        true
      );
      if (!window.confirm(question)) return;
      busy = true;
      button.disabled = true;
      try {
        const { forgotten } = await revoke(button.dataset.deviceId);
        await reloadList();
        let message = interpolate(t("Đã thu hồi thiết bị ký “%(label)s”."), { label }, true);
        if (forgotten) message += " " + t("Khóa ký trong trình duyệt này đã được xóa.");
        showAlert(deviceMessage, "success", message);
      } catch (error) {
        button.disabled = false;
        showAlert(deviceMessage, "error", userMessage(error));
      } finally {
        busy = false;
        await markThisBrowser();
      }
    });

    // The signature image -----------------------------------------------------------------------
    const imageForm = root.querySelector("[data-signature-form]");
    const preview = root.querySelector("[data-signature-preview]");
    const empty = root.querySelector("[data-signature-empty]");
    const uploaded = root.querySelector("[data-signature-uploaded]");
    const maxBytes = Number(root.dataset.imageMaxBytes) || 1024 * 1024;
    if (imageForm) {
      imageForm.addEventListener("submit", async (event) => {
        event.preventDefault();
        const input = imageForm.querySelector("input[type=file]");
        const file = input && input.files && input.files[0];
        if (!file) {
          showAlert(imageMessage, "error", t("Vui lòng chọn tệp ảnh chữ ký (PNG)."));
          return;
        }
        if (file.type && file.type !== "image/png") {
          showAlert(imageMessage, "error", t("Ảnh chữ ký phải là tệp PNG."));
          return;
        }
        if (file.size > maxBytes) {
          showAlert(imageMessage, "error", t("Ảnh chữ ký không được lớn hơn 1 MB."));
          return;
        }
        const button = imageForm.querySelector("button[type=submit]");
        button.disabled = true;
        showAlert(imageMessage, "info", t("Đang tải lên ảnh chữ ký…"));
        try {
          const body = new FormData();
          body.append("file", file, file.name || "chu-ky.png");
          await api(root.dataset.imageUrl, { method: "PUT", body });
          if (preview) {
            preview.src = `${root.dataset.imageUrl}?v=${Date.now()}`;
            preview.hidden = false;
          }
          if (empty) empty.hidden = true;
          if (uploaded) {
            uploaded.textContent = interpolate(
              t("Tải lên lúc %(when)s"),
              { when: new Date().toLocaleString("vi-VN") },
              true
            );
          }
          input.value = "";
          showAlert(imageMessage, "success", t("Đã lưu ảnh chữ ký. Ảnh này được dùng cho các văn bản bạn ký từ nay."));
        } catch (error) {
          showAlert(imageMessage, "error", userMessage(error));
        } finally {
          button.disabled = false;
        }
      });
    }

    tokenSection(root, reloadList);
    markThisBrowser();
    // plan.js enables every submit button on "pageshow" (after load): decide again after it.
    window.addEventListener("pageshow", () => {
      markThisBrowser();
    });
  }

  // USB tokens on the page "Thiết bị ký số": find the agent, pair, enrol a token's certificate ----

  function tokenSection(root, reloadList) {
    const section = root.querySelector("[data-token-section]");
    if (!section) return;
    const base = root.dataset.agentUrl;
    const status = section.querySelector("[data-agent-status]");
    const pairing = section.querySelector("[data-agent-pairing]");
    const pairButton = section.querySelector("[data-agent-pair]");
    const codeBox = section.querySelector("[data-pairing-code]");
    const message = section.querySelector("[data-token-message]");
    const list = section.querySelector("[data-token-certificates]");
    const listed = new Map();
    let busy = false;

    /** The user's token certificates enrolled here (not revoked), by SHA-256 fingerprint. */
    function enrolled() {
      const rows = new Map();
      root.querySelectorAll("tr[data-device-kind=token]").forEach((row) => {
        if (row.dataset.revoked !== "true") rows.set(row.dataset.fingerprint, row);
      });
      return rows;
    }

    function item(...children) {
      const li = document.createElement("li");
      children.forEach((child) => li.append(child));
      return li;
    }

    function button(text, attributes) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "btn btn-secondary btn-small";
      b.textContent = text;
      Object.entries(attributes || {}).forEach(([k, v]) => b.setAttribute(k, v));
      return b;
    }

    async function refresh() {
      const found = await agentProbe(base);
      list.replaceChildren();
      listed.clear();
      if (!found) {
        pairing.hidden = true;
        status.textContent = t(
          "Không tìm thấy chương trình ký số trên máy này. Hãy cài đặt và chạy chương trình ký số (kehoach-agent) theo hướng dẫn của đơn vị, hoặc dùng khóa ký trong trình duyệt ở trên."
        );
        return;
      }
      if (!found.paired) {
        pairing.hidden = false;
        status.textContent = interpolate(
          t("Đã tìm thấy chương trình ký số (phiên bản %(version)s), nhưng trang này chưa được ghép nối với chương trình."),
          { version: found.version },
          true
        );
        return;
      }
      pairing.hidden = true;
      status.textContent = interpolate(t("Chương trình ký số (phiên bản %(version)s) đã sẵn sàng."), { version: found.version }, true);
      let answer;
      try {
        answer = await agentCall(base, "/v1/certificates");
      } catch (error) {
        showAlert(message, "error", userMessage(error));
        return;
      }
      const mine = enrolled();
      (answer.certificates || []).forEach((certificate) => {
        listed.set(certificate.id, certificate);
        const name = document.createElement("strong");
        name.textContent = certificate.subject;
        const details = document.createTextNode(
          " — " +
            interpolate(
              t("do %(issuer)s cấp, hiệu lực đến %(date)s (token “%(token)s”)"),
              {
                issuer: certificate.issuer,
                date: new Date(certificate.not_after).toLocaleDateString("vi-VN"),
                token: certificate.token_label,
              },
              true
            ) +
            " "
        );
        const li = item(name, details);
        li.dataset.certificateId = certificate.id;
        if (mine.has(certificate.id)) {
          const badge = document.createElement("span");
          badge.className = "badge badge-success";
          badge.textContent = t("Đã đăng ký");
          li.append(badge);
        } else {
          li.append(button(t("Đăng ký chứng thư này"), { "data-token-enrol": certificate.id }));
        }
        list.append(li);
      });
      if (!listed.size) {
        list.append(item(t("Không có USB token nào được cắm, hoặc token không có chứng thư. Hãy cắm USB token rồi bấm “Đọc lại token”.")));
      }
      list.append(item(button(t("Đọc lại token"), { "data-token-reload": "" })));
    }

    async function pair() {
      const code = String(window.crypto.getRandomValues(new Uint32Array(1))[0] % 1000000).padStart(6, "0");
      codeBox.textContent = interpolate(
        t("Mã ghép nối: %(code)s. Hãy mở cửa sổ của chương trình ký số và đồng ý ghép nối nếu chương trình hiển thị đúng mã này."),
        { code },
        true
      );
      codeBox.hidden = false;
      pairButton.disabled = true;
      showAlert(message, "info", "");
      try {
        await agentCall(base, "/v1/pair", { json: { code } });
        showAlert(message, "success", t("Đã ghép nối trang này với chương trình ký số."));
      } catch (error) {
        showAlert(message, "error", userMessage(error));
      } finally {
        codeBox.hidden = true;
        pairButton.disabled = false;
        await refresh();
      }
    }

    async function enrol(certificate) {
      if (!window.isSecureContext || !window.crypto || !window.crypto.subtle) {
        throw new SigningError(cryptoProblem() || t("Trình duyệt chỉ cho phép ký số trên HTTPS hoặc localhost."));
      }
      const challenge = await api(root.dataset.challengeUrl, { json: {} });
      const digest = await window.crypto.subtle.digest("SHA-256", fromBase64(challenge.nonce));
      showAlert(
        message,
        "info",
        t("Hãy xác nhận và nhập mã PIN trên cửa sổ của chương trình ký số để chứng minh bạn đang giữ USB token…")
      );
      const answer = await agentCall(base, "/v1/sign", {
        json: {
          certificate_id: certificate.id,
          digest: toBase64(digest),
          algorithm: certificate.algorithm,
          description: t("Đăng ký chứng thư với hệ thống Kế hoạch"),
          purpose: "enrol",
        },
      });
      showAlert(message, "info", t("Đang kiểm tra chứng thư với tổ chức chứng thực (chuỗi chứng thực, thời hạn, tình trạng thu hồi)…"));
      return api(root.dataset.tokenDevicesUrl, {
        json: {
          label: "",
          certificate: certificate.certificate,
          chain: certificate.chain,
          nonce: challenge.nonce,
          proof: answer.signature,
        },
      });
    }

    if (pairButton) pairButton.addEventListener("click", () => pair());

    list.addEventListener("click", async (event) => {
      if (event.target.closest("button[data-token-reload]")) {
        showAlert(message, "info", "");
        await refresh();
        return;
      }
      const enrolButton = event.target.closest("button[data-token-enrol]");
      if (!enrolButton || busy) return;
      const certificate = listed.get(enrolButton.dataset.tokenEnrol);
      if (!certificate) return;
      busy = true;
      enrolButton.disabled = true;
      try {
        const device = await enrol(certificate);
        await reloadList();
        showAlert(
          message,
          device.status === "pending" ? "warning" : "success",
          interpolate(
            device.status === "pending"
              ? t("Đã đăng ký chứng thư “%(subject)s”, nhưng tên trong chứng thư khác tên của bạn nên cần quản trị viên xác nhận trước khi ký.")
              : t("Đã đăng ký chứng thư “%(subject)s” trên USB token làm thiết bị ký số."),
            { subject: device.subject_name },
            true
          )
        );
      } catch (error) {
        showAlert(message, "error", userMessage(error));
      } finally {
        busy = false;
        await refresh();
      }
    });

    refresh();
  }

  // The "sign" step of a task form ------------------------------------------------------------------

  function signParts(form) {
    return {
      progress: form.querySelector("[data-sign-progress]"),
      error: form.querySelector("[data-sign-error]"),
      session: form.querySelector("[data-sign-session]"),
      signature: form.querySelector("[data-sign-signature]"),
    };
  }

  function showProgress(form, text) {
    const { progress } = signParts(form);
    if (!progress) return;
    progress.textContent = text || "";
    progress.hidden = !text;
  }

  function devicesLink(form) {
    return { href: form.dataset.devicesUrl || "/ky-so/thiet-bi/", text: t("Đăng ký trình duyệt này ở trang Thiết bị ký số") };
  }

  function showMethod(form, method) {
    const box = form.querySelector("[data-sign-method]");
    if (!box) return;
    let text = "";
    if (method.kind === "agent") {
      text = interpolate(
        t("Ký bằng USB token qua chương trình ký số: chứng thư “%(subject)s” do %(issuer)s cấp. Mã PIN được hỏi trên cửa sổ của chương trình ký số, không nhập trên trang này."),
        { subject: method.device.subject_name, issuer: method.device.issuer_name },
        true
      );
    } else if (method.kind === "browser") {
      text = t("Ký bằng khóa ký số trong trình duyệt này (không cần cài đặt chương trình ký số).");
      if (method.note) text += " " + method.note;
    }
    box.textContent = text;
    box.hidden = !text;
    box.dataset.signMethod = method.kind;
  }

  /** Which key signs here: the USB token through the agent when the agent is found, paired with
   * this page, and a token plugged in carries one of the user's active token certificates;
   * else this browser's WebCrypto key; else {kind: "none"} with the reason. */
  async function signingMethod(form) {
    let devices = [];
    try {
      devices = (await api(form.dataset.devicesApi, { method: "GET" })) || [];
    } catch (_error) {
      devices = [];
    }
    const tokens = devices.filter((d) => d.kind === "token" && !d.revoked_at);
    let note = "";
    if (tokens.length) {
      const status = await agentProbe(form.dataset.agentUrl);
      if (!status) {
        note = t("Không tìm thấy chương trình ký số (USB token) trên máy này.");
      } else if (!status.paired) {
        note = t("Chương trình ký số chưa được ghép nối với trang này; hãy ghép nối ở trang Thiết bị ký số.");
      } else {
        try {
          const listed = await agentCall(form.dataset.agentUrl, "/v1/certificates");
          const onToken = new Set((listed.certificates || []).map((c) => c.id));
          const device = tokens.find((d) => d.status === "active" && onToken.has(d.fingerprint_sha256));
          if (device) return { kind: "agent", device };
          note = tokens.some((d) => onToken.has(d.fingerprint_sha256))
            ? t("Chứng thư trên USB token đang chờ quản trị viên xác nhận.")
            : t("USB token đang cắm không có chứng thư bạn đã đăng ký.");
        } catch (error) {
          note = userMessage(error);
        }
      }
    }
    const problem = cryptoProblem();
    if (!problem) {
      const entry = await keyStore.get(form.dataset.userId);
      if (entry && entry.keyPair && entry.keyPair.privateKey) return { kind: "browser", entry, note };
    }
    if (note) return { kind: "none", message: note, level: "warning" };
    if (problem) return { kind: "none", message: problem, level: "error" };
    return { kind: "none", message: t("Trình duyệt này chưa có khóa ký số của bạn."), level: "warning" };
  }

  async function signTask(form) {
    const method = await signingMethod(form);
    showMethod(form, method);
    if (method.kind === "agent") return signWithAgent(form, method.device);
    if (method.kind === "browser") return signInBrowser(form, method.entry);
    throw new SigningError(method.message, devicesLink(form));
  }

  async function prepare(form, deviceId) {
    showProgress(form, t("Đang chuẩn bị văn bản…"));
    const prepared = await api(form.dataset.prepareUrl, { json: { device_id: deviceId } });
    if (!prepared || !prepared.session_id || !prepared.to_be_signed) {
      throw new SigningError(t("Máy chủ trả về dữ liệu ký không hợp lệ. Vui lòng thử lại."));
    }
    return prepared;
  }

  async function signWithAgent(form, device) {
    const prepared = await prepare(form, device.id);
    if (!/PREHASHED-SHA256$/.test(prepared.algorithm || "")) {
      throw new SigningError(
        interpolate(t("Thuật toán ký “%(algorithm)s” không được chương trình ký số hỗ trợ."), { algorithm: prepared.algorithm }, true)
      );
    }
    showProgress(form, t("Hãy xác nhận và nhập mã PIN trên cửa sổ của chương trình ký số…"));
    const answer = await agentCall(form.dataset.agentUrl, "/v1/sign", {
      json: {
        certificate_id: device.fingerprint_sha256,
        digest: prepared.to_be_signed,
        algorithm: prepared.algorithm,
        description: form.dataset.signDescription || "",
        purpose: "sign",
      },
    });
    if (!answer || !answer.signature) {
      throw new SigningError(t("Chương trình ký số không trả về chữ ký. Vui lòng ký lại."));
    }
    submitSignature(form, prepared.session_id, answer.signature);
  }

  async function signInBrowser(form, entry) {
    const prepared = await prepare(form, entry.deviceId);
    if (prepared.algorithm && prepared.algorithm !== SIGN_FORMAT) {
      throw new SigningError(
        interpolate(t("Thuật toán ký “%(algorithm)s” không được trình duyệt này hỗ trợ."), { algorithm: prepared.algorithm }, true)
      );
    }
    showProgress(form, t("Đang ký…"));
    let signature;
    try {
      signature = await window.crypto.subtle.sign(SIGN_ALGORITHM, entry.keyPair.privateKey, fromBase64(prepared.to_be_signed));
    } catch (_error) {
      throw new SigningError(t("Khóa ký trong trình duyệt này không ký được. Vui lòng đăng ký lại trình duyệt."), devicesLink(form));
    }
    submitSignature(form, prepared.session_id, toBase64(signature));
  }

  function submitSignature(form, sessionId, signatureBase64) {
    const parts = signParts(form);
    parts.session.value = sessionId;
    parts.signature.value = signatureBase64;
    showProgress(form, t("Đang gửi chữ ký…"));
    // form.submit() sends no submitter: the action goes in a hidden field of its own.
    let action = form.querySelector("input[data-sign-action]");
    if (!action) {
      action = document.createElement("input");
      action.type = "hidden";
      action.name = "action";
      action.setAttribute("data-sign-action", "");
      form.append(action);
    }
    action.value = "sign";
    form.submit();
  }

  function resetSignForm(form) {
    const parts = signParts(form);
    if (parts.session) parts.session.value = "";
    if (parts.signature) parts.signature.value = "";
    const action = form.querySelector("input[data-sign-action]");
    if (action) action.remove();
    delete form.dataset.signing;
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-sign-form")) return;
    const submitter = event.submitter || null;
    if (!submitter || submitter.name !== "action" || submitter.value !== "sign") return;
    if (event.defaultPrevented) return; // plan.js: the confirmation was declined
    event.preventDefault();
    if (form.dataset.signing) return;
    form.dataset.signing = "1";
    showAlert(signParts(form).error, "error", "");
    signTask(form).catch((error) => {
      resetSignForm(form);
      showProgress(form, "");
      showAlert(signParts(form).error, "error", userMessage(error), error && error.link);
      // plan.js disables the buttons just after the submit event: enable them after that.
      window.setTimeout(() => {
        form.querySelectorAll("button[type=submit]").forEach((b) => {
          b.disabled = false;
        });
      }, 0);
    });
  });

  window.addEventListener("pageshow", () => {
    // Back from the next page (bfcache): start over.
    document.querySelectorAll("form[data-sign-form]").forEach((form) => {
      resetSignForm(form);
      showProgress(form, "");
    });
  });

  onReady(() => {
    const root = document.querySelector("[data-signing-devices]");
    if (root) devicesPage(root);
    document.querySelectorAll("form[data-sign-form]").forEach(async (form) => {
      // Say early, not only on "Ký số", which key will sign, or why none can.
      try {
        const method = await signingMethod(form);
        showMethod(form, method);
        if (method.kind === "none") {
          showAlert(signParts(form).error, method.level, method.message, method.level === "warning" ? devicesLink(form) : null);
        }
      } catch (error) {
        showAlert(signParts(form).error, "error", userMessage(error));
      }
    });
  });
})();
