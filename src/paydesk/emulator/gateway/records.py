"""What the emulated gateway stores, one model per i'mport object.

Each record keeps the wire fields under their i'mport names and, after them,
the bookkeeping the real platform keeps out of sight (owner, webhook URL,
tax split, refund account...).  ``wire()`` renders exactly the i'mport shape.

A record kept in a merchant's books names them in ``imp_code``: the merchant's
code, or ``code/TIER`` for a sub-merchant's (``Merchant.book``).
"""

from __future__ import annotations

import operator
import weakref
from collections.abc import Callable
from typing import Annotated, Any, ClassVar, Literal, NoReturn, Self

from pydantic import AfterValidator, Field, TypeAdapter
from pydantic.dataclasses import dataclass

from .params import Amount

__all__ = [
    "AttemptRecord",
    "BillingKey",
    "CancelEntry",
    "Certification",
    "ChangeSet",
    "ConfirmRecord",
    "Deposit",
    "Escrow",
    "ExternalReceipt",
    "Payment",
    "Prepared",
    "Receipt",
    "Record",
    "Schedule",
    "Token",
    "WebhookRecord",
    "changes_so_far",
]

PaymentStatus = Literal["ready", "paid", "cancelled", "failed"]

RECEIPT_BASE = "https://iamport.example/receipts"
#: Where ``Gateway.approve`` points a paid payment's ``receipt_url`` (then + its imp_uid).
SALES_RECEIPT_BASE = RECEIPT_BASE + "/sales/"


class ChangeSet:
    """The records made or changed since the last save of a ``--state`` file.

    While one is open, every record notes itself here when it is built and on
    every attribute it is given, so a save writes those records and nothing else.
    A change inside a record's list (an attempt appended to a webhook) is noted
    by whoever makes it (``Gateway.touch(record)``).
    """

    def __init__(self) -> None:
        self._records: dict[int, Record] = {}

    def note(self, record: Record) -> None:
        self._records[id(record)] = record

    def take(self) -> list[Record]:
        records = list(self._records.values())
        self._records.clear()
        return records

    def open(self) -> None:
        _OPEN.add(self)

    def close(self) -> None:
        _OPEN.discard(self)
        self._records.clear()


_OPEN: weakref.WeakSet[ChangeSet] = weakref.WeakSet()
#: How many records were made or changed in this process (one shared count).
_CHANGED = [0]


def changes_so_far() -> int:
    """A number that grows whenever any record is made or changed: a cache's key."""
    return _CHANGED[0]


class _EmptyList(list[Any]):
    """The one empty list every record shares until it has items (most never do).

    A payment's ``cancel_history``, ``deposit_history`` and ``notice_urls`` and a
    webhook's ``attempts`` are empty for nearly every record; an empty list each is
    56 bytes a field.  This one refuses to grow, so whoever adds an item assigns a
    new list (``payment.cancel_history = [*payment.cancel_history, entry]``), which
    also tells the open ``ChangeSet``.
    """

    __slots__ = ()
    __hash__ = object.__hash__  # type: ignore[assignment]  # hashable: a default kept as is

    def _frozen(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError("the shared empty list is read-only: assign a new list instead")

    append = extend = insert = remove = pop = clear = sort = reverse = _frozen
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _frozen

    def __copy__(self) -> _EmptyList:
        return self

    def __deepcopy__(self, memo: object) -> _EmptyList:
        return self


EMPTY: list[Any] = _EmptyList()


def _share_empty(value: list[Any]) -> list[Any]:
    return value if value else EMPTY


def _compact_slot(
    cls: type, name: str, pack: Callable[[Any, Any], Any], unpack: Callable[[Any, Any], Any]
) -> None:
    """Keep ``cls.name`` in its slot in a smaller form, invisibly to every reader.

    The slot's descriptor is wrapped in a property: a write stores ``pack(record, value)``
    (a shared marker or a number where the value can be rebuilt, else the value itself),
    a read returns ``unpack(record, stored)``.  Everything reads through the property
    (attribute access, ``wire()``, pydantic's dumps and validation, ``repr``, equality),
    so every answer and the state file keep the full value.
    """
    slot = cls.__dict__[name]

    def read(record: Any) -> Any:
        return unpack(record, slot.__get__(record, cls))

    def write(record: Any, value: Any) -> None:
        slot.__set__(record, pack(record, value))

    type.__setattr__(cls, name, CompactSlot(slot, read, write))


class CompactSlot(property):
    """The property ``_compact_slot`` puts over a slot; ``stored(record)`` reads the slot."""

    def __init__(self, slot: Any, read: Callable[[Any], Any], write: Callable[[Any, Any], None]):
        super().__init__(read, write)
        self.slot = slot

    def stored(self, record: Any) -> Any:
        return self.slot.__get__(record, type(record))


class _Derived:
    """The marker of a value rebuilt from the record's other fields on each read."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<derived>"


DERIVED = _Derived()


class _PlainPayload:
    """Its instances' ``__dict__``s share one key table (CPython's split dicts).

    A webhook's payload is nearly always ``{imp_uid, merchant_uid, status}``: as an
    ordinary dict that is 184 bytes; as the ``__dict__`` of one of these (kept after the
    instance is gone) about 100, and it is still a real ``dict``, equal, in the same order.
    """


_PLAIN_PAYLOAD_KEYS = ("imp_uid", "merchant_uid", "status")


def _compact_payload(value: dict[str, Any]) -> dict[str, Any]:
    if tuple(value) != _PLAIN_PAYLOAD_KEYS:
        return value
    holder = _PlainPayload()
    holder.imp_uid = value["imp_uid"]  # type: ignore[attr-defined]
    holder.merchant_uid = value["merchant_uid"]  # type: ignore[attr-defined]
    holder.status = value["status"]  # type: ignore[attr-defined]
    compact: dict[str, Any] = holder.__dict__
    return compact


class Record:
    """What every record shares: pydantic's validation and dumps, on a slotted dataclass.

    A payment is some 70 fields; as a ``BaseModel`` each one held a ``__dict__``
    and a set of the fields given, about 6 KB.  As a slotted pydantic dataclass it is one
    pointer per field.  ``model_dump`` and ``model_validate`` keep the models' API.
    Each record tells the open ``ChangeSet`` (if any) that it was made or changed.
    """

    __slots__ = ()

    def __post_init__(self) -> None:
        _CHANGED[0] += 1
        if _OPEN:
            for changes in _OPEN:
                changes.note(self)

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        _CHANGED[0] += 1
        if _OPEN:
            for changes in _OPEN:
                changes.note(self)

    _adapters: ClassVar[dict[type, TypeAdapter[Any]]] = {}

    @classmethod
    def _adapter(cls) -> TypeAdapter[Any]:
        adapter = Record._adapters.get(cls)
        if adapter is None:
            adapter = Record._adapters[cls] = TypeAdapter(cls)
        return adapter

    def model_dump(
        self,
        *,
        mode: Literal["python", "json"] = "python",
        include: set[str] | None = None,
        exclude: set[str] | None = None,
    ) -> dict[str, Any]:
        dumped: dict[str, Any] = self._adapter().dump_python(
            self, mode=mode, include=include, exclude=exclude
        )
        return dumped

    @classmethod
    def model_validate(cls, data: Any) -> Self:
        validated: Self = cls._adapter().validate_python(data)
        return validated


@dataclass(slots=True, kw_only=True)
class Token(Record):
    access_token: str
    imp_code: str
    issued_at: int
    expired_at: int


@dataclass(slots=True, kw_only=True)
class CancelEntry(Record):
    pg_tid: str
    amount: Amount
    cancelled_at: int
    reason: str | None
    cancellation_id: str
    receipt_url: str | None
    tax_free: Amount = 0
    vat_amount: Amount = 0
    source: Literal["api", "console"] = "api"

    def wire(self) -> dict[str, Any]:
        return self.model_dump(
            include={"pg_tid", "amount", "cancelled_at", "reason", "cancellation_id", "receipt_url"}
        )


@dataclass(slots=True, kw_only=True)
class Deposit(Record):
    pg_tid: str
    amount: Amount
    depositor_name: str
    deposited_at: int


PAYMENT_WIRE_FIELDS = (
    "imp_uid", "merchant_uid", "pay_method", "channel", "pg_provider", "emb_pg_provider",
    "pg_tid", "pg_id", "escrow", "apply_num", "bank_code", "bank_name", "card_code",
    "card_name", "card_issuer_code", "card_issuer_name", "card_publisher_code",
    "card_publisher_name", "card_quota", "card_number", "card_type", "vbank_code",
    "vbank_name", "vbank_num", "vbank_holder", "vbank_date", "vbank_issued_at", "name",
    "amount", "cancel_amount", "currency", "buyer_name", "buyer_email", "buyer_tel",
    "buyer_addr", "buyer_postcode", "custom_data", "user_agent", "status", "started_at",
    "paid_at", "failed_at", "cancelled_at", "fail_reason", "cancel_reason", "receipt_url",
    "cash_receipt_issued", "customer_uid", "customer_uid_usage", "sandbox", "promotion",
)  # fmt: skip

_payment_wire_values = operator.attrgetter(*PAYMENT_WIRE_FIELDS)


@dataclass(slots=True, kw_only=True)
class Payment(Record):
    """The Payment object of reference §3, plus the gateway's private fields."""

    imp_uid: str
    merchant_uid: str
    pay_method: str | None = "card"
    channel: Literal["pc", "mobile", "api"] = "api"
    pg_provider: str | None = None
    emb_pg_provider: str | None = None
    pg_tid: str | None = None
    pg_id: str | None = None
    escrow: bool = False
    apply_num: str | None = None
    bank_code: str | None = None
    bank_name: str | None = None
    card_code: str | None = None
    card_name: str | None = None
    card_issuer_code: str | None = None
    card_issuer_name: str | None = None
    card_publisher_code: str | None = None
    card_publisher_name: str | None = None
    card_quota: int | None = None
    card_number: str | None = None
    card_type: int | None = None
    vbank_code: str | None = None
    vbank_name: str | None = None
    vbank_num: str | None = None
    vbank_holder: str | None = None
    vbank_date: int = 0
    vbank_issued_at: int = 0
    name: str | None = None
    amount: Amount
    cancel_amount: Amount = 0
    currency: str = "KRW"
    buyer_name: str | None = None
    buyer_email: str | None = None
    buyer_tel: str | None = None
    buyer_addr: str | None = None
    buyer_postcode: str | None = None
    custom_data: str | None = None
    user_agent: str | None = None
    status: PaymentStatus = "ready"
    started_at: int = 0
    paid_at: int = 0
    failed_at: int = 0
    cancelled_at: int = 0
    fail_reason: str | None = None
    cancel_reason: str | None = None
    receipt_url: str | None = None
    cancel_history: Annotated[list[CancelEntry], AfterValidator(_share_empty)] = EMPTY
    deposit_history: Annotated[list[Deposit], AfterValidator(_share_empty)] = EMPTY
    cash_receipt_issued: bool = False
    customer_uid: str | None = None
    customer_uid_usage: str | None = None
    sandbox: bool = False
    promotion: dict[str, Any] | None = None
    # -- private to the gateway --------------------------------------------
    imp_code: str
    channel_key: str | None = None
    updated_at: int = 0
    tax_free: Amount = 0
    vat_amount: Amount | None = None
    vat_explicit: bool = False
    notice_urls: Annotated[list[str], AfterValidator(_share_empty)] = EMPTY
    uses_webhook: bool = True
    confirm_url: str | None = None
    m_redirect_url: str | None = None
    vbank_revoked: bool = False
    #: A fixed "unlimited" account (Hecto's ``fixed_unlimited_vbank``): only its deposits
    #: are listed in ``deposit_history`` (reference §3, §9.4).
    vbank_fixed_unlimited: bool = False

    @property
    def balance(self) -> Amount:
        """What can still be refunded."""
        return self.amount - self.cancel_amount

    @property
    def cancelled_tax_free(self) -> Amount:
        return sum(entry.tax_free for entry in self.cancel_history)

    @property
    def cancelled_vat(self) -> Amount:
        return sum(entry.vat_amount for entry in self.cancel_history)

    def wire(self) -> dict[str, Any]:
        data = dict(zip(PAYMENT_WIRE_FIELDS, _payment_wire_values(self), strict=True))
        data["cancel_history"] = [entry.wire() for entry in self.cancel_history]
        data["cancel_receipt_urls"] = [
            entry.receipt_url for entry in self.cancel_history if entry.receipt_url
        ]
        data["deposit_history"] = [entry.model_dump() for entry in self.deposit_history]
        return data


def _pack_receipt_url(payment: Payment, value: Any) -> Any:
    """A paid payment's own sales receipt URL is rebuilt from its imp_uid (104 bytes each)."""
    if type(value) is str and value.startswith(SALES_RECEIPT_BASE):
        try:
            imp_uid = payment.imp_uid
        except AttributeError:  # not set yet: the value is kept as given
            return value
        if value == SALES_RECEIPT_BASE + imp_uid:
            return DERIVED
    return value


def _unpack_receipt_url(payment: Payment, stored: Any) -> Any:
    return SALES_RECEIPT_BASE + payment.imp_uid if stored is DERIVED else stored


_compact_slot(Payment, "receipt_url", _pack_receipt_url, _unpack_receipt_url)


@dataclass(slots=True, kw_only=True)
class Prepared(Record):
    merchant_uid: str
    amount: Amount
    currency: str | None = None
    imp_code: str

    def wire(self) -> dict[str, Any]:
        return {"merchant_uid": self.merchant_uid, "amount": self.amount, "currency": self.currency}


@dataclass(slots=True, kw_only=True)
class BillingKey(Record):
    """A billing key (CustomerAnnotation).  The card number is kept masked only."""

    customer_uid: str
    pg_provider: str
    pg_id: str
    sandbox: bool = False
    customer_id: str | None = None
    card_name: str | None = None
    card_code: str | None = None
    card_issuer_code: str | None = None
    card_issuer_name: str | None = None
    card_publisher_code: str | None = None
    card_publisher_name: str | None = None
    card_number: str | None = None
    card_type: int | None = None
    customer_name: str | None = None
    customer_tel: str | None = None
    customer_email: str | None = None
    customer_addr: str | None = None
    customer_postcode: str | None = None
    inserted: int
    updated: int
    # -- private ---------------------------------------------------------
    imp_code: str
    channel_key: str | None = None
    card_outcome: str = "approve"
    deleted: bool = False

    def wire(self) -> dict[str, Any]:
        return self.model_dump(exclude={"imp_code", "channel_key", "card_outcome", "deleted"})


@dataclass(slots=True, kw_only=True)
class Schedule(Record):
    """One scheduled charge (ScheduleResultAnnotation) with what it will send."""

    customer_uid: str
    merchant_uid: str
    imp_uid: str | None = None
    pg_provider: str | None = None
    pg_id: str | None = None
    customer_id: str | None = None
    schedule_at: int
    executed_at: int = 0
    revoked_at: int = 0
    amount: Amount
    currency: str = "KRW"
    name: str | None = None
    buyer_name: str | None = None
    buyer_email: str | None = None
    buyer_tel: str | None = None
    buyer_addr: str | None = None
    buyer_postcode: str | None = None
    custom_data: str | None = None
    schedule_status: Literal["scheduled", "executed", "revoked"] = "scheduled"
    payment_status: PaymentStatus | None = None
    fail_reason: str | None = None
    promotion_id: str | None = None
    # -- private ---------------------------------------------------------
    imp_code: str
    tax_free: Amount = 0
    vat_amount: Amount | None = None
    notice_url: str | None = None
    card_quota: int | None = None
    extra: dict[str, Any] | None = None
    created_at: int = 0

    def wire(self) -> dict[str, Any]:
        return self.model_dump(
            exclude={"imp_code", "tax_free", "vat_amount", "notice_url", "card_quota", "extra",
                     "created_at"}
        )  # fmt: skip


@dataclass(slots=True, kw_only=True)
class Receipt(Record):
    imp_uid: str
    receipt_tid: str | None = None
    apply_num: str
    type: Literal["person", "company"] = "person"
    amount: Amount
    vat: Amount
    receipt_url: str | None = None
    applied_at: int
    cancelled_at: int = 0
    imp_code: str
    identifier: str = ""
    identifier_type: str | None = None

    def wire(self) -> dict[str, Any]:
        return self.model_dump(exclude={"imp_code", "identifier", "identifier_type"})


@dataclass(slots=True, kw_only=True)
class ExternalReceipt(Record):
    merchant_uid: str
    receipt_tid: str | None = None
    apply_num: str
    type: Literal["person", "company"] = "person"
    amount: Amount
    vat: Amount
    receipt_url: str | None = None
    applied_at: int
    cancelled_at: int = 0
    imp_code: str
    name: str = ""
    identifier: str = ""
    pg_provider: str | None = None

    def wire(self) -> dict[str, Any]:
        return self.model_dump(exclude={"imp_code", "name", "identifier", "pg_provider"})


@dataclass(slots=True, kw_only=True)
class Certification(Record):
    """An identity verification; ``birth`` (unix ts) and ``birthday`` both go out (§2.17)."""

    imp_uid: str
    merchant_uid: str | None = None
    pg_tid: str | None = None
    pg_provider: str
    name: str | None = None
    gender: str | None = None
    birthday: str | None = None
    birth: int | None = None
    foreigner: bool = False
    foreigner_v2: bool | None = None
    phone: str | None = None
    carrier: str | None = None
    certified: bool = False
    certified_at: int = 0
    unique_key: str | None = None
    unique_in_site: str | None = None
    origin: str | None = None
    # -- private ---------------------------------------------------------
    imp_code: str
    otp: str | None = None
    created_at: int = 0

    def wire(self) -> dict[str, Any]:
        return self.model_dump(exclude={"imp_code", "otp", "created_at"})


@dataclass(slots=True, kw_only=True)
class Escrow(Record):
    imp_uid: str
    imp_code: str
    company: str
    invoice: str
    sent_at: int
    applied_at: int
    sender: dict[str, Any] = Field(default_factory=dict)
    receiver: dict[str, Any] = Field(default_factory=dict)
    logis: dict[str, Any] = Field(default_factory=dict)
    products: list[dict[str, Any]] = Field(default_factory=list)
    # -- private: the buyer's side (``Inicis.Escrow.Changed``'s ``escrow_status``) ----------
    escrow_status: str | None = None
    status_changed_at: int = 0
    denied_reason: str | None = None

    def wire(self) -> dict[str, Any]:
        return {
            "company": self.company,
            "invoice": self.invoice,
            "sent_at": self.sent_at,
            "applied_at": self.applied_at,
        }


@dataclass(slots=True, kw_only=True)
class AttemptRecord(Record):
    """One delivery attempt of a webhook."""

    at: float
    status: int | None = None
    error: str | None = None
    elapsed_ms: float = 0.0
    manual: bool = False
    duplicate: bool = False  # the extra copy a "duplicate delivery" policy sends


@dataclass(slots=True, kw_only=True)
class WebhookRecord(Record):
    """A webhook the gateway owes a merchant, with every attempt to deliver it."""

    id: str
    imp_code: str
    url: str | None
    content_type: Literal["json", "form"] = "json"
    payload: Annotated[dict[str, Any], AfterValidator(_compact_payload)]
    event: str
    created_at: float
    attempts: Annotated[list[AttemptRecord], AfterValidator(_share_empty)] = EMPTY
    state: Literal["pending", "delivered", "failed", "undeliverable"] = "pending"
    next_attempt_at: float | None = None


def _pack_webhook_id(record: WebhookRecord, value: Any) -> Any:
    """``wh_00001234`` is kept as the number 1234 (28 bytes instead of 60)."""
    if (
        type(value) is str
        and len(value) == 11
        and value.startswith("wh_")
        and value[3:].isascii()
        and value[3:].isdigit()
    ):
        return int(value[3:])
    return value


def _unpack_webhook_id(record: WebhookRecord, stored: Any) -> Any:
    return f"wh_{stored:08d}" if type(stored) is int else stored


_compact_slot(WebhookRecord, "id", _pack_webhook_id, _unpack_webhook_id)


@dataclass(slots=True, kw_only=True)
class ConfirmRecord(Record):
    """One Confirm Process call: what was sent, what came back, what it decided."""

    id: str
    imp_code: str
    url: str
    request: dict[str, Any]
    status: int | None = None
    body: str | None = None
    error: str | None = None
    elapsed_ms: float = 0.0
    #: ``ignored``: the merchant does not have the Confirm Process, so nothing was sent
    #: (the real platform ignores ``confirm_url`` then; the console shows it).
    decision: Literal["approve", "refuse", "ignored"]
    fail_reason: str | None = None
    at: float
