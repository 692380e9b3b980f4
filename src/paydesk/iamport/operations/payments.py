"""Payment lookups (reference §2.2): by imp_uid, several at once, by merchant_uid, by status."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ..errors import NotFound
from ..exchange import ApiRequest, Flow, Timeout, query_pairs, segment, timed
from ..models.payment import Payment, PaymentBatch, PaymentPage
from ..models.wire import to_unix
from .answers import exchange, parse_list

__all__ = [
    "MAX_IDS",
    "find_payment",
    "find_payments",
    "payment",
    "payments",
    "payments_by_status",
    "status_page_request",
]

MAX_IDS = 100
STATUSES = ("ready", "paid", "cancelled", "failed")


def _status_segment(status: str | None) -> str:
    if status is None:
        return ""
    if status not in STATUSES:
        raise ValueError(f"payment status must be one of {STATUSES}")
    return "/" + status


def payment(
    imp_uid: str, *, include_sandbox: bool = False, timeout: Timeout | None = None
) -> Flow[Payment]:
    """One payment by its ``imp_uid`` (``GET /payments/{imp_uid}``).

    Args:
        imp_uid: i'mport's payment id.
        include_sandbox: also find payments made on test channels.

    Returns:
        The Payment.

    Raises:
        NotFound: no such payment (or a test payment without ``include_sandbox``).
    """
    request = ApiRequest(
        "payments.get",
        "GET",
        f"/payments/{segment(imp_uid)}",
        query=query_pairs({"include_sandbox": include_sandbox or None}),
        keys={"imp_uid": imp_uid},
    )
    return timed(exchange(request, Payment), timeout)


def payments(
    imp_uids: Sequence[str] = (),
    merchant_uids: Sequence[str] = (),
    *,
    timeout: Timeout | None = None,
) -> Flow[PaymentBatch]:
    """Several payments at once (``GET /payments``, 100 ids per request, more are split).

    A ``merchant_uid`` finds its newest attempt.  Ids i'mport does not know are
    listed in the batch's ``missing_*`` fields (HTTP 207, or 404 when none is found).

    Args:
        imp_uids: payment ids.
        merchant_uids: order ids.

    Returns:
        A ``PaymentBatch``.

    Raises:
        ValueError: no id given.
    """
    ids = [("imp_uid", uid) for uid in imp_uids] + [("merchant_uid", m) for m in merchant_uids]
    if not ids:
        raise ValueError("give at least one imp_uid or merchant_uid")
    return timed(_batch(ids), timeout)


def _batch(ids: list[tuple[str, str]]) -> Flow[PaymentBatch]:
    found: dict[str, Payment] = {}
    for start in range(0, len(ids), MAX_IDS):
        try:
            envelope = yield _batch_request(ids[start : start + MAX_IDS])
        except NotFound:  # none of this chunk exists
            continue
        for item in parse_list(Payment, envelope):
            found.setdefault(item.imp_uid, item)
    seen_imp = set(found)
    seen_merchant = {p.merchant_uid for p in found.values()}
    missing_imp = [v for k, v in ids if k == "imp_uid" and v not in seen_imp]
    missing_merchant = [v for k, v in ids if k == "merchant_uid" and v not in seen_merchant]
    return PaymentBatch(
        found=list(found.values()),
        missing_imp_uids=missing_imp,
        missing_merchant_uids=missing_merchant,
        partial=bool(missing_imp or missing_merchant),
    )


def _batch_request(chunk: list[tuple[str, str]]) -> ApiRequest:
    imp_uids = [v for k, v in chunk if k == "imp_uid"]
    merchant_uids = [v for k, v in chunk if k == "merchant_uid"]
    return ApiRequest(
        "payments.get_many",
        "GET",
        "/payments",
        query=query_pairs(repeated={"imp_uid": imp_uids, "merchant_uid": merchant_uids}),
        keys={"imp_uids": imp_uids, "merchant_uids": merchant_uids},
    )


def find_payment(
    merchant_uid: str,
    status: str | None = None,
    *,
    sorting: str | None = None,
    timeout: Timeout | None = None,
) -> Flow[Payment]:
    """The newest (by ``sorting``) attempt of an order (``GET /payments/find/...``).

    Args:
        merchant_uid: the order id.
        status: only attempts in this status (ready / paid / cancelled / failed).
        sorting: -started (default) / started / -paid / paid / -updated / updated.

    Returns:
        The Payment.

    Raises:
        NotFound: no attempt (in that status).
    """
    request = ApiRequest(
        "payments.find",
        "GET",
        f"/payments/find/{segment(merchant_uid)}{_status_segment(status)}",
        query=query_pairs({"sorting": sorting}),
        keys={"merchant_uid": merchant_uid},
    )
    return timed(exchange(request, Payment), timeout)


def find_payments(
    merchant_uid: str,
    status: str | None = None,
    *,
    page: int = 1,
    limit: int = 20,
    sorting: str | None = None,
    timeout: Timeout | None = None,
) -> Flow[PaymentPage]:
    """One page of every attempt of an order (``GET /payments/findAll/...``).

    Args:
        merchant_uid: the order id.
        status: only attempts in this status.
        page: 1-based page number.
        limit: page size (1..1000).
        sorting: as for ``find_payment``.

    Returns:
        A ``PaymentPage``.

    Raises:
        NotFound: the order has no attempt (in that status).
    """
    request = ApiRequest(
        "payments.find_all",
        "GET",
        f"/payments/findAll/{segment(merchant_uid)}{_status_segment(status)}",
        query=query_pairs({"page": page, "limit": limit, "sorting": sorting}),
        keys={"merchant_uid": merchant_uid},
    )
    return timed(exchange(request, PaymentPage), timeout)


def status_page_request(
    status: str,
    *,
    since: datetime | None,
    until: datetime | None,
    page: int,
    limit: int,
    sorting: str | None,
) -> ApiRequest:
    """The request for one page of ``GET /payments/status/{status}``."""
    if status != "all":
        _status_segment(status)
    return ApiRequest(
        "payments.by_status",
        "GET",
        f"/payments/status/{segment(status)}",
        query=query_pairs(
            {
                "page": page,
                "limit": limit,
                "from": to_unix(since) if since else None,
                "to": to_unix(until) if until else None,
                "sorting": sorting,
            }
        ),
        keys={"status": status},
    )


def payments_by_status(
    status: str = "all",
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    page: int = 1,
    limit: int = 20,
    sorting: str | None = None,
    timeout: Timeout | None = None,
) -> Flow[PaymentPage]:
    """One page of payments in a status (``GET /payments/status/{status}``).

    The window ``since``..``until`` may span at most 90 days (i'mport's default:
    the 90 days before now).  To walk a longer range, use ``iter_payments_by_status``.

    Args:
        status: all / ready / paid / cancelled / failed.
        since: window start (compared with the time matching each payment's status).
        until: window end.
        page: 1-based page number.
        limit: page size (1..1000).
        sorting: -started (default) / started / -paid / paid / -updated / updated.

    Returns:
        A ``PaymentPage``.

    Raises:
        BadRequest: unknown status, a window over 90 days, a page beyond the end.
    """
    request = status_page_request(
        status, since=since, until=until, page=page, limit=limit, sorting=sorting
    )
    return timed(exchange(request, PaymentPage), timeout)
