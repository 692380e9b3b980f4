"""The kept answers of GET /payments/{imp_uid}: the same bytes, and never a stale one."""

from __future__ import annotations

from typing import Any

import pytest

from paydesk.emulator.api.payments import AnswerCache
from paydesk.emulator.envelope import Encoded, encode, envelope
from paydesk.emulator.gateway.records import PAYMENT_WIRE_FIELDS, CancelEntry, Payment


def payment(**fields: Any) -> Payment:
    base: dict[str, Any] = {"imp_uid": "imp_123456789012", "merchant_uid": "order-1",
                            "amount": 1000, "imp_code": "imp00000001", "name": "주문 \"1\"\n",
                            "status": "paid", "paid_at": 1_700_000_000}  # fmt: skip
    return Payment(**{**base, **fields})


@pytest.mark.parametrize(
    ("code", "message", "status"), [(0, None, 200), (1, "취소할 수 없습니다", 400), (-1, None, 404)]
)
def test_an_encoded_answer_is_the_bytes_of_encoding_it_in_the_envelope(
    code: int, message: str | None, status: int
) -> None:
    responses: list[Any] = [payment().wire(), payment(amount=1234.5).wire(), None, []]
    for response in responses:
        kept = envelope(encode(response), code=code, message=message, status=status)
        fresh = envelope(response, code=code, message=message, status=status)
        assert kept.body == fresh.body and kept.status_code == fresh.status_code
        assert kept.headers.raw == fresh.headers.raw


def test_the_same_payment_unchanged_gets_the_same_answer_and_any_change_a_new_one() -> None:
    cache = AnswerCache()
    one = payment()
    first = cache.answer(one)
    assert type(first) is Encoded and first == encode(one.wire())
    assert cache.answer(one) is first
    for field in PAYMENT_WIRE_FIELDS:
        if field == "promotion":
            continue  # a dict: never kept (below)
        value = getattr(one, field)
        # an equal value that is another object (or a new one): never the kept answer
        if isinstance(value, str):
            setattr(one, field, "".join([value, "x"])[:-1] if value else "x")
        elif isinstance(value, bool):
            setattr(one, field, not value)
        elif isinstance(value, int):  # above 256 an equal int is another object
            setattr(one, field, int(str(value)) if value > 256 else value + 1)
        elif value is None:
            setattr(one, field, "set")
        else:
            continue
        again = cache.answer(one)
        assert again is not first, field
        assert again == encode(one.wire()), field
        first = again
    other = payment()  # another payment object under the same imp_uid (after a reset)
    assert cache.answer(other) == encode(other.wire()) != first


def test_histories_and_promotions_are_never_kept() -> None:
    cache = AnswerCache()
    entry = CancelEntry(pg_tid="t", amount=100, cancelled_at=1, reason=None,
                        cancellation_id="c", receipt_url=None)  # fmt: skip
    for one in (payment(cancel_history=[entry]), payment(promotion={"id": "p", "discount": 1})):
        answer = cache.answer(one)
        assert type(answer) is dict and answer == one.wire()


def test_the_cache_keeps_at_most_its_size() -> None:
    cache = AnswerCache(size=3)
    payments = [payment(imp_uid=f"imp_00000000000{i}") for i in range(5)]
    answers = [cache.answer(p) for p in payments]
    assert len(cache._answers) == 3
    assert cache.answer(payments[4]) is answers[4]  # still kept
    assert cache.answer(payments[0]) is not answers[0]  # the oldest went first
    assert cache.answer(payments[0]) == answers[0]
