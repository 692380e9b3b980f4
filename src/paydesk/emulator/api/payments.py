"""Payment lookups (reference §2.2): by imp_uid, by merchant_uid, by status, balance.

These are the reads a merchant reconciles with, so their edge answers matter
as much as the happy path: 207 for a partly found multi-lookup, 404 texts of
§10, the 90-day status window, page bounds and the sandbox filter.  Selection,
sorting and paging are plain functions; handlers only read parameters.
"""

from __future__ import annotations

import operator
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..envelope import Encoded, encode
from ..gateway import pg_rules
from ..gateway.errors import ApiFault, Messages
from ..gateway.params import Amount, normalize_amount
from ..gateway.records import PAYMENT_WIRE_FIELDS, CompactSlot, Payment, changes_so_far
from ..gateway.refunds import payment_vat, remaining_tax_free, remaining_vat
from ..gateway.state import Ledger
from .operations import OPERATIONS
from .routing import Call, Reply, RouteTable

__all__ = ["STATUS_TIME", "AnswerCache", "in_window", "page_of", "routes", "sort_payments",
           "within_window"]  # fmt: skip

routes = RouteTable()

MAX_IDS = 100
WINDOW = 90 * 86400
STATUSES = ("ready", "paid", "cancelled", "failed")
# The time a status listing compares from/to with, per payment status (§2.17).
STATUS_TIME = {
    "ready": "started_at",
    "paid": "paid_at",
    "cancelled": "cancelled_at",
    "failed": "failed_at",
}
SORTINGS = {
    "-started": ("started_at", True),
    "started": ("started_at", False),
    "-paid": ("paid_at", True),
    "paid": ("paid_at", False),
    "-updated": ("updated_at", True),
    "updated": ("updated_at", False),
}


# -- pure selection -----------------------------------------------------------
def sort_payments(payments: Iterable[Payment], sorting: str) -> list[Payment]:
    """Order by a ``sorting`` value of the spec; ties keep the newest attempt first
    when descending (the books are in creation order)."""
    field, descending = SORTINGS[sorting]
    indexed = list(enumerate(payments))
    indexed.sort(key=lambda item: (getattr(item[1], field), item[0]), reverse=descending)
    return [payment for _, payment in indexed]


def within_window(payment: Payment, start: int, end: int) -> bool:
    """Whether the time matching the payment's status falls in ``[start, end]``."""
    moment: int = getattr(payment, STATUS_TIME[payment.status])
    return start <= moment <= end


def page_of(items: Sequence[Payment], page: int, limit: int) -> dict[str, Any]:
    """The paged list object ``{total, previous, next, list}`` (0 = no such page)."""
    total = len(items)
    chunk = items[(page - 1) * limit : page * limit]
    return {
        "total": total,
        "previous": page - 1 if page > 1 else 0,
        "next": page + 1 if page * limit < total else 0,
        "list": [payment.wire() for payment in chunk],
    }


# -- by imp_uid -------------------------------------------------------------------
#: What ``Payment.wire()`` reads, as stored: every wire field but ``receipt_url``, which
#: is read from its slot (a shared marker while it is derived from the imp_uid).
_WIRE_VALUES = operator.attrgetter(*(f for f in PAYMENT_WIRE_FIELDS if f != "receipt_url"))
_RECEIPT: CompactSlot = Payment.__dict__["receipt_url"]


class AnswerCache:
    """The encoded answers of the payments read last, reused while nothing in them changed.

    No path that changes a payment has to say so: an answer is reused only for the same
    payment object whose wire fields are the very same objects as when it was encoded
    (an identity test: a field given a new value, even an equal one, is a miss), with no
    cancel or deposit history and no ``promotion`` (the only lists and dicts of the answer,
    which could change in place).  Every wire field is a ``str``, ``int``, ``float``,
    ``bool`` or ``None``, which cannot change in place, so the same objects encode to the
    same bytes.  At most ``size`` answers are kept (the oldest goes first).
    """

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._answers: dict[str, tuple[Payment, tuple[Any, ...], Any, Encoded]] = {}

    def answer(self, payment: Payment) -> Encoded | dict[str, Any]:
        if payment.cancel_history or payment.deposit_history or payment.promotion is not None:
            return payment.wire()
        values = _WIRE_VALUES(payment)
        receipt = _RECEIPT.stored(payment)
        kept = self._answers.get(payment.imp_uid)
        if (
            kept is not None
            and kept[0] is payment
            and kept[2] is receipt
            and all(map(operator.is_, kept[1], values))
        ):
            return kept[3]
        encoded = encode(payment.wire())
        if kept is None and len(self._answers) >= self.size:
            del self._answers[next(iter(self._answers))]
        self._answers[payment.imp_uid] = (payment, values, receipt, encoded)
        return encoded


_answers = AnswerCache()


@routes.op("GET", "/payments/{imp_uid}")
def get_payment(call: Call) -> Encoded | dict[str, Any]:
    """One payment; payments on test channels only with ``include_sandbox=true``."""
    payment = call.gateway.require_payment(call.merchant, call.path["imp_uid"])
    if payment.sandbox and not call.params.flag("include_sandbox"):
        raise ApiFault(404, Messages.PAYMENT_NOT_FOUND)
    return _answers.answer(payment)


@routes.op("GET", "/payments")
def get_payments(call: Call) -> Reply:
    """Up to 100 ids: 200 when all are found, 207 with the found subset, else 404."""
    imp_uids = call.params.strings("imp_uid")
    merchant_uids = call.params.strings("merchant_uid")
    # The spec documents no 400 here, so bad input is HTTP 200 with a non-zero code.
    if not imp_uids and not merchant_uids:
        raise call.params.fail(Messages.missing("imp_uid[] 또는 merchant_uid[]"))
    if len(imp_uids) + len(merchant_uids) > MAX_IDS:
        raise call.params.fail(f"한 번에 최대 {MAX_IDS}건까지 조회할 수 있습니다.")
    found: dict[str, Payment] = {}
    missing = 0
    for payment in [*_by_imp_uids(call, imp_uids), *_by_merchant_uids(call, merchant_uids)]:
        if payment is None:
            missing += 1
        else:
            found.setdefault(payment.imp_uid, payment)
    if not found:
        raise ApiFault(404, Messages.PAYMENT_NOT_FOUND)
    return Reply([payment.wire() for payment in found.values()], status=207 if missing else 200)


def _by_imp_uids(call: Call, imp_uids: list[str]) -> list[Payment | None]:
    return [call.gateway.find_payment(call.merchant, imp_uid) for imp_uid in imp_uids]


def _by_merchant_uids(call: Call, merchant_uids: list[str]) -> list[Payment | None]:
    ledger = call.gateway.ledger(call.merchant)
    out: list[Payment | None] = []
    for merchant_uid in merchant_uids:
        attempts = sort_payments(ledger.by_merchant_uid(merchant_uid), "-started")
        out.append(attempts[0] if attempts else None)
    return out


# -- by merchant_uid --------------------------------------------------------------
_FIND = "/payments/find/{merchant_uid}/{payment_status}"
_FIND_ALL = "/payments/findAll/{merchant_uid}/{payment_status}"


def _answer_as(call: Call, spec_path: str) -> None:
    """The status-less variants refuse bad input like the spec operation they shorten."""
    operation = next(op for op in OPERATIONS if op.method == "GET" and op.path == spec_path)
    call.params.bad_status = operation.bad_request_status


def _attempts(call: Call) -> list[Payment]:
    """The merchant_uid's attempts in the path's status (if any), sorted as asked."""
    status = call.path.get("payment_status")
    if status is not None and status not in STATUSES:
        raise call.params.fail(Messages.BAD_STATUS)
    sorting = call.params.text("sorting", choices=SORTINGS, default="-started") or "-started"
    attempts = call.gateway.ledger(call.merchant).by_merchant_uid(call.path["merchant_uid"])
    chosen = [p for p in attempts if status is None or p.status == status]
    return sort_payments(chosen, sorting)


@routes.op("GET", "/payments/find/{merchant_uid}")
@routes.op("GET", _FIND)
def find_payment(call: Call) -> dict[str, Any]:
    """The first attempt by ``sorting`` (default ``-started``: the newest)."""
    _answer_as(call, _FIND)
    attempts = _attempts(call)
    if not attempts:
        raise ApiFault(404, Messages.PAYMENT_NOT_FOUND)
    return attempts[0].wire()


@routes.op("GET", "/payments/findAll/{merchant_uid}")
@routes.op("GET", _FIND_ALL)
def find_all_payments(call: Call) -> dict[str, Any]:
    """Every attempt under the merchant_uid, paged."""
    _answer_as(call, _FIND_ALL)
    page, limit = _paging(call)
    attempts = _attempts(call)
    if not attempts:
        raise ApiFault(404, Messages.PAYMENT_NOT_FOUND)
    return page_of(attempts, page, limit)


def _paging(call: Call) -> tuple[int, int]:
    page = call.params.integer("page", default=1, minimum=1)
    limit = call.params.integer("limit", default=20, minimum=1, maximum=1000)
    assert page is not None and limit is not None
    return page, limit


# -- by status ----------------------------------------------------------------------
@routes.op("GET", "/payments/status/{payment_status}")
def list_by_status(call: Call) -> dict[str, Any]:
    """Payments in a status whose status time is within ``from``..``to`` (≤ 90 days)."""
    status = call.path["payment_status"]
    if status != "all" and status not in STATUSES:
        raise call.params.fail(Messages.BAD_STATUS)
    start, end = _window(call)
    page, limit = _paging(call)
    sorting = call.params.text("sorting", choices=SORTINGS, default="-started") or "-started"
    chosen = in_window(call.gateway.ledger(call.merchant), status, start, end)
    if page > 1 and (page - 1) * limit >= len(chosen):
        raise call.params.fail("요청하신 page가 조회 결과의 범위를 벗어났습니다.")
    return page_of(sort_payments(chosen, sorting), page, limit)


@dataclass(frozen=True)
class _ByStatusTime:
    """A ledger's payments in one status (or all), sorted by their status time."""

    key: tuple[int, int]  # (records' change count, payments) when it was built
    times: list[int]
    entries: list[tuple[int, int, Payment]]  # (status time, creation rank, payment)


def in_window(ledger: Ledger, status: str, start: int, end: int) -> list[Payment]:
    """The payments in ``status`` ("all": any) whose status time is within ``[start, end]``,
    in creation order.

    A bisection over an index sorted by status time, rebuilt whenever any record
    was made or changed since (a status or its time moves a payment): a sweep
    paging through 100,000 payments reads a page in the time of the page, not of
    the whole book.
    """
    key = (changes_so_far(), len(ledger.payments))
    index = ledger.derived.get(f"by_status_time:{status}")
    if not isinstance(index, _ByStatusTime) or index.key != key:
        entries = [
            (getattr(p, STATUS_TIME[p.status]), rank, p)
            for rank, p in enumerate(ledger.payments.values())
            if status == "all" or p.status == status
        ]
        entries.sort(key=lambda entry: (entry[0], entry[1]))
        index = _ByStatusTime(key, [entry[0] for entry in entries], entries)
        ledger.derived[f"by_status_time:{status}"] = index
    found = index.entries[bisect_left(index.times, start) : bisect_right(index.times, end)]
    found.sort(key=lambda entry: entry[1])
    return [entry[2] for entry in found]


def _window(call: Call) -> tuple[int, int]:
    end = call.params.integer("to", default=call.now)
    assert end is not None
    start = call.params.integer("from", default=end - WINDOW)
    assert start is not None
    if start > end:
        raise call.params.fail("from은 to보다 클 수 없습니다.")
    if end - start > WINDOW:
        raise call.params.fail("조회기간(from ~ to)은 최대 90일까지 지정할 수 있습니다.")
    return start, end


# -- balance (PAYCO) --------------------------------------------------------------
@routes.op("GET", "/payments/{imp_uid}/balance")
def get_balance(call: Call) -> dict[str, Any]:
    """Per-part amounts (PaymentBalanceResponseAnnotation), PAYCO payments only.

    For another PG we answer 404 with code 1: the documented statuses are
    200/401/404/405, 401 and 405 mean other things, and a 200 would read as
    "there is a breakdown"; 404 says "no balance for this imp_uid", while code 1
    (not the -1 of an unknown imp_uid) tells the two 404s apart.
    """
    payment = call.gateway.require_payment(call.merchant, call.path["imp_uid"])
    if not pg_rules.supports(payment.pg_provider, "balance"):
        raise ApiFault(404, "결제 상세내역 조회는 PAYCO 결제건에 한해 제공됩니다.", code=1)
    return balance_of(payment)


def _block(tax_free: Amount = 0, taxable: Amount = 0, vat: Amount = 0) -> dict[str, Amount]:
    def money(value: float) -> Amount:
        return normalize_amount(round(value, 2))

    return {
        "tax_free": money(tax_free),
        "supply": money(taxable - vat),
        "vat": money(vat),
        "service": 0,
    }


def _blocks(primary: dict[str, Amount], cash_receipt: bool) -> dict[str, Any]:
    return {
        "cash_receipt": primary if cash_receipt else _block(),
        "primary": primary,
        "secondary": _block(),
        "discount": _block(),
    }


def balance_of(payment: Payment) -> dict[str, Any]:
    """What is left per part after refunds, and one history entry per event."""
    tax_free = remaining_tax_free(payment)
    left = _block(tax_free, payment.balance - tax_free, remaining_vat(payment))
    paid = _block(payment.tax_free, payment.amount - payment.tax_free, payment_vat(payment))
    histories = [{**_blocks(paid, payment.cash_receipt_issued), "created": payment.paid_at}]
    for entry in payment.cancel_history:
        refunded = _block(-entry.tax_free, -(entry.amount - entry.tax_free), -entry.vat_amount)
        histories.append(
            {**_blocks(refunded, payment.cash_receipt_issued), "created": entry.cancelled_at}
        )
    return {
        "amount": payment.amount,
        **_blocks(left, payment.cash_receipt_issued),
        "histories": histories,
    }
