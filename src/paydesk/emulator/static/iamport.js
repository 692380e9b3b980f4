/*
 * paydesk emulator: a drop-in for https://cdn.iamport.kr/v1/iamport.js (i'mport V1 SDK).
 *
 * Point a merchant page's <script src> at the emulator's /v1/iamport.js and
 * IMP.init / IMP.agency / IMP.request_pay / IMP.certification talk to the
 * emulator instead of i'mport.  The emulator's address is taken from this
 * script's own src, so merchant pages on any origin work.  The window runs on
 * the emulator's origin (modal iframe, popup or full-page redirect) and hands
 * the result back with postMessage, like the real SDK.
 *
 * Redirect flow: when m_redirect_url is given AND (the browser is mobile OR
 * the params say redirect: true), the page itself navigates to the window and
 * the result comes back as a 302 to m_redirect_url (no callback).
 */
(function (global) {
  "use strict";
  if (global.IMP && global.IMP.__paydesk) {
    return;
  }
  var document = global.document;
  var script = document.currentScript || (function () {
    var all = document.getElementsByTagName("script");
    for (var i = all.length - 1; i >= 0; i -= 1) {
      if (/iamport(\.payment-[^\/]*)?\.js(\?|$)/.test(all[i].src)) {
        return all[i];
      }
    }
    return null;
  })();
  var BASE = (script ? script.src : "").replace(/\/(v1\/iamport|js\/iamport\.payment-[^\/]*)\.js(\?.*)?$/, "");
  var ORIGIN = new URL(BASE + "/", global.location.href).origin;
  var CANCELLED = "사용자가 결제를 취소하셨습니다";
  var config = { code: null, tier: null };
  var active = null;

  function isMobile() {
    return /Mobi|Android|iPhone|iPad|iPod/i.test(global.navigator.userAgent || "");
  }

  function modeOf(params) {
    if (params.m_redirect_url && (params.redirect === true || isMobile())) {
      return "redirect";
    }
    return params.popup === true ? "popup" : "modal";
  }

  function errorRsp(params, message, code) {
    return {
      success: false,
      imp_success: false,
      error_code: code || "F1000",
      error_msg: message,
      imp_uid: null,
      merchant_uid: (params && params.merchant_uid) || null
    };
  }

  function later(callback, rsp) {
    if (typeof callback === "function") {
      global.setTimeout(function () { callback(rsp); }, 0);
    }
  }

  function submit(action, fields, target) {
    var form = document.createElement("form");
    form.method = "POST";
    form.action = action;
    form.target = target;
    form.style.display = "none";
    Object.keys(fields).forEach(function (name) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = fields[name];
      form.appendChild(input);
    });
    document.body.appendChild(form);
    form.submit();
    document.body.removeChild(form);
  }

  function overlay(name) {
    var wrap = document.createElement("div");
    wrap.id = "paydesk-overlay";
    wrap.style.cssText = "position:fixed;inset:0;background:rgba(0,0,0,.45);z-index:2147483646;" +
      "display:flex;align-items:center;justify-content:center;";
    var frame = document.createElement("iframe");
    frame.name = name;
    frame.id = "paydesk-frame";
    frame.title = "결제창";
    frame.style.cssText = "width:min(440px,100%);height:min(680px,100%);border:0;" +
      "border-radius:12px;background:#fff;box-shadow:0 8px 32px rgba(0,0,0,.3);";
    wrap.appendChild(frame);
    document.body.appendChild(wrap);
    return wrap;
  }

  function teardown(session) {
    if (session.timer) {
      global.clearInterval(session.timer);
    }
    if (session.overlay && session.overlay.parentNode) {
      session.overlay.parentNode.removeChild(session.overlay);
    }
    if (session.popup && !session.popup.closed) {
      session.popup.close();
    }
  }

  function beacon(sid, what) {
    if (!sid) {
      return;
    }
    var url = BASE + "/window/" + encodeURIComponent(sid) + "/" + what;
    try {
      if (global.navigator.sendBeacon && global.navigator.sendBeacon(url, "")) {
        return;
      }
    } catch (ignored) { /* fall through to fetch */ }
    try {
      global.fetch(url, { method: "POST", mode: "no-cors", keepalive: true });
    } catch (ignored) { /* nothing else to try */ }
  }

  function finish(session, rsp, sid) {
    if (session.done) {
      return;
    }
    session.done = true;
    teardown(session);
    if (active === session) {
      active = null;
    }
    try {
      if (typeof session.callback === "function") {
        session.callback(rsp);
      }
    } finally {
      beacon(sid || session.sid, "returned");
    }
  }

  function abandoned(session) {
    if (session.done || session.abandoning) {
      return;
    }
    global.clearInterval(session.timer);
    session.timer = null;
    session.abandoning = true;
    var fallback = errorRsp(session.params, CANCELLED, "F0001");
    global.fetch(BASE + "/window/" + encodeURIComponent(session.sid) + "/abandon",
      { method: "POST", mode: "cors" })
      .then(function (answer) { return answer.json(); })
      .then(function (rsp) { finish(session, rsp, session.sid); },
            function () { finish(session, fallback, session.sid); });
  }

  function precheck(action, fields, params, callback) {
    global.fetch(BASE + "/window/precheck", {
      method: "POST", mode: "cors", body: new URLSearchParams(fields)
    }).then(function (answer) { return answer.json(); }).then(function (answer) {
      if (answer.ok) {
        submit(action, fields, "_self");
      } else {
        callback(answer.rsp);
      }
    }, function () { submit(action, fields, "_self"); });
  }

  function newSid() {
    var bytes = new Uint8Array(12);
    global.crypto.getRandomValues(bytes);
    return "win_" + Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function open(kind, params, callback) {
    params = params || {};
    if (!config.code) {
      later(callback, errorRsp(params, "IMP.init()으로 가맹점 식별코드를 먼저 설정해주세요."));
      return;
    }
    var payload;
    try {
      payload = JSON.stringify(params);
    } catch (error) {
      later(callback, errorRsp(params, "결제 파라미터를 JSON으로 바꿀 수 없습니다: " + error));
      return;
    }
    if (active) {
      abandoned(active);  // a new request replaces the open window: the old one is cancelled
    }
    var mode = modeOf(params);
    var sid = newSid();  // known before the window loads, so a closed popup can be reported
    var fields = {
      sid: sid,
      imp_code: config.code,
      tier: config.tier || "",
      params: payload,
      mode: mode,
      origin: global.location.origin,
      has_callback: typeof callback === "function" ? "1" : ""
    };
    var action = BASE + "/window/" + kind;
    if (mode === "redirect") {
      if (kind === "pay" && typeof callback === "function") {
        precheck(action, fields, params, callback);
      } else {
        submit(action, fields, "_self");
      }
      return;
    }
    var session = { kind: kind, params: params, callback: callback, mode: mode, sid: sid, done: false };
    var name = "paydesk_" + Math.random().toString(36).slice(2);
    active = session;
    if (mode === "popup") {
      session.popup = global.open("", name, "width=760,height=760");
      if (session.popup) {
        session.timer = global.setInterval(function () {
          if (session.popup.closed && !session.done) {
            abandoned(session);
          }
        }, 400);
      } else {
        session.mode = fields.mode = "modal";
      }
    }
    if (session.mode === "modal") {
      session.overlay = overlay(name);
    }
    submit(action, fields, name);
  }

  global.addEventListener("message", function (event) {
    var data = event.data;
    if (event.origin !== ORIGIN || !active || !data || data.source !== "paydesk") {
      return;
    }
    if (data.type === "result") {
      finish(active, data.rsp, data.sid);
    }
  });

  global.IMP = {
    __paydesk: true,
    version: "paydesk-emulator",
    init: function (code) { config.code = code; config.tier = null; },
    agency: function (code, tier) { config.code = code; config.tier = tier || null; },
    request_pay: function (params, callback) { open("pay", params, callback); },
    certification: function (params, callback) { open("certification", params, callback); },
    loadModule: function () { /* the emulator has no extra modules */ },
    close: function () {
      if (active) {
        abandoned(active);
      }
    }
  };
})(window);
