"""Tax-free and VAT parts of an order and of its refunds (``core.taxes``; reference §2.3, §4.3)."""

from __future__ import annotations

from datetime import UTC, datetime

from paydesk.core.money import Money
from paydesk.core.pg_rules import RefundCase, RuleRefusal, refund_refusal
from paydesk.core.stock import Line
from paydesk.core.taxes import RefundTaxes, TaxParts, order_tax_free, refund_taxes, vat_of

W = Money
ZERO = Money(0)


def taxes(tax_free: int = 0, vat: int | None = None, *, refunded_tax_free: int = 0,
          refunded_vat: int = 0, vat_accepted: bool = True) -> RefundTaxes:  # fmt: skip
    return RefundTaxes(W(tax_free), None if vat is None else W(vat), W(refunded_tax_free),
                       W(refunded_vat), vat_accepted)  # fmt: skip


def test_the_tax_free_part_is_the_lines_of_tax_free_products() -> None:
    prices = {1: W(12_000), 2: W(3_300)}
    lines = [Line(1, 2), Line(2, 1)]
    assert order_tax_free(lines, prices, [1]) == W(24_000)
    assert order_tax_free(lines, prices, []) is None
    assert order_tax_free(lines, prices, [3]) is None


def test_vat_is_one_eleventh_rounded_half_up() -> None:
    assert vat_of(W(11_000)) == W(1_000)
    assert vat_of(W(3_300)) == W(300)
    assert vat_of(W(16)) == W(1)  # 1.45 -> 1
    assert vat_of(W(17)) == W(2)  # 1.54 -> 2
    assert vat_of(Money(1_100, "USD")) == Money(100, "USD")  # cents


def test_an_order_without_tax_parts_sends_none() -> None:
    assert refund_taxes(taxes(), W(5_000), W(20_000), None, None) == TaxParts(None, None)


def test_the_whole_balance_takes_the_tax_free_money_left() -> None:
    parts = refund_taxes(taxes(12_000), W(20_000), W(20_000), None, None)
    assert parts == TaxParts(W(12_000), None)
    after = taxes(12_000, refunded_tax_free=2_000)
    assert refund_taxes(after, W(10_000), W(10_000), None, None) == TaxParts(W(10_000), None)


def test_a_partial_refund_without_tax_free_is_taxable_money_said_explicitly() -> None:
    # i'mport reads an absent tax_free as 0; kcp/kicc/nice/payco refuse it absent: send 0
    parts = refund_taxes(taxes(12_000), W(5_000), W(20_000), None, None)
    assert parts == TaxParts(ZERO, None)


def test_a_partial_refund_beyond_the_taxable_money_left_must_say_its_tax_free_part() -> None:
    refused = refund_taxes(taxes(12_000), W(9_000), W(20_000), None, None)
    assert isinstance(refused, RuleRefusal) and refused.rule == "tax_free"
    assert "8,000" in refused.message
    parts = refund_taxes(taxes(12_000), W(9_000), W(20_000), W(6_000), None)
    assert parts == TaxParts(W(6_000), None)


def test_a_stated_tax_free_part_is_bounded() -> None:
    for given, amount in ((13_000, 15_000), (6_000, 5_000), (1_000, 10_000)):
        refused = refund_taxes(taxes(12_000), W(amount), W(20_000), W(given), None)
        assert isinstance(refused, RuleRefusal) and refused.rule == "tax_free", (given, amount)
    no_exempt = refund_taxes(taxes(), W(5_000), W(20_000), W(1_000), None)
    assert isinstance(no_exempt, RuleRefusal) and no_exempt.rule == "tax_free"


def test_explicit_vat_follows_the_taxable_part() -> None:
    order = taxes(12_000, vat=727)  # 20,000 with 8,000 taxable: 727 VAT
    assert refund_taxes(order, W(5_500), W(20_000), None, None) == TaxParts(ZERO, W(500))
    assert refund_taxes(order, W(20_000), W(20_000), None, None) == TaxParts(W(12_000), W(727))
    later = taxes(12_000, vat=727, refunded_vat=500)
    assert refund_taxes(later, W(2_500), W(14_500), None, None) == TaxParts(ZERO, W(227))
    too_much = refund_taxes(order, W(5_500), W(20_000), None, W(800))
    assert isinstance(too_much, RuleRefusal) and too_much.rule == "vat_amount"


def test_no_vat_is_sent_to_a_pg_that_takes_none() -> None:
    order = taxes(vat=1_000, vat_accepted=False)
    assert refund_taxes(order, W(5_500), W(11_000), None, W(500)) == TaxParts(None, None)


def test_ksnet_counts_the_remaining_balance_after_nine_partial_cancels_as_a_tenth() -> None:
    def case(amount: int, balance: int, cancels: int) -> RefundCase:
        now = datetime(2030, 1, 2, 12, tzinfo=UTC)
        return RefundCase(pg="ksnet", pay_method="card", paid_at=now, amount=W(amount),
                          balance=W(balance), cancels_so_far=cancels, reason="r", now=now)  # fmt: skip

    assert refund_refusal(case(100, 9_100, 8)) is None
    refused = refund_refusal(case(9_100, 9_100, 9))
    assert refused is not None and refused.rule == "partial_limit"
    assert refund_refusal(case(10_000, 10_000, 0)) is None  # a whole cancel, none before
