"""paydesk.iamport: a typed i'mport (PortOne V1) REST client, sync and async.

It stands alone (it imports nothing else of paydesk).  What it gets right:

- one access token per credentials, refreshed once for all concurrent callers,
  from a deadline computed on the local monotonic clock (safe against skew);
- a timeout on every request, and retries only where they are safe: reads,
  and writes that provably never left (``NotSent``);
- errors that say whether to retry (``NotSent``), to reconcile
  (``OutcomeUnknown``) or that i'mport refused (``ApiError`` and its subclasses);
- exact money (``int``/``Decimal``, never float) and aware UTC timestamps.

Usage::

    with Iamport(imp_key, imp_secret) as iamport:
        payment = iamport.payment("imp_123412341234")

    async with AsyncIamport(imp_key, imp_secret) as iamport:
        payment = await iamport.payment("imp_123412341234")
"""

from .async_client import AsyncIamport
from .client import Iamport
from .core import DEFAULT_BASE_URL, DEFAULT_TIMEOUT, ClientClosed
from .errors import (
    AlreadyCancelled,
    ApiError,
    BadRequest,
    CancelAmountExceeded,
    ChecksumMismatch,
    Conflict,
    Declined,
    DuplicateMerchantUid,
    ForeignAnswer,
    IamportError,
    NotFound,
    NotSent,
    NotSupported,
    OutcomeUnknown,
    PaymentNotCancellable,
    RateLimited,
    RefundAccountRequired,
    ServerError,
    Unauthorized,
    UnreadableAnswer,
)
from .models import (
    CancelEntry,
    Certification,
    Customer,
    CustomerBatch,
    EscrowLogis,
    EscrowParty,
    EscrowProduct,
    EscrowShipment,
    ExternalReceipt,
    Money,
    OtpRequest,
    Payment,
    PaymentBatch,
    PaymentPage,
    PgSetting,
    Prepared,
    Receipt,
    ScheduleEntry,
    SchedulePage,
    ScheduleResult,
    StandardCode,
    Token,
    VbankDeposit,
    VbankHolder,
)
from .observers import CallObserver, CallRecord
from .operations.verification import Verdict, Verification
from .retry import RetryPolicy
from .tokens import TokenCache

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT",
    "AlreadyCancelled",
    "ApiError",
    "AsyncIamport",
    "BadRequest",
    "CallObserver",
    "CallRecord",
    "CancelAmountExceeded",
    "CancelEntry",
    "Certification",
    "ChecksumMismatch",
    "ClientClosed",
    "Conflict",
    "Customer",
    "CustomerBatch",
    "Declined",
    "DuplicateMerchantUid",
    "EscrowLogis",
    "EscrowParty",
    "EscrowProduct",
    "EscrowShipment",
    "ExternalReceipt",
    "ForeignAnswer",
    "Iamport",
    "IamportError",
    "Money",
    "NotFound",
    "NotSent",
    "NotSupported",
    "OtpRequest",
    "OutcomeUnknown",
    "Payment",
    "PaymentBatch",
    "PaymentNotCancellable",
    "PaymentPage",
    "PgSetting",
    "Prepared",
    "RateLimited",
    "Receipt",
    "RefundAccountRequired",
    "RetryPolicy",
    "ScheduleEntry",
    "SchedulePage",
    "ScheduleResult",
    "ServerError",
    "StandardCode",
    "Token",
    "TokenCache",
    "Unauthorized",
    "UnreadableAnswer",
    "VbankDeposit",
    "VbankHolder",
    "Verdict",
    "Verification",
]
