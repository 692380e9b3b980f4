"""One transaction and the repositories that work inside it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from .api_keys import ApiKeyRepository
from .decisions import DecisionRepository
from .idempotency import IdempotencyRepository
from .jobs import JobQueue
from .orders import OrderRepository
from .products import ProductRepository

__all__ = ["UnitOfWork"]


class UnitOfWork:
    """Repositories sharing one connection and transaction (see ``Database``)."""

    def __init__(self, connection: AsyncConnection, dialect: str) -> None:
        self.connection = connection
        self.dialect = dialect
        self.products = ProductRepository(connection)
        self.orders = OrderRepository(connection)
        self.decisions = DecisionRepository(connection, dialect)
        self.jobs = JobQueue(connection, dialect)
        self.idempotency = IdempotencyRepository(connection)
        self.api_keys = ApiKeyRepository(connection)
