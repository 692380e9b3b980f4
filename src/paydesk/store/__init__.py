"""Persistence of the merchant server: SQLite (WAL) or PostgreSQL via SQLAlchemy 2 async.

``Database`` gives units of work (one transaction, repositories inside); the
jobs table is both outbox and work queue; ``migrate.upgrade`` applies the
Alembic migrations shipped in ``store/migrations``. Database errors come out
as ``store.errors``.
"""

from .database import Database, async_url
from .decisions import NewDecision
from .errors import Conflict, OutOfRange, StockConflict, StoreError, StoreUnavailable
from .jobs import JobQueue, NewJob, retry_delay
from .records import DecisionRecord, JobRecord, OrderRecord, ProductRecord
from .unit_of_work import UnitOfWork, UnitsOfWork

__all__ = [
    "Conflict",
    "Database",
    "DecisionRecord",
    "JobQueue",
    "JobRecord",
    "NewDecision",
    "NewJob",
    "OrderRecord",
    "OutOfRange",
    "ProductRecord",
    "StockConflict",
    "StoreError",
    "StoreUnavailable",
    "UnitOfWork",
    "UnitsOfWork",
    "async_url",
    "retry_delay",
]
