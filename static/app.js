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
})();
