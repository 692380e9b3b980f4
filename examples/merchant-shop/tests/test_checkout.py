"""The shop's payment verification, against i'mport's public REST API (emulated)."""

import uuid


def order(shop, amount: int) -> str:
    merchant_uid = f"order_{uuid.uuid4().hex[:12]}"
    assert (
        shop.post("/orders", json={"merchant_uid": merchant_uid, "amount": amount}).status_code
        == 201
    )
    return merchant_uid


def test_a_paid_payment_fulfils_the_order(shop, iamport_control):
    merchant_uid = order(shop, 12000)
    payment = iamport_control.seed_payment(amount=12000, merchant_uid=merchant_uid)

    answer = shop.post(
        "/payments/complete", json={"imp_uid": payment["imp_uid"], "merchant_uid": merchant_uid}
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "paid"


def test_a_payment_for_less_than_the_order_is_refused(shop, iamport_control):
    merchant_uid = order(shop, 12000)
    # the buyer changed the amount in the page before paying
    payment = iamport_control.seed_payment(amount=100, merchant_uid=merchant_uid)

    answer = shop.post(
        "/payments/complete", json={"imp_uid": payment["imp_uid"], "merchant_uid": merchant_uid}
    )

    assert answer.status_code == 400
    assert shop.get(f"/orders/{merchant_uid}").json()["status"] == "pending"


def test_a_virtual_account_is_paid_when_the_deposit_webhook_comes(shop, iamport_control):
    iamport_control.configure_webhooks(str(shop.base_url.join("/iamport/webhook")))
    merchant_uid = order(shop, 30000)
    vbank = iamport_control.seed_payment(
        amount=30000, merchant_uid=merchant_uid, pay_method="vbank", status="ready"
    )
    notice = {"imp_uid": vbank["imp_uid"], "merchant_uid": merchant_uid}
    assert shop.post("/payments/complete", json=notice).json()["status"] == "awaiting_deposit"

    iamport_control.deposit(vbank["imp_uid"])

    sent = iamport_control.wait_for_webhooks(vbank["imp_uid"], count=2)
    assert [(w.status, w.state) for w in sent] == [("ready", "delivered"), ("paid", "delivered")]
    assert shop.get(f"/orders/{merchant_uid}").json()["status"] == "paid"


def test_an_outage_at_iamport_leaves_the_order_pending(shop, iamport_control):
    merchant_uid = order(shop, 5000)
    payment = iamport_control.seed_payment(amount=5000, merchant_uid=merchant_uid)
    notice = {"imp_uid": payment["imp_uid"], "merchant_uid": merchant_uid}
    iamport_control.inject_fault("/payments/*", status=503, times=1)

    assert shop.post("/payments/complete", json=notice).status_code == 503
    assert shop.get(f"/orders/{merchant_uid}").json()["status"] == "pending"
    assert shop.post("/payments/complete", json=notice).json()["status"] == "paid"


def test_an_expired_token_is_renewed(shop, iamport_control):
    first, second = order(shop, 1000), order(shop, 2000)
    paid_first = iamport_control.seed_payment(amount=1000, merchant_uid=first)
    paid_second = iamport_control.seed_payment(amount=2000, merchant_uid=second)
    assert (
        shop.post(
            "/payments/complete", json={"imp_uid": paid_first["imp_uid"], "merchant_uid": first}
        ).status_code
        == 200
    )

    iamport_control.advance_clock(31 * 60)  # i'mport's tokens last 30 minutes

    answer = shop.post(
        "/payments/complete", json={"imp_uid": paid_second["imp_uid"], "merchant_uid": second}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "paid"
