/*
 * The demo shop's pages: place an order, pay through iamport.js, report the result.
 *
 * Every write goes to this server as same-origin JSON with the page's CSRF
 * token (the server refuses any other). The window's result is never believed here: the callback only tells
 * the server which imp_uid to check with i'mport (POST /iamport/complete), then
 * the buyer sees the order as the server has it.
 */
(function () {
  "use strict";

  function $(selector, root) { return (root || document).querySelector(selector); }

  function say(text) {
    var box = $("#message");
    if (box) {
      box.textContent = text || "";
      box.hidden = !text;
    }
  }

  function csrfToken() {
    var meta = $('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify(body)
    }).then(function (answer) {
      return answer.json().catch(function () { return {}; }).then(function (data) {
        if (!answer.ok) {
          var error = new Error(data.detail || data.title || "요청을 처리하지 못했습니다.");
          error.status = answer.status;
          throw error;
        }
        return data;
      });
    });
  }

  function imp(code) {
    if (!window.IMP) {
      throw new Error("결제 모듈(iamport.js)을 불러오지 못했습니다.");
    }
    window.IMP.init(code || document.body.dataset.impCode);
    return window.IMP;
  }

  // -- checkout ---------------------------------------------------------------
  function checkout(form) {
    var labels = JSON.parse(form.dataset.pgLabels || "{}");
    var select = $("#pg", form);
    var button = $("#pay", form);
    var escrow = $("#escrow", form);

    // the escrow checkbox only for a method and PG that offer it (the server checks again)
    function escrowChoice() {
      var chosen = form.querySelector("input[name=method]:checked");
      var pgs = chosen && chosen.dataset.escrowPgs ? chosen.dataset.escrowPgs.split(",") : [];
      var offered = pgs.indexOf(select.value) >= 0;
      $("#escrow-row", form).hidden = !offered;
      if (!offered) { escrow.checked = false; }
    }

    function choices() {
      var chosen = form.querySelector("input[name=method]:checked");
      var pgs = chosen ? chosen.dataset.pgs.split(",") : [];
      select.innerHTML = "";
      pgs.forEach(function (pg) {
        var option = document.createElement("option");
        option.value = pg;
        option.textContent = labels[pg] || pg;
        select.appendChild(option);
      });
      $("#pg-row").hidden = pgs.length < 2;
      escrowChoice();
    }

    form.querySelectorAll("input[name=method]").forEach(function (input) {
      input.addEventListener("change", choices);
    });
    select.addEventListener("change", escrowChoice);
    choices();

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      say("");
      button.disabled = true;
      var body = {
        product_id: Number(form.dataset.productId),
        quantity: Number($("#quantity", form).value || 1),
        method: form.querySelector("input[name=method]:checked").value,
        pg: select.value,
        escrow: escrow.checked,
        buyer: {
          name: $("#buyer_name", form).value || null,
          email: $("#buyer_email", form).value || null,
          tel: $("#buyer_tel", form).value || null
        }
      };
      post("/shop/orders", body).then(function (placed) {
        imp(placed.imp_code).request_pay(placed.request_pay, function (rsp) {
          var report = { imp_uid: rsp.imp_uid || null, merchant_uid: rsp.merchant_uid || placed.merchant_uid };
          // the order page shows what the server verified, whatever this call answered
          post("/iamport/complete", report).catch(function () { return null; }).then(function () {
            window.location.href = placed.order_url;
          });
        });
      }).catch(function (error) {
        say(error.message);
        button.disabled = false;
      });
    });
  }

  // -- identity verification ----------------------------------------------------
  function identity(button) {
    button.addEventListener("click", function () {
      say("");
      try {
        imp().certification({}, function (rsp) {
          if (!rsp.success || !rsp.imp_uid) {
            say(rsp.error_msg || "본인인증이 완료되지 않았습니다.");
            return;
          }
          post("/shop/identity", { imp_uid: rsp.imp_uid }).then(function () {
            window.location.reload();
          }, function (error) { say(error.message); });
        });
      } catch (error) {
        say(error.message);
      }
    });
  }

  // -- subscription signup --------------------------------------------------------
  function subscription(button) {
    button.addEventListener("click", function () {
      say("");
      var plan = Number(button.dataset.planId);
      post("/shop/subscriptions/window", { plan_id: plan, pg: $("#sub-pg").value }).then(function (opened) {
        imp(opened.imp_code).request_pay(opened.request_pay, function (rsp) {
          if (!rsp.imp_uid) {
            say(rsp.error_msg || "카드 등록이 취소되었습니다.");
            return;
          }
          post("/shop/subscriptions", { plan_id: plan, imp_uid: rsp.imp_uid }).then(function (made) {
            window.location.href = made.subscription_url;
          }, function (error) { say(error.message); });
        });
      }).catch(function (error) { say(error.message); });
    });
  }

  // -- live stock and order state -----------------------------------------------------
  function refreshStock() {
    fetch("/shop/stock", { credentials: "same-origin" }).then(function (answer) {
      return answer.ok ? answer.json() : null;
    }).then(function (data) {
      (data ? data.products : []).forEach(function (product) {
        var label = $("[data-stock-for='" + product.id + "']");
        if (!label || Number(label.dataset.available) === product.available) {
          return;
        }
        label.dataset.available = product.available;
        label.textContent = product.available > 0 && product.on_sale
          ? (product.available <= 5 ? "한정 수량 · " + product.available + "개 남음" : "재고 " + product.available + "개")
          : "품절";
        label.closest(".card").classList.toggle("sold-out", !(product.available > 0 && product.on_sale));
      });
    }, function () { /* try again next time */ });
  }

  function watchOrder(order) {
    var url = "/shop/orders/" + encodeURIComponent(order.dataset.merchantUid) + "/status";
    window.setInterval(function () {
      fetch(url, { credentials: "same-origin" }).then(function (answer) {
        return answer.ok ? answer.json() : null;
      }).then(function (data) {
        if (data && data.status !== order.dataset.status) {
          window.location.reload();
        }
      }, function () { /* try again next time */ });
    }, 2000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = $("#checkout");
    if (form) { checkout(form); }
    var verify = $("#verify");
    if (verify) { identity(verify); }
    document.querySelectorAll("button.subscribe").forEach(subscription);
    if ($("#products")) { window.setInterval(refreshStock, 5000); }
    var order = $("#order[data-waiting]");
    if (order) { watchOrder(order); }
  });
})();
