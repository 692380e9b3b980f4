"""One transaction and the repositories that work inside it.

Services never touch a connection: they open a unit of work through
``UnitsOfWork`` (``Database`` is the real one; tests may pass an in-memory
one with the same repositories) and call its repositories.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from . import driver
from .api_keys import ApiKeyRepository
from .backlog import BacklogCounts
from .backoffice import BackofficeQueries
from .billing import BillingBook
from .decisions import DecisionRepository
from .doctor_runs import DoctorRunBook
from .escrows import EscrowBook
from .gateway_calls import GatewayCallLog
from .heartbeats import HeartbeatBook
from .idempotency import IdempotencyRepository
from .identities import CustomerRepository
from .inbox import WebhookInbox
from .jobs import JobQueue
from .orders import OrderRepository
from .payment_book import PaymentBook
from .products import ProductRepository
from .receipts import ReceiptBook
from .reconciliations import ReconciliationBook
from .refund_book import RefundBook
from .schema import SchemaInfo
from .shop_profile import ShopProfile
from .staff import StaffBook
from .sweeps import Sweeps

__all__ = ["UnitOfWork", "UnitsOfWork"]


class UnitOfWork:
    """Repositories sharing one connection and transaction (see ``Database``)."""

    def __init__(self, connection: AsyncConnection, dialect: str) -> None:
        self.connection = connection  # for the store's own tests; services use the repositories
        self.dialect = dialect
        self.products = ProductRepository(connection)
        self.orders = OrderRepository(connection)
        self.decisions = DecisionRepository(connection)
        self.payments = PaymentBook(connection, dialect)
        self.refunds = RefundBook(connection)
        self.inbox = WebhookInbox(connection)
        self.jobs = JobQueue(connection, dialect)
        self.idempotency = IdempotencyRepository(connection)
        self.sweeps = Sweeps(connection)
        self.reconciliations = ReconciliationBook(connection)
        self.receipts = ReceiptBook(connection)
        self.customers = CustomerRepository(connection)
        self.escrows = EscrowBook(connection, dialect)
        self.billing = BillingBook(connection)
        self.api_keys = ApiKeyRepository(connection)
        self.gateway_calls = GatewayCallLog(connection)
        self.backoffice = BackofficeQueries(connection)
        self.backlog = BacklogCounts(connection)
        self.staff = StaffBook(connection)
        self.heartbeats = HeartbeatBook(connection, dialect)
        self.doctor_runs = DoctorRunBook(connection)
        self.schema = SchemaInfo(connection)
        self.shop_profile = ShopProfile(connection)

    def deferred_writes(self) -> AbstractAsyncContextManager[None]:
        """Within the block, the repositories' hottest writes (the confirm's: stock moves,
        orders' payment state, holds, jobs) wait and go to the database together, with
        the next read or the first write that returns something (``driver.deferred_writes``:
        one trip on SQLite instead of one each; PostgreSQL sends each at once). A failed
        one fails the statement it went with."""
        return driver.deferred_writes(self.connection)


class UnitsOfWork(Protocol):
    """Where services get their units of work: ``Database``, or an in-memory fake in tests."""

    def transaction(self) -> AbstractAsyncContextManager[UnitOfWork]:
        """A write transaction: committed when the block ends, rolled back if it raises."""
        ...

    def reading(self) -> AbstractAsyncContextManager[UnitOfWork]:
        """A read-only transaction, rolled back when the block ends."""
        ...
