"""Tax-free and VAT parts of an order, and how a refund splits them (reference §2.3, §4.3).

An order's tax-free part is the sum of its lines of tax-free (면세) products;
the rest is taxable, and its VAT is i'mport's 1/11 unless the merchant states
it (``vat_amount``, honoured only by some PGs). A refund of such an order must
say which part it gives back, and some PGs (kcp, kicc, nice, payco) refuse a
cancel of a tax-free payment that does not, so the server always says it.

The rule for a refund that names no tax-free part is i'mport's own reading of
an absent ``tax_free`` (§2.3: "absent ⇒ 0"): the money is taxable. Two
consequences, both decided here before anything is sent:

- a refund of everything left takes the tax-free money left with it (what
  i'mport books for a cancel of the whole balance);
- a partial refund bigger than the taxable money left is refused (rule
  ``tax_free``): only the caller knows which goods came back, so it must say
  how much of the refund is tax-free.

VAT follows the tax-free part: with an explicit VAT at payment time (and a PG
that takes it) a refund without ``vat_amount`` carries 1/11 of its taxable
part, capped by the VAT left; a refund of everything left carries all of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from .money import Money
from .pg_rules import RuleRefusal
from .stock import Line

__all__ = [
    "VAT_PGS",
    "RefundTaxes",
    "TaxParts",
    "order_tax_free",
    "refund_taxes",
    "vat_of",
]

#: PGs that take an explicit VAT (``vat_amount``): at payment (§2.5, §7.2) and on cancels
#: (§2.3; tosspay_v2 by §4.3). Elsewhere the VAT is i'mport's 1/11 and none is sent.
VAT_PGS: Final = frozenset({"nice", "html5_inicis", "welcome", "nice_v2", "tosspay_v2"})


def order_tax_free(
    lines: Iterable[Line], prices: Mapping[int, Money], tax_free_products: Iterable[int]
) -> Money | None:
    """The tax-free part of an order: its lines of tax-free products; None when there is none."""
    exempt = set(tax_free_products)
    total: Money | None = None
    for line in lines:
        if line.product_id in exempt:
            part = prices[line.product_id] * line.quantity
            total = part if total is None else total + part
    return total if total is not None and total.is_positive() else None


def vat_of(taxable: Money) -> Money:
    """VAT included in a taxable amount: 1/11, rounded half up to the currency's minor unit."""
    vat = (Decimal(taxable.amount) / 11).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return Money(int(vat), taxable.currency)


@dataclass(frozen=True)
class RefundTaxes:
    """What an order's payment had and what its refunds have taken of it so far."""

    tax_free: Money  # the order's tax-free part (zero when none)
    vat: Money | None  # the order's explicit VAT, None = i'mport's 1/11
    refunded_tax_free: Money  # tax-free part of earlier refunds (booked or open)
    refunded_vat: Money  # VAT part of earlier refunds, when the VAT was explicit
    vat_accepted: bool  # the PG takes ``vat_amount`` (``VAT_PGS``)


@dataclass(frozen=True)
class TaxParts:
    """The parts a refund is sent with; None = the field is not sent."""

    tax_free: Money | None = None
    vat_amount: Money | None = None


def refund_taxes(
    taxes: RefundTaxes,
    amount: Money,
    balance: Money,
    tax_free: Money | None,
    vat_amount: Money | None,
) -> TaxParts | RuleRefusal:
    """The tax parts of a refund of ``amount`` out of ``balance``, or why it is refused."""
    zero = Money.zero(amount.currency)
    tax_free_left = max(taxes.tax_free - taxes.refunded_tax_free, zero)
    taxable_left = max(balance - tax_free_left, zero)
    empties = amount == balance
    if tax_free is None and taxes.tax_free.is_positive():
        tax_free = tax_free_left if empties else zero
        if amount > taxable_left + tax_free:
            return RuleRefusal(
                "tax_free",
                f"Only {taxable_left} of taxable money is left: say how much of this refund "
                "is tax-free (tax_free).",
            )
    if tax_free is not None:
        refused = _check_tax_free(tax_free, amount, tax_free_left, taxable_left)
        if refused is not None:
            return refused
    vat = _vat(taxes, amount, tax_free or zero, empties, vat_amount)
    if isinstance(vat, RuleRefusal):
        return vat
    return TaxParts(tax_free, vat)


def _check_tax_free(
    tax_free: Money, amount: Money, tax_free_left: Money, taxable_left: Money
) -> RuleRefusal | None:
    if tax_free > amount:
        return RuleRefusal("tax_free", "The tax-free part is larger than the refund.")
    if tax_free > tax_free_left:
        return RuleRefusal("tax_free", f"Only {tax_free_left} of tax-free money is left.")
    if amount - tax_free > taxable_left:
        return RuleRefusal("tax_free", f"Only {taxable_left} of taxable money is left.")
    return None


def _vat(
    taxes: RefundTaxes, amount: Money, tax_free: Money, empties: bool, given: Money | None
) -> Money | RuleRefusal | None:
    if not taxes.vat_accepted:
        return None  # the PG takes no VAT on cancels: i'mport would ignore it
    if taxes.vat is None:
        return given  # i'mport's own 1/11 applies unless the caller says otherwise
    zero = Money.zero(amount.currency)
    vat_left = max(taxes.vat - taxes.refunded_vat, zero)
    if given is None:
        return vat_left if empties else min(vat_of(amount - tax_free), vat_left)
    if given > vat_left:
        return RuleRefusal("vat_amount", f"Only {vat_left} of VAT is left.")
    if given > amount - tax_free:
        return RuleRefusal("vat_amount", "The VAT part is larger than the taxable part.")
    return given
