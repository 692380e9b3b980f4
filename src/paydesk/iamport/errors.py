"""Every way an i'mport call can go wrong, as one tree a caller can act on.

The first question after a failed call is not "what went wrong" but "may I do
it again?".  The tree answers that with its three branches, and every error
also carries the two flags ``retryable`` (sending the same request again is
safe) and ``reconcile`` (look the state up before doing anything else)::

    IamportError                    root; never raised itself
    ├── NotSent                     never reached i'mport (connect / pool failure)
    │                               retryable=True, reconcile=False
    ├── OutcomeUnknown              sent, but no (readable) answer came back
    │   │                           writes: retryable=False, reconcile=True
    │   │                           reads:  retryable=True,  reconcile=False
    │   ├── UnreadableAnswer        a 2xx answer that is not an i'mport envelope / model
    │   └── ForeignAnswer           a 3xx/4xx answer that is not an i'mport envelope:
    │       │                       a proxy, load balancer or firewall answered
    │       └── RateLimited         429 (``retry_after`` from the Retry-After header)
    └── ApiError                    i'mport answered and refused (http_status, code, message)
        ├── Unauthorized            401: bad credentials or a token i'mport rejects
        ├── BadRequest              400, or a documented "missing/invalid parameter" text
        ├── NotFound                404, or a known "not found" text with HTTP 200
        ├── Conflict                409: the request conflicts with existing state
        │   └── DuplicateMerchantUid  the merchant_uid is already registered / paid / used
        ├── NotSupported            501, or no PG contract / API channel for this
        ├── ServerError             5xx: reads retryable; writes must be reconciled
        ├── Declined                the PG/card company refused a charge
        └── PaymentNotCancellable   a cancel (refund) was refused
            ├── AlreadyCancelled    nothing left to refund
            ├── ChecksumMismatch    our known balance differs from i'mport's
            ├── CancelAmountExceeded  asked to refund more than is left
            └── RefundAccountRequired  a vbank (or similar) refund needs refund_* fields

An ``ApiError`` is an explicit answer: the request was refused, nothing
happened, so ``reconcile`` is False (except ``ServerError`` on a write, where a
PG may have acted before the failure).  Which response becomes which error is
decided in one place, ``mapping.py``; so is the translation of httpx's
exceptions.  No class here shadows a builtin name.

Every error pickles with its whole context (Celery, process pools and
``multiprocessing`` move errors between processes; the one that says
"reconcile" must survive the trip).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AlreadyCancelled",
    "ApiError",
    "BadRequest",
    "CancelAmountExceeded",
    "ChecksumMismatch",
    "Conflict",
    "Declined",
    "DuplicateMerchantUid",
    "ForeignAnswer",
    "IamportError",
    "NotFound",
    "NotSent",
    "NotSupported",
    "OutcomeUnknown",
    "PaymentNotCancellable",
    "RateLimited",
    "RefundAccountRequired",
    "ServerError",
    "Unauthorized",
    "UnreadableAnswer",
]


class IamportError(Exception):
    """Root of every error the client raises.

    Attributes:
        operation: the client operation, e.g. ``"payments.cancel"``.
        method: HTTP method of the request.
        path: request path, e.g. ``"/payments/cancel"``.
        keys: the request's identifying keys (imp_uid, merchant_uid, customer_uid,
            amount, checksum...) — what is needed to look the outcome up.
        retryable: sending the same request again is safe.
        reconcile: the outcome must be looked up before anything is redone.
    """

    retryable: bool = False
    reconcile: bool = False

    def __init__(
        self,
        message: str,
        *,
        operation: str = "",
        method: str = "",
        path: str = "",
        keys: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.operation = operation
        self.method = method
        self.path = path
        self.keys: dict[str, Any] = dict(keys or {})

    def __str__(self) -> str:
        where = f"{self.operation} ({self.method} {self.path})" if self.operation else ""
        return f"{self.message} [{where}]" if where else self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, operation={self.operation!r}, keys={self.keys!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructors do not survive ``BaseException.__reduce__``
        # (it replays ``args`` only); rebuild from the instance state instead.
        return _restore, (type(self), self.args, self.__dict__.copy())

    @property
    def checksum(self) -> Any:
        """The ``checksum`` the failed request carried (cancels), else None.

        After ``OutcomeUnknown`` on a cancel, resend the *same* intent with this
        checksum (``cancel(imp_uid, amount=..., checksum=error.checksum)``):
        i'mport refuses it (``ChecksumMismatch``) if the first attempt went through.
        """
        return self.keys.get("checksum")


def _restore(kind: type[IamportError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    error = kind.__new__(kind)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class NotSent(IamportError):
    """The request provably never reached i'mport (connect or pool failure).

    Sending it again is safe, for writes too.
    """

    retryable = True


class OutcomeUnknown(IamportError):
    """The request was (or may have been) sent and no answer was read.

    For a write the operation may have happened: look it up (``keys`` says by
    what) before redoing it.  For a read, asking again is harmless.
    """

    def __init__(self, message: str, *, write: bool, **context: Any) -> None:
        super().__init__(message, **context)
        self.write = write
        self.retryable = not write
        self.reconcile = write


class UnreadableAnswer(OutcomeUnknown):
    """A success-looking answer arrived but is not an i'mport envelope or not the expected shape."""

    def __init__(self, message: str, *, write: bool, http_status: int, **context: Any) -> None:
        super().__init__(message, write=write, **context)
        self.http_status = http_status


class ForeignAnswer(OutcomeUnknown):
    """An error status (3xx/4xx) whose body is not an i'mport envelope.

    Something between us and i'mport answered (a proxy, load balancer, firewall
    or a wrong ``base_url``), so it says nothing about the payment: it is not
    ``NotFound`` nor a refused cancel.  A write may or may not have reached
    i'mport: reconcile.  Reads are retried only for 429 (see ``RateLimited``).

    Attributes:
        retry_after: seconds from a ``Retry-After`` header, if there was one.
        location: the ``Location`` header of a redirect, if there was one.
    """

    def __init__(
        self,
        message: str,
        *,
        write: bool,
        http_status: int,
        retry_after: float | None = None,
        location: str | None = None,
        **context: Any,
    ) -> None:
        super().__init__(message, write=write, **context)
        self.http_status = http_status
        self.retry_after = retry_after
        self.location = location


class RateLimited(ForeignAnswer):
    """429 Too Many Requests: reads are retried after ``retry_after`` (within the deadline)."""


class ApiError(IamportError):
    """i'mport answered and refused the request.

    Attributes:
        http_status: the HTTP status of the answer.
        code: the envelope's ``code`` (non-zero on refusals; 0 for a declined charge).
        request_id: the answer's request id header, if it had one.
        response: the envelope's ``response`` payload, usually None.
    """

    def __init__(
        self,
        message: str,
        *,
        http_status: int,
        code: int | None,
        request_id: str | None = None,
        response: Any = None,
        retry_after: float | None = None,
        **context: Any,
    ) -> None:
        super().__init__(message, **context)
        self.http_status = http_status
        self.code = code
        self.request_id = request_id
        self.response = response
        self.retry_after = retry_after


class Unauthorized(ApiError):
    """401: the key/secret or the access token was rejected (after one refresh)."""


class BadRequest(ApiError):
    """400 (or a documented text): invalid or missing parameters, or not allowed in this state.

    A bug on our side or bad input: fix the request; resending it as is fails again.
    """


class NotFound(ApiError):
    """404, or a known "does not exist" message answered with HTTP 200."""


class Conflict(ApiError):
    """409 (or a documented text): the request conflicts with what already exists.

    E.g. an escrow delivery already registered or not registered yet.
    """


class DuplicateMerchantUid(Conflict):
    """The ``merchant_uid`` is already registered (prepare), paid or scheduled.

    Nothing new happened.  After a lost answer this usually means *your first
    attempt worked*: look the order up (``prepared``/``find_payment``/``scheduled``)
    instead of trying again under the same id.
    """


class NotSupported(ApiError):
    """501, or no contract / API channel: the PG or the merchant's setup does not offer this."""


class ServerError(ApiError):
    """5xx from i'mport.  A read may be retried; a write must be reconciled."""

    def __init__(self, message: str, *, write: bool, **context: Any) -> None:
        super().__init__(message, **context)
        self.write = write
        self.retryable = not write
        self.reconcile = write


class Declined(ApiError):
    """The PG or card company refused a charge.

    Raised for non-zero answers that say the card could not be used, and, when
    asked for (``raise_on_decline=True``), for a charge answered ``code 0`` with
    ``status == "failed"``; then ``payment`` holds that failed Payment.
    """

    def __init__(self, message: str, *, payment: Any = None, **context: Any) -> None:
        super().__init__(message, **context)
        self.payment = payment


class PaymentNotCancellable(ApiError):
    """i'mport refused a cancel (refund); nothing was refunded by this request."""


class AlreadyCancelled(PaymentNotCancellable):
    """``이미 전액취소된 주문입니다.``: the payment has no balance left."""


class ChecksumMismatch(PaymentNotCancellable):
    """The ``checksum`` sent differs from i'mport's refundable balance.

    Someone else refunded meanwhile (or an earlier answer was lost): re-read the
    payment before deciding anything.
    """

    reconcile = True


class CancelAmountExceeded(PaymentNotCancellable):
    """The cancel amount is larger than what is left to refund."""


class RefundAccountRequired(PaymentNotCancellable):
    """The refund needs the buyer's account (``refund_holder``, ``refund_bank``,
    ``refund_account``, sometimes ``refund_tel``): vbank refunds and similar."""
