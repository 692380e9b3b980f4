"""Placing an order: price it on the server, store it, and register the amount with i'mport.

The buyer only says what and how many; the amount comes from catalog prices.
The amount is then pre-registered (``POST /payments/prepare``) so the payment
window refuses any other amount. That call goes through the ``AmountRegistrar``
interface; the i'mport client provides the real one.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from ..core.clock import Clock
from ..core.escrow import escrow_refusal
from ..core.money import Money
from ..core.orders import Order, new_merchant_uid, price
from ..core.stock import Line, merge_lines
from ..store import ProductRecord, UnitsOfWork
from .card_options import CardDefaults, OrderTaxes, installments, order_taxes
from .errors import RegistrationFailed
from .identity import gate_order
from .refusals import Refused

__all__ = [
    "AmountRegistrar",
    "OrderDesk",
    "OrderRequest",
    "PlacedOrder",
    "RegistrationFailed",
    "keyed_uid",
    "order_name",
]

NAME_MAX = 40  # i'mport's ``name`` field


class AmountRegistrar(Protocol):
    """Pre-registers the amount of a ``merchant_uid`` with i'mport."""

    async def prepare(self, merchant_uid: str, amount: Money) -> None: ...


@dataclass(frozen=True)
class OrderRequest:
    """What the buyer asks for."""

    items: Sequence[Line]
    buyer: Mapping[str, str] = field(default_factory=dict)
    pay_method: str | None = None
    pg: str | None = None
    customer_ref: str | None = None  # the shop's id of the customer (age-gated products need one)
    escrow: bool = False  # an escrow (구매안전) payment: request_pay's ``escrow: true``


@dataclass(frozen=True)
class PlacedOrder:
    """A stored, amount-registered order, ready for ``IMP.request_pay``."""

    id: int
    merchant_uid: str
    name: str
    amount: Money
    expires_at: datetime
    taxes: OrderTaxes = field(default_factory=OrderTaxes)
    card_quota: tuple[int, ...] | None = None  # display.card_quota; None = the PG's offer
    escrow: bool = False  # the order asked for an escrow payment


def order_name(products: Sequence[ProductRecord]) -> str:
    """The order's display name: the first product, plus "외 N건" for the rest (≤ 40 chars)."""
    first = products[0].name
    suffix = f" 외 {len(products) - 1}건" if len(products) > 1 else ""
    return first[: NAME_MAX - len(suffix)] + suffix


def keyed_uid(key: str) -> str:
    """The merchant_uid of the order placed under idempotency token ``key`` (≤ 40 chars)."""
    return "ord_k" + hashlib.sha256(key.encode()).hexdigest()[:32]


def _random_uid(now: datetime) -> str:
    return new_merchant_uid(now, secrets.token_bytes(8))


class OrderDesk:
    """Places orders."""

    def __init__(
        self,
        database: UnitsOfWork,
        clock: Clock,
        registrar: AmountRegistrar,
        *,
        ttl: timedelta,
        new_uid: Callable[[datetime], str] = _random_uid,
        card: CardDefaults | None = None,
    ) -> None:
        self._db = database
        self._clock = clock
        self._registrar = registrar
        self._ttl = ttl
        self._new_uid = new_uid
        self._card = card or CardDefaults()

    async def place(self, request: OrderRequest, *, key: str | None = None) -> PlacedOrder:
        """Price, store and register an order.

        ``key`` (an idempotency token) names the order: placing again with the
        same key finds the order the first attempt stored and only registers its
        amount (again), so a retry after a crash never makes a second order.

        Raises ``UnknownProduct`` for a line naming no product, ``CurrencyMismatch``
        for products priced in different currencies, ``Refused`` when the age
        gate of a product refuses the customer or escrow is asked of a PG or pay
        method without it (before anything is stored or sent), ``RegistrationFailed``
        when i'mport could not be told the amount.
        """
        if request.escrow:
            refusal = escrow_refusal(request.pg, request.pay_method)
            if refusal is not None:
                raise Refused(*refusal)
        lines = merge_lines(request.items)
        async with self._db.transaction() as uow:
            now = self._clock.now()
            merchant_uid = keyed_uid(key) if key else self._new_uid(now)
            found = await uow.orders.get(merchant_uid)
            if found is not None:
                order, name, order_id = found.order, found.name, found.id
                taxes = OrderTaxes(found.tax_free, found.vat_amount)
                products = await uow.products.many(line.product_id for line in order.lines)
            else:
                products = await uow.products.many(line.product_id for line in lines)
                prices = {p.id: p.price for p in products}
                amount = price(lines, prices)  # raises UnknownProduct
                gate = await gate_order(uow, [p.id for p in products], request.customer_ref, now)
                order = Order.open(merchant_uid, amount, lines, now + self._ttl,
                                   escrow=request.escrow)  # fmt: skip
                name = order_name(products)
                taxes = order_taxes(order, products, request.pg, self._card.explicit_vat)
                order_id = await uow.orders.add(
                    order, name=name, unit_prices=prices, buyer=request.buyer,
                    pay_method=request.pay_method, pg=request.pg, now=now,
                    tax_free=taxes.tax_free, vat_amount=taxes.vat_amount,
                )  # fmt: skip
                if gate.customer_id is not None:
                    await uow.customers.link_order(order_id, gate.customer_id, gate.required_age,
                                                   now)  # fmt: skip
        amount = order.amount
        try:
            await self._registrar.prepare(order.merchant_uid, amount)
        except Exception as exc:
            raise RegistrationFailed(order.merchant_uid) from exc
        quota = installments(products, self._card.card_quota)
        return PlacedOrder(order_id, order.merchant_uid, name, amount, order.expires_at,
                           taxes, quota, order.escrow)  # fmt: skip
