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
  var writingTimer;
  document.addEventListener("input", function (ev) {
    var writing = document.getElementById("writing");
    if (!writing || ev.target.id !== "body") { return; }
    writing.value = "1";
    clearTimeout(writingTimer);
    writingTimer = setTimeout(function () { writing.value = "0"; }, 10000);
  });
})();
