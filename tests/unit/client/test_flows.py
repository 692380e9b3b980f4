"""Multi-step operations and answer parsing, driven without a socket."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paydesk.iamport.errors import (
    AlreadyCancelled,
    Declined,
    NotFound,
    OutcomeUnknown,
    UnreadableAnswer,
)
from paydesk.iamport.operations import (
    billing_keys,
    cancel,
    charges,
    codes,
    payments,
    schedules,
)
from paydesk.iamport.operations.verification import Verdict, verify_payment

from .replay import ok, payment, refused, replay

NOT_FOUND = refused(404, -1, "존재하지 않는 결제정보입니다.")


def test_full_cancel_without_checksum_reads_the_balance_first() -> None:
    current = payment(cancel_amount=3000, status="cancelled")
    after = payment(cancel_amount=10000, status="cancelled")
    result, sent = replay(
        cancel.cancel("imp_100000000001", reason="전액환불"), [ok(current), ok(after)]
    )
    assert [r.method for r in sent] == ["GET", "POST"]
    assert sent[0].path == "/payments/imp_100000000001"
    assert sent[0].query == (("include_sandbox", "true"),)  # cancel sees test payments too
    assert sent[1].body is not None
    assert sent[1].body["checksum"] == 7000 and sent[1].body["amount"] is None
    assert sent[1].keys == {"imp_uid": "imp_100000000001", "checksum": 7000}
    assert result.cancel_amount == 10000 and result.balance == 0


def test_a_partial_cancel_without_checksum_is_refused_before_any_request() -> None:
    with pytest.raises(ValueError, match="checksum"):
        cancel.cancel("imp_100000000001", amount=2000)
    with pytest.raises(ValueError, match="checksum"):
        cancel.cancel(merchant_uid="order_1", amount=2000)


def test_cancel_with_a_known_balance_sends_it_without_reading() -> None:
    _, sent = replay(
        cancel.cancel("imp_100000000001", checksum=10000),
        [ok(payment(status="cancelled", cancel_amount=10000))],
    )
    assert len(sent) == 1 and sent[0].body is not None
    assert sent[0].body["checksum"] == 10000 and sent[0].body.get("amount") is None


def test_cancel_by_merchant_uid_picks_the_refundable_attempt_and_pins_its_imp_uid() -> None:
    attempts = {
        "total": 3,
        "previous": 0,
        "next": 0,
        "list": [
            payment(imp_uid="imp_3", status="failed"),
            payment(imp_uid="imp_2", status="paid", amount=8000),
            payment(imp_uid="imp_1", status="cancelled", cancel_amount=10000),
        ],
    }
    _, sent = replay(
        cancel.cancel(merchant_uid="order_1"),
        [ok(attempts), ok(payment(imp_uid="imp_2", status="cancelled", cancel_amount=8000))],
    )
    assert sent[0].path == "/payments/findAll/order_1"
    assert sent[1].body is not None
    assert sent[1].body["imp_uid"] == "imp_2" and sent[1].body["checksum"] == 8000
    assert sent[1].body["merchant_uid"] == "order_1"


def test_cancel_of_a_cancelled_payment_surfaces_already_cancelled() -> None:
    with pytest.raises(AlreadyCancelled):
        replay(
            cancel.cancel("imp_1"),
            [
                ok(payment(status="cancelled", cancel_amount=10000)),
                refused(200, 1, "이미 전액취소된 주문입니다."),
            ],
        )


def test_cancel_needs_a_target() -> None:
    with pytest.raises(ValueError):
        cancel.cancel()


def test_lost_cancel_answer_carries_what_reconciliation_needs() -> None:
    lost = OutcomeUnknown("no answer", write=True)
    with pytest.raises(OutcomeUnknown) as caught:
        replay(cancel.cancel("imp_1", amount=100, checksum=10000), [lost])
    assert caught.value is lost  # raised through the flow unchanged


@pytest.mark.parametrize(
    ("answer", "verdict", "status"),
    [
        (ok(payment()), Verdict.OK, "paid"),
        (ok(payment(amount=100)), Verdict.AMOUNT_MISMATCH, "paid"),
        (ok(payment(currency="USD")), Verdict.AMOUNT_MISMATCH, "paid"),
        (ok(payment(merchant_uid="someone_else")), Verdict.MERCHANT_UID_MISMATCH, "paid"),
        (ok(payment(status="ready", pay_method="vbank")), Verdict.NOT_PAID, "ready"),
        (ok(payment(status="cancelled", cancel_amount=10000)), Verdict.NOT_PAID, "cancelled"),
        (NOT_FOUND, Verdict.UNKNOWN, None),
    ],
)
def test_verification_verdicts(
    answer: tuple[int, dict[str, object]], verdict: Verdict, status: str | None
) -> None:
    result, sent = replay(verify_payment("imp_100000000001", 10000, "order_1"), [answer])
    assert sent[0].query == ()  # a test-channel payment is unknown unless asked for
    assert result.verdict is verdict
    assert result.status == status
    assert result.ok is (verdict is Verdict.OK)


def test_verification_compares_exact_decimal_money() -> None:
    answer = ok(payment(amount=Decimal("12.5"), currency="USD"))
    result, _ = replay(verify_payment("imp_1", Decimal("12.50"), "order_1", "USD"), [answer])
    assert result.verdict is Verdict.OK


def test_verification_does_not_swallow_communication_errors() -> None:
    with pytest.raises(OutcomeUnknown):
        replay(verify_payment("imp_1", 1, "o"), [OutcomeUnknown("lost", write=False)])


def test_multi_lookup_reports_what_is_missing_on_207_and_404() -> None:
    partial, _ = replay(
        payments.payments(["imp_100000000001", "imp_x"], ["order_1", "order_x"]),
        [ok([payment()], status=207)],
    )
    assert [p.imp_uid for p in partial.found] == ["imp_100000000001"]
    assert partial.missing_imp_uids == ["imp_x"] and partial.missing_merchant_uids == ["order_x"]
    assert partial.partial
    nothing, _ = replay(payments.payments(["imp_x"]), [NOT_FOUND])
    assert nothing.found == [] and nothing.missing_imp_uids == ["imp_x"]


def test_multi_lookup_splits_more_than_100_ids() -> None:
    ids = [f"imp_{n}" for n in range(150)]
    batch, sent = replay(
        payments.payments(ids), [ok([payment(imp_uid="imp_1")]), ok([payment(imp_uid="imp_120")])]
    )
    assert [len(r.query) for r in sent] == [100, 50]
    assert len(batch.found) == 2 and len(batch.missing_imp_uids) == 148


def test_customers_batch() -> None:
    batch, _ = replay(
        billing_keys.customers(["c1", "c2"]),
        [ok([{"customer_uid": "c1", "pg_provider": "nice", "pg_id": "m", "inserted": 1}], 207)],
    )
    assert [c.customer_uid for c in batch.found] == ["c1"] and batch.missing == ["c2"]


def test_a_declined_charge_is_a_failed_payment_unless_asked_to_raise() -> None:
    declined = ok(payment(status="failed", fail_reason="[PG 거절] 한도초과", paid_at=0))
    result, _ = replay(charges.pay_onetime("o", 1, card_number="4", expiry="2030-01"), [declined])
    assert result.status == "failed" and result.paid_at is None
    with pytest.raises(Declined) as caught:
        replay(charges.pay_again("c", "o", 1, name="n", raise_on_decline=True), [declined])
    assert caught.value.payment.fail_reason == "[PG 거절] 한도초과"
    assert caught.value.code == 0 and not caught.value.retryable
    with pytest.raises(Declined):
        replay(schedules.retry_schedule("s1", raise_on_decline=True), [declined])


def test_code_name_lookup_reads_the_table() -> None:
    table = ok([{"code": "004", "name": "KB국민은행"}, {"code": "088", "name": "신한은행"}])
    name, sent = replay(codes.bank_name("088"), [table])
    assert name == "신한은행" and sent[0].cache
    unknown, _ = replay(codes.card_name("999"), [ok([{"code": "361", "name": "BC카드"}])])
    assert unknown is None


def test_a_success_that_does_not_fit_the_model_is_unreadable() -> None:
    with pytest.raises(UnreadableAnswer) as caught:
        replay(payments.payment("imp_1"), [ok({"imp_uid": "imp_1"})])
    assert caught.value.retryable  # a read: asking again is harmless
    with pytest.raises(UnreadableAnswer) as write:
        replay(cancel.cancel("imp_1", checksum=1), [ok({"unexpected": True})])
    assert write.value.reconcile


def test_not_found_propagates_from_a_plain_lookup() -> None:
    with pytest.raises(NotFound):
        replay(payments.payment("imp_1"), [NOT_FOUND])
