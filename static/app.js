// safedesk portal script: progressive enhancement only. Every page works
// without it. Loaded from our own origin (the CSP allows no inline script).
(function () {
  "use strict";
  // After htmx swaps in a form that came back with errors, move focus to the
  // first invalid field so keyboard and screen-reader users land on it.
  document.addEventListener("htmx:afterSettle", function () {
    var bad = document.querySelector(".field.invalid input, .field.invalid textarea");
    if (bad) { bad.focus(); }
  });
  // Buttons with data-confirm ask before their form is sent.
  document.addEventListener("submit", function (ev) {
    var btn = ev.submitter;
    if (btn && btn.dataset.confirm && !window.confirm(btn.dataset.confirm)) {
      ev.preventDefault();
      ev.stopImmediatePropagation();
    }
  }, true);

  // Files: drop or paste them onto a form's file field (data-dropzone), see
  // what was chosen, and a progress bar while htmx sends a large upload.
  // Without this script the file input works as it is.
  function dropzone(el) { return el && el.closest ? el.closest("[data-dropzone]") : null; }
  function fileInput(zone) { return zone ? zone.querySelector("input[type=file]") : null; }
  function addFiles(input, files) {
    if (!input || !files || !files.length || typeof DataTransfer === "undefined") { return; }
    var dt = new DataTransfer();
    Array.prototype.forEach.call(input.files, function (f) { dt.items.add(f); });
    Array.prototype.forEach.call(files, function (f) { dt.items.add(f); });
    input.files = dt.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }
  function sizeText(n) {
    if (n >= 1048576) { return (n / 1048576).toFixed(1) + " MB"; }
    return Math.max(1, Math.round(n / 1024)) + " KB";
  }
  document.addEventListener("change", function (ev) {
    var zone = dropzone(ev.target);
    var list = zone ? zone.querySelector("[data-file-list]") : null;
    if (!list || ev.target.type !== "file") { return; }
    list.textContent = "";
    Array.prototype.forEach.call(ev.target.files, function (f) {
      var li = document.createElement("li");
      li.textContent = f.name + " (" + sizeText(f.size) + ")";
      list.appendChild(li);
    });
    list.hidden = ev.target.files.length === 0;
  });
  document.addEventListener("dragover", function (ev) {
    var zone = dropzone(ev.target);
    if (zone) { ev.preventDefault(); zone.classList.add("dragging"); }
  });
  document.addEventListener("dragleave", function (ev) {
    var zone = dropzone(ev.target);
    if (zone) { zone.classList.remove("dragging"); }
  });
  document.addEventListener("drop", function (ev) {
    var zone = dropzone(ev.target);
    if (!zone) { return; }
    ev.preventDefault();
    zone.classList.remove("dragging");
    addFiles(fileInput(zone), ev.dataTransfer && ev.dataTransfer.files);
  });
  document.addEventListener("paste", function (ev) {
    var form = ev.target && ev.target.closest ? ev.target.closest("form[data-upload]") : null;
    var files = ev.clipboardData ? ev.clipboardData.files : null;
    if (!form || !files || !files.length) { return; } // plain text pastes as usual
    ev.preventDefault();
    addFiles(fileInput(form.querySelector("[data-dropzone]")), files);
  });
  document.addEventListener("htmx:xhr:progress", function (ev) {
    var form = ev.target && ev.target.closest ? ev.target.closest("form[data-upload]") : null;
    var bar = form ? form.querySelector("[data-upload-progress]") : null;
    if (!bar || !ev.detail || !ev.detail.lengthComputable || !ev.detail.total) { return; }
    bar.hidden = false;
    bar.value = Math.round(ev.detail.loaded * 100 / ev.detail.total);
  });
  // Saved-reply picker (staff ticket page): insert the chosen reply, filled
  // for this ticket, where the cursor is in the reply box, and choose the
  // status it sets. The text goes in as text, never as markup. Without
  // this script the picker's form opens the page again with the reply
  // filled in.
  function insertReply(form) {
    var select = form.querySelector("select");
    fetch(form.dataset.replyPicker + encodeURIComponent(select.value), { credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) { throw new Error("status " + r.status); }
        var status = r.headers.get("X-Reply-Status") || "";
        return r.text().then(function (text) { return { text: text, status: status }; });
      })
      .then(function (reply) {
        var box = document.getElementById("body");
        var start = box.selectionStart, end = box.selectionEnd;
        box.value = box.value.slice(0, start) + reply.text + box.value.slice(end);
        box.selectionStart = box.selectionEnd = start + reply.text.length;
        var then = document.getElementById("then_status");
        if (then && reply.status) { then.value = reply.status; }
        box.focus();
        box.dispatchEvent(new Event("input", { bubbles: true }));
      })
      .catch(function () { form.submit(); });
  }
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (form.matches && form.matches("form[data-reply-picker]")) {
      ev.preventDefault();
      insertReply(form);
    }
  });
  // Alt+R jumps to the picker; Enter there inserts the chosen reply.
  document.addEventListener("keydown", function (ev) {
    var pick = document.getElementById("reply-choice");
    if (!pick) { return; }
    if (ev.altKey && !ev.ctrlKey && !ev.metaKey && ev.code === "KeyR") {
      ev.preventDefault();
      pick.focus();
    } else if (ev.key === "Enter" && ev.target === pick) {
      ev.preventDefault();
      insertReply(pick.form);
    }
  });
  // While the person types a reply, the ticket page's presence polls say
  // so (writing=1), and stop saying it ten seconds after the last key.
  // Times: the server writes them in the business's time zone (the html
  // element's data-zone). A visitor whose own zone shows another clock gets
  // their own time beside each <time>, labelled in the page's language.
  function localTimes(root) {
    var html = document.documentElement;
    var zone = html.getAttribute("data-zone");
    if (!zone || typeof Intl === "undefined" || !root.querySelectorAll) { return; }
    var mine = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!mine || mine === zone) { return; }
    var opts = { day: "numeric", month: "short", hour: "numeric", minute: "2-digit" };
    var fmt, theirs, label = html.getAttribute("data-local-label") || "";
    try {
      fmt = new Intl.DateTimeFormat(html.lang || undefined, Object.assign({ timeZone: mine, timeZoneName: "short" }, opts));
      theirs = new Intl.DateTimeFormat("en", Object.assign({ timeZone: zone }, opts));
    } catch (e) { return; }
    var plain = new Intl.DateTimeFormat("en", Object.assign({ timeZone: mine }, opts));
    Array.prototype.forEach.call(root.querySelectorAll("time[datetime]"), function (el) {
      if (el.hasAttribute("data-local")) { return; }
      var at = new Date(el.getAttribute("datetime"));
      if (isNaN(at.getTime()) || plain.format(at) === theirs.format(at)) { return; }
      el.setAttribute("data-local", "");
      var span = document.createElement("span");
      span.className = "local-time";
      span.setAttribute("data-testid", "local-time");
      span.textContent = " (" + label + " " + fmt.format(at) + ")";
      el.insertAdjacentElement("afterend", span);
    });
  }
  localTimes(document);
  document.addEventListener("htmx:load", function (ev) { localTimes(ev.target || document); });

  var writingTimer;
  document.addEventListener("input", function (ev) {
    var writing = document.getElementById("writing");
    if (!writing || ev.target.id !== "body") { return; }
    writing.value = "1";
    clearTimeout(writingTimer);
    writingTimer = setTimeout(function () { writing.value = "0"; }, 10000);
  });
})();
