"""The services' errors, under one root.

    ServiceError
     ├── TryLater               the work must wait: a job backs off and runs again
     │    ├── OrderNotFound     the payment names an order not committed (yet)
     │    ├── Unreachable       i'mport could not be asked; nothing was concluded
     │    └── RefundPending     a refund's outcome is not settled yet
     ├── ConfirmUnavailable     no confirm decision in time (the endpoint answers 429)
     ├── RefundRefused          a refund the rules do not allow (names the rule)
     ├── NotOnRecord            no order or payment matches a lookup
     ├── InvalidFilters         a search/export filter that cannot be read (admin console)
     ├── ProductNotFound        no product has that id
     ├── DuplicateSku           another product uses that SKU
     ├── KeyReused              an Idempotency-Key reused for a different request
     ├── KeyNotFound            no API key has that id
     ├── InvalidKeyRequest      an API key cannot be made like that (no name, no scope)
     ├── KeyInFlight            the first request with that Idempotency-Key is still at work
     ├── RegistrationFailed     i'mport could not be told an order's amount
     ├── BillingRefused         i'mport refused a billing key (the card) or a plan/subscription rule
     ├── UnreadablePayment      a payment status or currency the domain does not know
     ├── JobNotFound            no job has that id (the dead-letter list)
     └── JobNotActionable       the job is not in a state the action applies to

The job runner logs a ``TryLater`` without a traceback: it is the queue's normal
business, not a fault. Each error keeps the built-in base it always had
(``LookupError``, ``ValueError``) so older ``except`` clauses still work.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

__all__ = [
    "BillingRefused",
    "ConfirmUnavailable",
    "DuplicateSku",
    "InvalidFilters",
    "InvalidKeyRequest",
    "InvalidStaffRequest",
    "JobNotActionable",
    "JobNotFound",
    "KeyInFlight",
    "KeyNotFound",
    "KeyReused",
    "LoginThrottled",
    "NotOnRecord",
    "OrderNotFound",
    "ProductNotFound",
    "RefundPending",
    "RefundRefused",
    "RegistrationFailed",
    "ServiceError",
    "TryLater",
    "Unreachable",
    "UnreadablePayment",
]


class ServiceError(Exception):
    """Root of every error a use case of ``paydesk.services`` raises on purpose."""


class TryLater(ServiceError):
    """Not yet: the work must wait and be tried again (a job backs off).

    ``retry_after`` is the reason's own least wait (a PG's quiet hours, a
    temporary refusal): the job waits at least that long, whatever its backoff.
    """

    retry_after: timedelta | None = None

    def __init__(self, *args: object, retry_after: timedelta | None = None) -> None:
        super().__init__(*args)
        self.retry_after = retry_after


class OrderNotFound(TryLater, LookupError):
    """No order has the payment's merchant_uid (yet: it may still be committing)."""


class Unreachable(TryLater):
    """i'mport could not be asked (or gave no usable answer); nothing was concluded."""


class RefundPending(TryLater):
    """The refund's outcome is not settled yet; try again later."""


class ConfirmUnavailable(ServiceError):
    """No decision could be made (database trouble or the deadline passed)."""


class RefundRefused(ServiceError):
    """A refund the rules do not allow; nothing was recorded or sent.

    ``rule`` names the rule (stable, for programs), ``status`` is the HTTP status
    the API answers with, ``retry_after`` is set when the rule holds only for now.
    """

    def __init__(
        self, rule: str, message: str, *, status: int = 422, retry_after: timedelta | None = None
    ) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message
        self.status = status
        self.retry_after = retry_after

    def __reduce__(self) -> tuple[Any, ...]:
        return (_refund_refused, (self.rule, self.message, self.status, self.retry_after))


def _refund_refused(
    rule: str, message: str, status: int, retry_after: timedelta | None
) -> RefundRefused:
    return RefundRefused(rule, message, status=status, retry_after=retry_after)


class NotOnRecord(ServiceError, LookupError):
    """No order or payment matches."""


class InvalidFilters(ServiceError, ValueError):
    """A search or export filter that cannot be read (a bad date, an unknown status)."""


class ProductNotFound(ServiceError, LookupError):
    """No product has that id."""


class DuplicateSku(ServiceError, ValueError):
    """Another product already uses that SKU."""


class KeyReused(ServiceError, ValueError):
    """The key was used before for a different request."""


class KeyNotFound(ServiceError, LookupError):
    """No API key has that id."""


class InvalidKeyRequest(ServiceError, ValueError):
    """An API key cannot be made like that (empty name, no scope)."""


class KeyInFlight(ServiceError):
    """The first request with this Idempotency-Key is still at work; ask again shortly."""


class RegistrationFailed(ServiceError):
    """The amount could not be registered; the order stays pending until it expires."""


class UnreadablePayment(ServiceError, ValueError):
    """The payment uses a status or currency the domain does not know."""


class BillingRefused(ServiceError, ValueError):
    """A billing key or subscription request that cannot be done; nothing was kept.

    ``rule`` names why (stable, for programs): ``card_refused``, ``no_billing_key``,
    ``plan_inactive``, ``duplicate_plan``, ``not_a_billing_payment``...
    """

    def __init__(self, rule: str, message: str, *, status: int = 422) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message
        self.status = status

    def __reduce__(self) -> tuple[Any, ...]:
        return (_billing_refused, (self.rule, self.message, self.status))


def _billing_refused(rule: str, message: str, status: int) -> BillingRefused:
    return BillingRefused(rule, message, status=status)


class JobNotFound(ServiceError, LookupError):
    """No job has that id."""


class JobNotActionable(ServiceError, ValueError):
    """The job is not in a state the action applies to (e.g. retrying a job that is done)."""


class InvalidStaffRequest(ServiceError, ValueError):
    """A staff user cannot be made or changed like that; ``rule`` says why (``username``,
    ``password``, ``lang`` or ``duplicate``)."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message

    def __reduce__(self) -> tuple[Any, ...]:
        return (InvalidStaffRequest, (self.rule, self.message))


class LoginThrottled(ServiceError):
    """Too many failed logins lately; ``retry_after`` is in whole seconds. The password
    was not even checked."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins; try again in {retry_after} s")
        self.retry_after = retry_after

    def __reduce__(self) -> tuple[Any, ...]:
        return (LoginThrottled, (self.retry_after,))
