"""A shop over the fakes: the real services wired to an in-memory store and a fake i'mport.

Tests arrange through the real use cases (``Catalog``, ``OrderDesk``,
``ConfirmDesk``) and read the outcome back through the repositories, so a
test states what a buyer or the merchant would see, never how it was done.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from paydesk.core.clock import FixedClock
from paydesk.core.confirm import ConfirmCall, Decision
from paydesk.core.money import Money
from paydesk.core.orders import OrderStatus
from paydesk.core.stock import Line, StockCount
from paydesk.iamport import Payment
from paydesk.services.catalog import Catalog, NewProduct
from paydesk.services.confirm import ConfirmDesk, ConfirmPolicy
from paydesk.services.ordering import OrderDesk, OrderRequest, PlacedOrder
from paydesk.services.refunds import Refunds
from paydesk.services.settlement import Settlement, SettlementPolicy
from paydesk.services.verification import Verifier
from paydesk.store import OrderRecord
from paydesk.store.ledger_records import PaymentRecord, RefundRecord

from .fakes import FakeIamport, InMemoryStore, payment

__all__ = ["T0", "TTL", "FakeRegistrar", "Shop"]

T0 = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
TTL = timedelta(minutes=30)
PRICE = 10_000


@dataclass
class FakeRegistrar:
    """``AmountRegistrar`` that remembers what i'mport was told."""

    registered: dict[str, Money] = field(default_factory=dict)

    async def prepare(self, merchant_uid: str, amount: Money) -> None:
        self.registered[merchant_uid] = amount


class Shop:
    """The services of the merchant server over fakes, plus ways to look at the outcome."""

    def __init__(
        self,
        *,
        group_commit: bool = True,
        sales_open: bool = True,
        accept_test_payments: bool = False,
        store: Any = None,
    ) -> None:
        self.clock = FixedClock(T0)
        self.store = store if store is not None else InMemoryStore()  # or a real ``Database``
        self.iamport = FakeIamport()
        self.registrar = FakeRegistrar()
        self.catalog = Catalog(self.store, self.clock)  # type: ignore[arg-type]
        self._uids = 0
        self.orders = OrderDesk(
            self.store, self.clock, self.registrar, ttl=TTL, new_uid=self._new_uid,  # type: ignore[arg-type]
        )  # fmt: skip
        self.settlement = Settlement(
            self.store,  # type: ignore[arg-type]
            self.clock,
            SettlementPolicy(accept_test_payments=accept_test_payments),
        )
        self.verifier = Verifier(self.iamport, self.settlement)
        self.refunding = Refunds(
            self.store,
            self.clock,
            self.iamport,
            self.settlement,  # type: ignore[arg-type]
        )
        self.desk = ConfirmDesk(
            self.store,  # type: ignore[arg-type]
            self.clock,
            ConfirmPolicy(sales_open=sales_open, window_seconds=0.001, group_commit=group_commit),
        )

    def _new_uid(self, now: datetime) -> str:
        self._uids += 1
        return f"ord_{self._uids:04d}"

    # -- arranging, through the real use cases -----------------------------------------
    async def product(self, stock: int, *, price: int = PRICE, on_sale: bool = True) -> int:
        self._uids += 1
        added = await self.catalog.add(
            NewProduct(f"sku-{self._uids}", f"상품 {self._uids}", Money(price), stock, on_sale)
        )
        return added.id

    async def order(self, *lines: tuple[int, int]) -> PlacedOrder:
        return await self.orders.place(OrderRequest([Line(pid, qty) for pid, qty in lines]))

    async def confirm(
        self, order: PlacedOrder, imp_uid: str, *, amount: int | None = None
    ) -> Decision:
        paid = Decimal(order.amount.amount if amount is None else amount)
        call = ConfirmCall(imp_uid, order.merchant_uid, paid)
        return await self.desk.confirm(call, {"imp_uid": imp_uid, "amount": str(paid)})

    async def held(self, order: PlacedOrder, imp_uid: str) -> None:
        """Confirm ``order`` for ``imp_uid`` and insist it was approved."""
        decision = await self.confirm(order, imp_uid)
        assert decision.approved, decision

    def says(
        self, order: PlacedOrder, imp_uid: str, status: str = "paid", **fields: object
    ) -> Payment:
        """Make i'mport report ``imp_uid`` for ``order`` (full amount unless ``amount=``)."""
        values: dict[str, object] = {"amount": order.amount.amount} | fields
        amount = values.pop("amount")
        assert isinstance(amount, int)
        reported = payment(imp_uid, order.merchant_uid, amount, status, **values)  # type: ignore[arg-type]
        self.iamport.put(reported)
        return reported

    # -- looking at the outcome --------------------------------------------------------
    async def record(self, order: PlacedOrder) -> OrderRecord:
        async with self.store.reading() as uow:
            found = await uow.orders.get(order.merchant_uid)
        assert found is not None
        return found

    async def status(self, order: PlacedOrder) -> OrderStatus:
        return (await self.record(order)).order.status

    async def stock(self, product_id: int) -> StockCount:
        async with self.store.reading() as uow:
            found = await uow.products.get(product_id)
        assert found is not None
        return found.stock

    async def refunds(self, imp_uid: str) -> list[RefundRecord]:
        async with self.store.reading() as uow:
            return await uow.refunds.of_payment(imp_uid)

    async def payment_record(self, imp_uid: str) -> PaymentRecord | None:
        async with self.store.reading() as uow:
            return await uow.payments.get(imp_uid)

    def holds(self, order_id: int, state: str = "held") -> list[tuple[int, int]]:
        """(product_id, quantity) of the order's stock holds in ``state``."""
        return [(h.product_id, h.quantity) for h in self.store.stock_holds()
                if h.order_id == order_id and h.state == state]  # fmt: skip

    async def conserved(self, product_ids: Sequence[int], initial: Sequence[int]) -> None:
        """Every unit is somewhere, and ``held`` is exactly what live holds account for."""
        live = [h for h in self.store.stock_holds() if h.state == "held"]
        for pid, start in zip(product_ids, initial, strict=True):
            count = await self.stock(pid)
            assert count.total == start, (pid, count)
            assert count.held == sum(h.quantity for h in live if h.product_id == pid), (pid, count)
