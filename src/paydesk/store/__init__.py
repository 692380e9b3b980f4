"""Persistence of the merchant server: SQLite (WAL) or PostgreSQL via SQLAlchemy 2 async.

``Database`` gives units of work (one transaction, repositories inside); the
jobs table is both outbox and work queue; ``migrate.upgrade`` applies the
Alembic migrations shipped in ``store/migrations``.
"""

from .database import Database, async_url
from .decisions import NewDecision
from .jobs import JobQueue, NewJob, retry_delay
from .products import StockConflict
from .records import DecisionRecord, JobRecord, OrderRecord, ProductRecord
from .unit_of_work import UnitOfWork

__all__ = [
    "Database",
    "DecisionRecord",
    "JobQueue",
    "JobRecord",
    "NewDecision",
    "NewJob",
    "OrderRecord",
    "ProductRecord",
    "StockConflict",
    "UnitOfWork",
    "async_url",
    "retry_delay",
]
