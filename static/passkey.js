// safedesk passkey script: the only code that talks to navigator.credentials.
// Buttons declare what they do:
//   data-passkey="register" | "login" | "stepup", data-begin=URL, data-finish=URL
// The begin call posts the fields of the enclosing form; the finish call
// posts the credential as JSON. The server answers {redirect} or {error}.
(function () {
  "use strict";

  function toBuf(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) { s += "="; }
    var bin = atob(s), b = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { b[i] = bin.charCodeAt(i); }
    return b.buffer;
  }
  function toB64u(buf) {
    if (!buf) { return undefined; }
    var b = new Uint8Array(buf), s = "";
    for (var i = 0; i < b.length; i++) { s += String.fromCharCode(b[i]); }
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  async function call(url, body) {
    var opts = { method: "POST", credentials: "same-origin", headers: { "Accept": "application/json" } };
    if (body instanceof URLSearchParams) {
      opts.body = body;
    } else if (body) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    var res = await fetch(url, opts), data = {};
    try { data = await res.json(); } catch (e) { data = {}; }
    return { ok: res.ok, status: res.status, data: data };
  }

  function creationOptions(o) {
    var pk = o.publicKey;
    pk.challenge = toBuf(pk.challenge);
    pk.user.id = toBuf(pk.user.id);
    (pk.excludeCredentials || []).forEach(function (c) { c.id = toBuf(c.id); });
    return o;
  }
  function requestOptions(o) {
    var pk = o.publicKey;
    pk.challenge = toBuf(pk.challenge);
    (pk.allowCredentials || []).forEach(function (c) { c.id = toBuf(c.id); });
    return o;
  }
  function encodeCreated(c) {
    return {
      id: c.id, rawId: toB64u(c.rawId), type: c.type,
      authenticatorAttachment: c.authenticatorAttachment || undefined,
      clientExtensionResults: c.getClientExtensionResults(),
      response: {
        attestationObject: toB64u(c.response.attestationObject),
        clientDataJSON: toB64u(c.response.clientDataJSON),
        transports: c.response.getTransports ? c.response.getTransports() : []
      }
    };
  }
  function encodeAsserted(c) {
    return {
      id: c.id, rawId: toB64u(c.rawId), type: c.type,
      authenticatorAttachment: c.authenticatorAttachment || undefined,
      clientExtensionResults: c.getClientExtensionResults(),
      response: {
        authenticatorData: toB64u(c.response.authenticatorData),
        clientDataJSON: toB64u(c.response.clientDataJSON),
        signature: toB64u(c.response.signature),
        userHandle: toB64u(c.response.userHandle)
      }
    };
  }

  function errorBox(btn) {
    var scope = btn.closest("section") || document;
    return scope.querySelector("[data-passkey-error]");
  }
  function showError(btn, msg) {
    var box = errorBox(btn);
    if (box) { box.textContent = msg; box.hidden = false; } else { window.alert(msg); }
  }
  function showFields(btn, fields) {
    var form = btn.closest("form");
    if (!form) { return; }
    form.querySelectorAll("[data-field-error]").forEach(function (el) {
      var msg = fields && fields[el.dataset.fieldError];
      el.textContent = msg || "";
      el.hidden = !msg;
    });
  }

  // ceremony runs begin → navigator.credentials → finish for one button.
  async function ceremony(btn, kind) {
    var form = btn.closest("form");
    var params = form ? new URLSearchParams(new FormData(form)) : new URLSearchParams();
    var begin = await call(btn.dataset.begin, params);
    if (begin.status === 401 && begin.data.stepup && kind !== "stepup") {
      var ok = await ceremony({ dataset: { begin: "/admin/stepup/begin", finish: "/admin/stepup/finish" }, closest: function () { return null; } }, "stepup");
      if (!ok) { return false; }
      begin = await call(btn.dataset.begin, params);
    }
    if (!begin.ok) {
      showFields(btn, begin.data.fields);
      throw new Error(begin.data.error || "The server refused to start (" + begin.status + ").");
    }
    showFields(btn, {});
    var cred;
    if (kind === "register") {
      cred = encodeCreated(await navigator.credentials.create(creationOptions(begin.data)));
    } else {
      cred = encodeAsserted(await navigator.credentials.get(requestOptions(begin.data)));
    }
    var fin = await call(btn.dataset.finish, cred);
    if (!fin.ok) { throw new Error(fin.data.error || "The passkey was not accepted (" + fin.status + ")."); }
    return fin.data;
  }

  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest("[data-passkey]");
    if (!btn) { return; }
    ev.preventDefault();
    run(btn);
  });
  // Enter in a passkey form's only text field submits the form: run its
  // button instead of reloading the page with the field in the address.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.matches("form[data-passkey-form]")) { return; }
    ev.preventDefault();
    var btn = form.querySelector("[data-passkey]");
    if (btn && !btn.disabled) { run(btn); }
  });

  async function run(btn) {
    if (!window.PublicKeyCredential) {
      showError(btn, "This browser does not support passkeys.");
      return;
    }
    var kind = btn.dataset.passkey;
    btn.disabled = true;
    try {
      var result = await ceremony(btn, kind);
      if (kind === "stepup") {
        var cont = btn.closest("form[data-stepup-continue]");
        if (cont) { cont.submit(); return; }
      }
      if (result && result.redirect) { window.location.assign(result.redirect); return; }
      window.location.reload();
    } catch (e) {
      var msg = e && e.name === "NotAllowedError" ? "The passkey request was cancelled or timed out." : (e && e.message) || String(e);
      showError(btn, msg);
    } finally {
      btn.disabled = false;
    }
  }
})();
