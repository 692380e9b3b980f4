/* Runs on the emulator's window pages: tells the merchant page (parent or opener) what happened. */
(function () {
  "use strict";
  var body = document.body;
  var stage = body.getAttribute("data-stage");
  var sid = body.getAttribute("data-sid");
  var origin = body.getAttribute("data-origin") || "*";
  if (origin === "null") {
    origin = "*";
  }
  var target = null;
  if (body.getAttribute("data-mode") !== "redirect") {
    if (window.opener && window.opener !== window) {
      target = window.opener;
    } else if (window.parent && window.parent !== window) {
      target = window.parent;
    }
  }
  function post(message) {
    if (!target) {
      return;
    }
    message.source = "paydesk";
    message.sid = sid;
    try {
      target.postMessage(message, origin);
    } catch (ignored) { /* the merchant page went away */ }
  }
  if (stage === "result") {
    var holder = document.getElementById("paydesk-result");
    post({ type: "result", rsp: holder ? JSON.parse(holder.textContent) : null });
  }
  Array.prototype.forEach.call(document.querySelectorAll("form"), function (form) {
    form.addEventListener("submit", function () {
      window.setTimeout(function () {
        Array.prototype.forEach.call(form.querySelectorAll("button"), function (button) {
          button.disabled = true;
        });
      }, 0);
    });
  });
}());
