"""Reading the admin search's query parameters, and the timeline's order of entries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from paydesk.services.backoffice import SearchPage, TransactionQuery, parse_filters
from paydesk.services.errors import InvalidFilters
from paydesk.services.timeline import KINDS, OrderHistory, entries_of
from paydesk.store.backoffice import OrderHeader
from paydesk.store.gateway_calls import GatewayCall


def test_blank_parameters_match_anything() -> None:
    assert parse_filters({}) == TransactionQuery()
    assert parse_filters({"imp_uid": "  ", "buyer": "", "other": "x"}) == TransactionQuery()


def test_values_are_trimmed_and_method_is_the_pay_method() -> None:
    query = parse_filters({"imp_uid": " imp_1 ", "method": "vbank", "status": "paid",
                           "buyer": "Hong", "apply_num": "3000", "pg_tid": "t"})  # fmt: skip
    assert query == TransactionQuery(imp_uid="imp_1", pay_method="vbank", status="paid",
                                     buyer="Hong", apply_num="3000", pg_tid="t")  # fmt: skip


def test_dates_are_korean_days_both_inclusive() -> None:
    query = parse_filters({"date_from": "2030-01-01", "date_to": "2030-01-01"})
    assert query.since == datetime(2029, 12, 31, 15, tzinfo=UTC)  # 00:00 KST
    assert query.until == datetime(2030, 1, 1, 15, tzinfo=UTC)  # the next day's 00:00 KST
    only_to = parse_filters({"date_to": "2030-01-31"})
    assert only_to.since is None and only_to.until == datetime(2030, 1, 31, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"date_from": "2030-13-01"}, "date_from"),
        ({"date_to": "yesterday"}, "date_to"),
        ({"date_from": "2030-01-02", "date_to": "2030-01-01"}, "after"),
        ({"status": "shipped"}, "status"),
        ({"imp_uid": "x" * 33}, "imp_uid"),
        ({"buyer": "x" * 101}, "buyer"),
        ({"attention": "all"}, "attention"),
        ({"buyer": "a\x00b"}, "control"),
        ({"merchant_uid": "a\nb"}, "control"),
    ],
)
def test_bad_parameters_are_refused_with_a_reason(params: dict[str, str], says: str) -> None:
    with pytest.raises(InvalidFilters, match=says):
        parse_filters(params)
    assert issubclass(InvalidFilters, ValueError)


def test_attention_picks_unknown_or_needs_input() -> None:
    assert parse_filters({"attention": "unknown"}) == TransactionQuery(attention="unknown")
    assert (
        parse_filters({"attention": " needs_refund_account "}).attention == "needs_refund_account"
    )


def test_pages_round_up() -> None:
    assert [SearchPage([], total, 1, 50).pages for total in (0, 1, 50, 51)] == [1, 1, 1, 2]


T0 = datetime(2030, 1, 1, tzinfo=UTC)


def call(seconds: int, operation: str) -> GatewayCall:
    return GatewayCall(at=T0 + timedelta(seconds=seconds), operation=operation, method="GET",
                       path="/x", outcome="ok")  # fmt: skip


def test_the_order_opens_the_timeline_and_the_rest_is_time_ordered() -> None:
    order = OrderHeader(id=1, merchant_uid="m", name="n", status="paid", amount=1, paid_amount=1,
                        refunded_amount=0, currency="KRW", imp_uid=None, pay_method=None, pg=None,
                        buyer={}, expires_at=T0, created_at=T0 + timedelta(seconds=5),
                        updated_at=T0)  # fmt: skip
    history = OrderHistory(order, calls=[call(9, "b"), call(1, "a"), call(9, "c")])
    entries = entries_of(history)
    assert [e.kind for e in entries] == ["order", "call", "call", "call"]
    assert [e.detail.get("operation") for e in entries[1:]] == ["a", "b", "c"]  # stable on ties
    assert entries[1].title == "a → ok" and KINDS[0] == "order"
