/*
 * Notification bell: the list, live updates over a WebSocket, toasts, and "mark read".
 * Plain JS, no build step. Markup: templates/notifications/bell.html.
 *
 * Contract with the page:
 *   #notification-bell      the button; optional data-api-url, data-read-url, data-ws-path,
 *                           data-user-id (keys localStorage), data-csrf-token (CSRF fallback)
 *   #notification-count     the unread badge inside the button
 *   #notification-list      the list in the dropdown (newest first)
 *   #notification-dropdown  the dropdown (the button's aria-controls); opening it marks all read
 *   #notification-mark-read optional "Đánh dấu đã đọc" button
 *   #notification-more      optional "Xem thông báo cũ hơn" button: shown while the API's page
 *                           has a next one; loads it below what is listed
 *   #toasts                 toast container (created at the end of <body> when missing)
 * The button's data-socket-state is "connecting", "open", "closed" (a reconnect is due) or
 * "stopped" (4401), for styling and tests.
 * Events: "notifications:received" (detail: the notification) and "notifications:unread"
 * (detail: {count}) are dispatched on document, for pages that want to react.
 *
 * Server protocol (notifications/consumers.py): each message is a notification
 * {id, kind, title, body, url, data, created_at, read, unread_count} or a read-state message
 * {type: "notifications.read", ids: [...] | null, unread_count}. The socket URL carries
 * ?after=<last id seen>, so a reconnecting page catches up on what it missed; items are
 * de-duplicated by id. Close code 4401 means "not logged in": the page stops reconnecting.
 */
(function () {
  "use strict";

  // Django's JavaScript catalogue (base.html) when the page has it; the Vietnamese text when not.
  var t = typeof window.gettext === "function" ? window.gettext : function (s) { return s; };
  var fmt = typeof window.interpolate === "function"
    ? window.interpolate
    : function (s, args) { return s.replace("%s", args[0]); };
  var TEXT = {
    empty: t("Không có thông báo mới"),
    unreadLabel: function (n) {
      // The count first, as the badge shows it: the name contains the visible text (WCAG 2.5.3).
      return n > 0 ? fmt(t("%s thông báo chưa đọc"), [n > 99 ? "99+" : String(n)]) : t("Thông báo");
    },
    close: t("Đóng"),
    justNow: t("Vừa xong"),
    minutesAgo: function (n) { return fmt(t("%s phút trước"), [n]); },
    hoursAgo: function (n) { return fmt(t("%s giờ trước"), [n]); },
  };
  var MAX_ITEMS = 100;
  var MAX_TOASTS = 4;
  var TOAST_MS = 6000;
  var RECONNECT_MIN_MS = 1000;
  var RECONNECT_MAX_MS = 30000;
  var CLOSE_UNAUTHENTICATED = 4401;

  var bell = document.getElementById("notification-bell");
  var badge = document.getElementById("notification-count");
  var list = document.getElementById("notification-list");
  if (!bell || !badge || !list) {
    return;
  }
  var dropdown =
    document.getElementById(bell.getAttribute("aria-controls") || "notification-dropdown") || list;
  var markReadButton = document.getElementById("notification-mark-read");
  var moreButton = document.getElementById("notification-more");

  var apiUrl = bell.dataset.apiUrl || "/api/v1/notifications/";
  var readUrl = bell.dataset.readUrl || apiUrl.replace(/\/?$/, "/") + "read/";
  var wsPath = bell.dataset.wsPath || "/ws/notifications/";
  var storageKey = "notifications:last-id:" + (bell.dataset.userId || "");

  var items = new Map(); // id -> {notification, element}
  var nextPage = null; // the API's next page (older notices), as path and query
  var keepItems = MAX_ITEMS; // raised by the older pages the reader asked for
  var unreadCount = 0;
  var lastId = readStoredLastId(); // highest id seen; null while unknown
  var socket = null;
  var attempts = 0;
  var reconnectTimer = null;
  var stopped = false;

  // ---- state --------------------------------------------------------------------------------

  function readStoredLastId() {
    try {
      var value = parseInt(window.localStorage.getItem(storageKey), 10);
      return isNaN(value) ? null : value;
    } catch (e) {
      return null;
    }
  }

  function rememberLastId(id) {
    if (typeof id !== "number" || (lastId !== null && id <= lastId)) {
      return;
    }
    lastId = id;
    try {
      window.localStorage.setItem(storageKey, String(id));
    } catch (e) {
      /* private mode or quota: memory is enough */
    }
  }

  function setUnread(count) {
    unreadCount = Math.max(0, count | 0);
    badge.textContent = unreadCount > 99 ? "99+" : String(unreadCount);
    badge.hidden = unreadCount === 0;
    bell.setAttribute("aria-label", TEXT.unreadLabel(unreadCount));
    bell.classList.toggle("has-unread", unreadCount > 0);
    emit("notifications:unread", { count: unreadCount });
  }

  function emit(name, detail) {
    try {
      document.dispatchEvent(new CustomEvent(name, { detail: detail }));
    } catch (e) {
      /* very old browsers: no events */
    }
  }

  // ---- rendering ----------------------------------------------------------------------------

  function safeHref(url) {
    if (!url) {
      return null;
    }
    try {
      var parsed = new URL(url, window.location.origin);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch (e) {
      return null;
    }
  }

  function formatTime(iso) {
    var date = new Date(iso);
    if (isNaN(date.getTime())) {
      return "";
    }
    var minutes = Math.floor((Date.now() - date.getTime()) / 60000);
    if (minutes < 1) {
      return TEXT.justNow;
    }
    if (minutes < 60) {
      return TEXT.minutesAgo(minutes);
    }
    if (minutes < 24 * 60) {
      return TEXT.hoursAgo(Math.floor(minutes / 60));
    }
    return date.toLocaleString("vi-VN", { dateStyle: "short", timeStyle: "short" });
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text) {
      node.textContent = text;
    }
    return node;
  }

  function renderItem(notification) {
    var li = element("li", "notification-item");
    li.dataset.id = String(notification.id);
    li.dataset.kind = notification.kind || "";
    li.classList.toggle("is-unread", !notification.read);
    var href = safeHref(notification.url);
    var link = element(href ? "a" : "div", "notification-item__link");
    if (href) {
      link.href = href;
    }
    link.appendChild(element("span", "notification-item__title", notification.title));
    if (notification.body) {
      link.appendChild(element("span", "notification-item__body", notification.body));
    }
    var time = element("time", "notification-item__time", formatTime(notification.created_at));
    time.dateTime = notification.created_at || "";
    link.appendChild(time);
    li.appendChild(link);
    return li;
  }

  function showEmptyIfNeeded() {
    var empty = list.querySelector(".notification-empty");
    if (items.size === 0 && !empty) {
      list.appendChild(element("li", "notification-empty", TEXT.empty));
    } else if (items.size > 0 && empty) {
      empty.remove();
    }
  }

  /** Insert a notification in id order (newest first); false when it was already shown. */
  function addItem(notification) {
    var known = items.get(notification.id);
    if (known) {
      return false;
    }
    var li = renderItem(notification);
    var before = null;
    for (var child = list.firstElementChild; child; child = child.nextElementSibling) {
      var childId = parseInt(child.dataset.id, 10);
      if (!isNaN(childId) && childId < notification.id) {
        before = child;
        break;
      }
    }
    list.insertBefore(li, before);
    items.set(notification.id, { notification: notification, element: li });
    trimItems();
    showEmptyIfNeeded();
    return true;
  }

  function trimItems() {
    while (items.size > keepItems) {
      var oldest = Math.min.apply(null, Array.from(items.keys()));
      items.get(oldest).element.remove();
      items.delete(oldest);
    }
  }

  function markItemsRead(ids, keepHighlight) {
    items.forEach(function (entry, id) {
      if (ids === null || ids.indexOf(id) !== -1) {
        entry.notification.read = true;
        if (!keepHighlight) {
          entry.element.classList.remove("is-unread");
        }
      }
    });
  }

  function refreshHighlights() {
    items.forEach(function (entry) {
      entry.element.classList.toggle("is-unread", !entry.notification.read);
    });
  }

  // ---- toasts -------------------------------------------------------------------------------

  function toastContainer() {
    var container = document.getElementById("toasts");
    if (!container) {
      container = element("div", "toasts");
      container.id = "toasts";
      container.setAttribute("aria-live", "polite");
      document.body.appendChild(container);
    }
    return container;
  }

  function showToast(notification) {
    var container = toastContainer();
    var toast = element("div", "toast toast--notification");
    toast.setAttribute("role", "status");
    var href = safeHref(notification.url);
    var content = element(href ? "a" : "div", "toast__content");
    if (href) {
      content.href = href;
    }
    content.appendChild(element("strong", "toast__title", notification.title));
    if (notification.body) {
      content.appendChild(element("span", "toast__body", notification.body));
    }
    var close = element("button", "toast__close", "×");
    close.type = "button";
    close.setAttribute("aria-label", TEXT.close);
    close.addEventListener("click", function () {
      toast.remove();
    });
    toast.appendChild(content);
    toast.appendChild(close);
    container.appendChild(toast);
    var toasts = container.querySelectorAll(".toast--notification");
    for (var i = 0; i < toasts.length - MAX_TOASTS; i++) {
      toasts[i].remove();
    }
    window.setTimeout(function () {
      toast.classList.add("is-leaving");
      window.setTimeout(function () { toast.remove(); }, 300);
    }, TOAST_MS);
  }

  // ---- HTTP ---------------------------------------------------------------------------------

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : bell.dataset.csrfToken || "";
  }

  function request(url, options) {
    options = options || {};
    var headers = { Accept: "application/json" };
    if (options.method === "POST") {
      headers["Content-Type"] = "application/json";
      headers["X-CSRFToken"] = csrfToken();
    }
    return fetch(url, {
      method: options.method || "GET",
      credentials: "same-origin",
      headers: headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    }).then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    });
  }

  function setNextPage(url) {
    nextPage = null;
    if (url) {
      // The server's absolute URL, asked of the page's own origin (a proxy may rewrite the scheme).
      var parsed = new URL(url, window.location.href);
      nextPage = parsed.pathname + parsed.search;
    }
    if (moreButton) {
      moreButton.hidden = nextPage === null;
    }
  }

  function loadList() {
    return request(apiUrl).then(function (data) {
      // The server is authoritative: a stored id from an older database must not hide new rows.
      lastId = null;
      (data.results || []).forEach(function (notification) {
        addItem(notification);
        rememberLastId(notification.id);
      });
      if (lastId === null) {
        rememberLastId(0); // nothing stored yet: catch up on everything from now on
      }
      setNextPage(data.next);
      showEmptyIfNeeded();
      setUnread(data.unread_count);
    });
  }

  function loadOlder() {
    if (nextPage === null || !moreButton || moreButton.disabled) {
      return Promise.resolve();
    }
    moreButton.disabled = true;
    return request(nextPage)
      .then(function (data) {
        var results = data.results || [];
        keepItems = Math.max(keepItems, items.size + results.length);
        results.forEach(addItem);
        setNextPage(data.next);
        if (data.unread_count !== undefined) {
          setUnread(data.unread_count);
        }
      })
      .catch(function () {
        /* the button stays: the reader may try again */
      })
      .then(function () {
        moreButton.disabled = false;
      });
  }

  function markAllRead(keepHighlight) {
    if (unreadCount === 0) {
      return Promise.resolve();
    }
    return request(readUrl, { method: "POST", body: {} })
      .then(function (data) {
        markItemsRead(null, keepHighlight);
        setUnread(data.unread_count);
      })
      .catch(function () {
        /* the badge stays; the next opening tries again */
      });
  }

  // ---- WebSocket ----------------------------------------------------------------------------

  function socketUrl() {
    var scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    var query = lastId === null ? "" : "?after=" + encodeURIComponent(lastId);
    return scheme + "//" + window.location.host + wsPath + query;
  }

  function connect() {
    if (stopped || socket) {
      return;
    }
    window.clearTimeout(reconnectTimer);
    reconnectTimer = null;
    bell.dataset.socketState = "connecting";
    try {
      socket = new WebSocket(socketUrl());
    } catch (e) {
      socket = null;
      scheduleReconnect();
      return;
    }
    socket.addEventListener("open", function () {
      attempts = 0;
      bell.dataset.socketState = "open";
    });
    socket.addEventListener("message", function (event) {
      var message;
      try {
        message = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      handleMessage(message);
    });
    socket.addEventListener("close", function (event) {
      socket = null;
      if (event.code === CLOSE_UNAUTHENTICATED) {
        stopped = true; // logged out: reconnecting would not help
        bell.dataset.socketState = "stopped";
        return;
      }
      bell.dataset.socketState = "closed";
      scheduleReconnect();
    });
  }

  function scheduleReconnect() {
    if (stopped || reconnectTimer) {
      return;
    }
    var base = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * Math.pow(2, attempts));
    attempts += 1;
    var delay = base / 2 + Math.random() * (base / 2); // jitter: tabs do not reconnect in step
    reconnectTimer = window.setTimeout(function () {
      reconnectTimer = null;
      connect();
    }, delay);
  }

  function reconnectNow() {
    if (!socket && !stopped) {
      window.clearTimeout(reconnectTimer);
      reconnectTimer = null;
      connect();
    }
  }

  function handleMessage(message) {
    if (!message || typeof message !== "object") {
      return;
    }
    if (message.type === "notifications.read") {
      markItemsRead(Array.isArray(message.ids) ? message.ids : null, isOpen());
      setUnread(message.unread_count);
      return;
    }
    if (typeof message.id !== "number") {
      return;
    }
    var isNew = addItem(message);
    rememberLastId(message.id);
    if (typeof message.unread_count === "number") {
      setUnread(message.unread_count);
    }
    if (isNew) {
      if (!message.read) {
        showToast(message);
      }
      emit("notifications:received", message);
    }
  }

  // ---- dropdown -----------------------------------------------------------------------------

  function isOpen() {
    return bell.getAttribute("aria-expanded") === "true";
  }

  function setOpen(open) {
    if (dropdown !== list) {
      dropdown.hidden = !open;
    }
    bell.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      markAllRead(true); // the highlight stays while open, so the reader sees what was new
    } else {
      refreshHighlights();
    }
  }

  bell.addEventListener("click", function (event) {
    event.preventDefault();
    setOpen(!isOpen());
  });
  if (markReadButton) {
    markReadButton.addEventListener("click", function (event) {
      event.preventDefault();
      markAllRead(false);
    });
  }
  if (moreButton) {
    moreButton.addEventListener("click", function (event) {
      event.preventDefault();
      loadOlder();
    });
  }
  document.addEventListener("click", function (event) {
    if (isOpen() && !bell.contains(event.target) && !dropdown.contains(event.target)) {
      setOpen(false);
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && isOpen()) {
      setOpen(false);
      bell.focus();
    }
  });
  window.addEventListener("online", reconnectNow);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      reconnectNow();
    }
  });

  // ---- start: the list first, then the socket catches up from its newest id -----------------

  setUnread(0);
  loadList()
    .catch(function () {
      /* the socket still brings what is new since the last id stored */
    })
    .then(connect);
})();
