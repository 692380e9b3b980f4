"""Card order options over the fakes: tax parts from the catalog, installments, and refunds
that carry the right tax-free and VAT parts to i'mport (``services.card_options``, ``core.taxes``).
"""

from __future__ import annotations

import pytest

from paydesk.core.money import Money
from paydesk.core.orders import OrderStatus
from paydesk.core.stock import Line
from paydesk.services.card_options import CardDefaults
from paydesk.services.catalog import NewProduct
from paydesk.services.errors import RefundRefused
from paydesk.services.ordering import OrderDesk, OrderRequest, PlacedOrder
from paydesk.services.refunds import RefundAsk

from .shop import TTL, Shop

pytestmark = pytest.mark.asyncio

BOOK, PEN = 12_000, 8_000  # a tax-free book and a taxable pen: 20,000, 8,000 taxable


async def add(shop: Shop, sku: str, price: int, *, tax_free: bool = False,
              quota: tuple[int, ...] | None = None) -> int:  # fmt: skip
    product = await shop.catalog.add(NewProduct(sku, sku, Money(price), 5, True, tax_free, quota))
    return product.id


async def placed(shop: Shop, card: CardDefaults | None = None, pg: str = "nice",
                 *lines: tuple[int, int]) -> PlacedOrder:  # fmt: skip
    desk = OrderDesk(shop.store, shop.clock, shop.registrar, ttl=TTL, card=card)  # type: ignore[arg-type]
    return await desk.place(OrderRequest([Line(p, q) for p, q in lines], pg=pg))


async def paid(shop: Shop, order: PlacedOrder, pg: str = "nice") -> int:
    await shop.held(order, "imp_1")
    await shop.settlement.apply(shop.says(order, "imp_1", pg_provider=pg))
    assert await shop.status(order) == OrderStatus.PAID
    return (await shop.record(order)).id


async def test_the_order_carries_its_tax_free_part_and_stated_vat(shop: Shop) -> None:
    book, pen = await add(shop, "book", BOOK, tax_free=True), await add(shop, "pen", PEN)
    order = await placed(shop, CardDefaults(explicit_vat=True), "nice", (book, 1), (pen, 1))
    assert (order.taxes.tax_free, order.taxes.vat_amount) == (Money(BOOK), Money(727))
    record = await shop.record(order)
    assert (record.tax_free, record.vat_amount) == (Money(BOOK), Money(727))
    kcp = await placed(shop, CardDefaults(explicit_vat=True), "kcp", (book, 1), (pen, 1))
    assert (kcp.taxes.tax_free, kcp.taxes.vat_amount) == (Money(BOOK), None)  # kcp takes none
    plain = await placed(shop, None, "nice", (pen, 2))
    assert (plain.taxes.tax_free, plain.taxes.vat_amount) == (None, None)


async def test_installments_come_from_the_setting_unless_products_say_otherwise(
    shop: Shop,
) -> None:
    pen = await add(shop, "pen", PEN)
    tv = await add(shop, "tv", 900_000, quota=(2, 3, 6, 12))
    phone = await add(shop, "phone", 700_000, quota=(3, 6, 24))
    gift = await add(shop, "gift", 50_000, quota=())
    setting = CardDefaults(card_quota=(2, 3))
    assert (await placed(shop, setting, "nice", (pen, 1))).card_quota == (2, 3)
    assert (await placed(shop, None, "nice", (pen, 1))).card_quota is None  # the PG's offer
    assert (await placed(shop, setting, "nice", (tv, 1), (pen, 1))).card_quota == (2, 3, 6, 12)
    assert (await placed(shop, setting, "nice", (tv, 1), (phone, 1))).card_quota == (3, 6)
    assert (await placed(shop, setting, "nice", (tv, 1), (gift, 1))).card_quota == ()


async def test_refunds_of_a_tax_free_order_carry_their_parts(shop: Shop) -> None:
    book, pen = await add(shop, "book", BOOK, tax_free=True), await add(shop, "pen", PEN)
    order = await placed(shop, None, "nice", (book, 1), (pen, 1))
    order_id = await paid(shop, order)

    part = await shop.refunding.ask(order_id, RefundAsk("pen back", amount=Money(5_000)))
    assert part.refund.tax_free == Money(0)  # taxable money, said explicitly (nice needs it)
    with pytest.raises(RefundRefused) as refused:  # 3,000 taxable left: say what is tax-free
        await shop.refunding.ask(order_id, RefundAsk("more", amount=Money(10_000)))
    assert refused.value.rule == "tax_free"
    book_back = await shop.refunding.ask(
        order_id, RefundAsk("book back", amount=Money(BOOK), tax_free=Money(BOOK))
    )
    rest = await shop.refunding.ask(order_id, RefundAsk("the rest"))
    assert (rest.refund.amount, rest.refund.tax_free) == (Money(3_000), Money(0))

    for view in (part, book_back, rest):
        assert await shop.refunding.run(view.refund.id) == "succeeded"
    sent = [(c["amount"], c["parts"].tax_free, c["parts"].vat_amount) for c in shop.iamport.sent]
    assert sent == [(5_000, Money(0), None), (BOOK, Money(BOOK), None), (3_000, Money(0), None)]
    assert await shop.status(order) == OrderStatus.REFUNDED


async def test_a_full_refund_takes_the_tax_free_and_stated_vat_left(shop: Shop) -> None:
    book, pen = await add(shop, "book", BOOK, tax_free=True), await add(shop, "pen", PEN)
    order = await placed(shop, CardDefaults(explicit_vat=True), "nice", (book, 1), (pen, 1))
    order_id = await paid(shop, order)
    first = await shop.refunding.ask(order_id, RefundAsk("pen", amount=Money(5_500)))
    assert (first.refund.tax_free, first.refund.vat_amount) == (Money(0), Money(500))
    rest = await shop.refunding.ask(order_id, RefundAsk("all"))
    assert (rest.refund.amount, rest.refund.tax_free, rest.refund.vat_amount) == (
        Money(14_500), Money(BOOK), Money(227))  # fmt: skip


async def test_a_refund_we_owe_on_a_tax_free_order_sends_its_parts(shop: Shop) -> None:
    book = await add(shop, "book", BOOK, tax_free=True)
    order = await placed(shop, None, "kcp", (book, 1))
    # paid twice over: the second payment of the order is refunded by us, whole
    await paid(shop, order, pg="kcp")
    second = shop.says(order, "imp_2", pg_provider="kcp")
    await shop.settlement.apply(second)
    [owed] = [r for r in await shop.refunds("imp_2") if r.origin == "auto"]
    assert await shop.refunding.run(owed.id) == "succeeded"
    [sent] = [c for c in shop.iamport.sent if c["imp_uid"] == "imp_2"]
    assert (sent["amount"], sent["parts"].tax_free) == (BOOK, Money(BOOK))
