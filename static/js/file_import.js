/*
 * Progress of a file import (templates: a form with data-progress-url and an
 * .import-progress box). On submit the form gets a random token; while the server reads the
 * file (a scanned PDF is recognised page after page, which takes a while) the page asks
 * data-progress-url (the token in place of the zeros) once a second how many pages are read,
 * and shows it. The form is posted as usual: without JavaScript it works, without the bar.
 */
(function () {
  "use strict";
  var PLACEHOLDER = "00000000-0000-0000-0000-000000000000";
  var t = window.gettext || function (s) { return s; };
  var fmt = window.interpolate || function (s, o) {
    return s.replace(/%\((\w+)\)s/g, function (_, k) { return o[k]; });
  };

  function newToken() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var out = "";
    for (var i = 0; i < 32; i += 1) { out += Math.floor(Math.random() * 16).toString(16); }
    return out;
  }

  function watch(form) {
    var box = form.querySelector(".import-progress");
    var hidden = form.querySelector('input[name="progress_token"]');
    if (!box || !hidden) { return; }
    form.addEventListener("submit", function () {
      var input = form.querySelector('input[type="file"]');
      var file = input && input.files && input.files[0];
      if (!file) { return; }
      var token = newToken();
      hidden.value = token;
      var bar = box.querySelector("progress");
      var text = box.querySelector(".import-progress-text");
      var started = Date.now();
      box.hidden = false;
      text.textContent = /\.pdf$/i.test(file.name)
        ? t("Đang tải lên và đọc tệp PDF…")
        : t("Đang tải lên và đọc tệp…");
      window.setTimeout(function () {
        form.querySelectorAll('button[type="submit"]').forEach(function (b) { b.disabled = true; });
      }, 0);
      var url = form.getAttribute("data-progress-url").replace(PLACEHOLDER, token);
      function poll() {
        fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (data) {
            if (!data || !data.total) { return; }
            bar.max = data.total;
            bar.value = data.done;
            var seconds = Math.round((Date.now() - started) / 1000);
            text.textContent = data.done < data.total
              ? fmt(t("Đang nhận dạng chữ (OCR): đã đọc %(done)s/%(total)s trang · %(seconds)s giây…"),
                { done: data.done, total: data.total, seconds: seconds }, true)
              : t("Đã đọc xong tệp, đang nhận diện các phần của văn bản…");
          })
          .catch(function () { /* the next poll will tell */ })
          .then(function () { window.setTimeout(poll, 1000); });
      }
      window.setTimeout(poll, 700);
    });
  }

  document.querySelectorAll("form[data-progress-url]").forEach(watch);
})();
