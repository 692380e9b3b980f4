"""The card options of an order: installments offered, and the tax parts it is paid with.

``display.card_quota`` of ``IMP.request_pay`` limits the installment months the
card window offers (reference §7.2: ``[]`` lump sum only, ``[2, 3]`` lump sum
or 2 or 3 months; installments only from 50,000 KRW). The merchant sets one
offer (``PAYDESK_CARD_QUOTA``); a product may set its own, which wins. An order
of several products offers the months every one of them allows.

The tax parts come from the catalog (``core.taxes``): the tax-free part is the
order's lines of tax-free products; the VAT is stated (``vat_amount``) only when
the merchant asks for it and the PG takes one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..core.money import Money
from ..core.orders import Order
from ..core.taxes import VAT_PGS, order_tax_free, vat_of
from ..store import ProductRecord

__all__ = ["CardDefaults", "OrderTaxes", "installments", "order_taxes"]


@dataclass(frozen=True)
class CardDefaults:
    """The merchant's card settings (``PAYDESK_CARD_QUOTA``, ``PAYDESK_EXPLICIT_VAT``)."""

    card_quota: tuple[int, ...] | None = None  # None = the PG's own offer
    explicit_vat: bool = False


@dataclass(frozen=True)
class OrderTaxes:
    """The tax parts an order is paid with; None = not sent (none / i'mport's 1/11)."""

    tax_free: Money | None = None
    vat_amount: Money | None = None


def installments(
    products: Sequence[ProductRecord], default: tuple[int, ...] | None
) -> tuple[int, ...] | None:
    """The months to offer: what every product with its own offer allows, else the default."""
    own = [set(p.card_quota) for p in products if p.card_quota is not None]
    if not own:
        return default
    return tuple(sorted(set.intersection(*own)))


def order_taxes(
    order: Order, products: Sequence[ProductRecord], pg: str | None, explicit_vat: bool
) -> OrderTaxes:
    """The tax-free part (tax-free products' lines) and, if stated, the VAT of ``order``."""
    prices = {p.id: p.price for p in products}
    tax_free = order_tax_free(order.lines, prices, (p.id for p in products if p.tax_free))
    vat = None
    if explicit_vat and (pg or "").split(".")[0] in VAT_PGS:
        taxable = order.amount - (tax_free or Money.zero(order.amount.currency))
        vat = vat_of(taxable)
    return OrderTaxes(tax_free, vat)
