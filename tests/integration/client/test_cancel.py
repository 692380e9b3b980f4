"""Cancel through both clients: checksum always sent, and each refusal as its own error."""

from __future__ import annotations

from typing import Any

import pytest

from paydesk.iamport import (
    AlreadyCancelled,
    CancelAmountExceeded,
    ChecksumMismatch,
    NotFound,
    PaymentNotCancellable,
)
from tests.integration.client.conftest import Recorder
from tests.support.emulator import EmulatorClient, seed


def test_partial_then_full_cancel(emu: EmulatorClient, api: Any, recorder: Recorder) -> None:
    imp_uid = seed(emu, amount=10000)["imp_uid"]
    first = api.cancel(imp_uid, amount=3000, checksum=10000, reason="부분환불")
    assert first.status == "cancelled" and first.cancel_amount == 3000 and first.balance == 7000
    assert first.cancel_history[0].amount == 3000 and first.cancel_history[0].cancellation_id
    assert recorder.count("GET", f"/payments/{imp_uid}") == 0  # known balance: no read
    rest = api.cancel(imp_uid, reason="나머지")  # a full cancel may read the balance itself
    assert rest.cancel_amount == 10000 and rest.balance == 0 and len(rest.cancel_history) == 2
    assert recorder.count("GET", f"/payments/{imp_uid}") == 1  # the checksum came from a read


def test_a_partial_cancel_without_checksum_sends_nothing(
    emu: EmulatorClient, api: Any, recorder: Recorder
) -> None:
    imp_uid = seed(emu, amount=10000)["imp_uid"]
    with pytest.raises(ValueError, match="checksum"):
        api.cancel(imp_uid, amount=5000)
    assert recorder.requests == []
    assert api.payment(imp_uid).cancel_amount == 0


def test_cancel_by_merchant_uid(emu: EmulatorClient, api: Any) -> None:
    seed(emu, merchant_uid="order_c", status="failed")
    paid = seed(emu, merchant_uid="order_c", amount=5000)
    cancelled = api.cancel(merchant_uid="order_c", reason="주문취소")
    assert cancelled.imp_uid == paid["imp_uid"] and cancelled.cancel_amount == 5000


def test_refusals_map_to_their_errors(emu: EmulatorClient, api: Any) -> None:
    imp_uid = seed(emu, amount=10000)["imp_uid"]
    with pytest.raises(ChecksumMismatch) as mismatch:
        api.cancel(imp_uid, amount=1000, checksum=9000)
    assert mismatch.value.reconcile and mismatch.value.keys["checksum"] == 9000
    with pytest.raises(CancelAmountExceeded):
        api.cancel(imp_uid, amount=20000, checksum=10000)
    api.cancel(imp_uid, checksum=10000)
    with pytest.raises(AlreadyCancelled):
        api.cancel(imp_uid)
    with pytest.raises(NotFound):
        api.cancel("imp_000000000000", checksum=100)
    unpaid = seed(emu, status="ready")["imp_uid"]
    with pytest.raises(PaymentNotCancellable) as refused:
        api.cancel(unpaid)
    assert type(refused.value) is PaymentNotCancellable
    assert refused.value.message.startswith("결제취소에 실패하였습니다.(")
