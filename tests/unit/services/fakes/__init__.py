"""Fakes of the services' collaborators: an in-memory store and a fake i'mport (no mocks)."""

from .iamport import (
    PAID_AT,
    FakeIamport,
    not_found,
    not_sent,
    outcome_unknown,
    payment,
    server_error,
)
from .store import InMemoryStore, InMemoryUnitOfWork, QueuedJob, StockHold
from .tables import ReadOnlyTransaction

__all__ = [
    "PAID_AT",
    "FakeIamport",
    "InMemoryStore",
    "InMemoryUnitOfWork",
    "QueuedJob",
    "ReadOnlyTransaction",
    "StockHold",
    "not_found",
    "not_sent",
    "outcome_unknown",
    "payment",
    "server_error",
]
