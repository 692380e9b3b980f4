"""Scheduled billing-key charges: create, revoke, list, move, reschedule, retry
(reference §2.6, §2.17 "Schedule state machine").

A schedule is ``scheduled`` until the ticker (``scheduler.run_due_schedules``)
executes it, or ``revoked`` by ``unschedule``.  Failed or revoked schedules may
be rescheduled or retried.  Create and unschedule answer plain arrays; the list
endpoints answer the paged ``{total, previous, next, list}`` object.
"""

from __future__ import annotations

from typing import Any

from ..gateway.charging import (
    CardInput,
    CardRejected,
    find_key,
    issue_billing_key,
    pick_api_channel,
    read_card,
    read_custom_data,
    tax_split,
)
from ..gateway.errors import ApiFault, Messages
from ..gateway.merchants import Channel
from ..gateway.params import Params
from ..gateway.pg_rules import supports
from ..gateway.records import BillingKey, Schedule
from ..gateway.scheduler import execute_schedule
from .routing import Call, RouteTable
from .subscribe import answer, card_fault, require_fields, super_key_fault, unsupported

__all__ = ["list_customer_schedules", "paged", "routes"]

routes = RouteTable()

MAX_WINDOW = 92 * 86400  # "at most 3 months" of schedule_at
STATUSES = ("scheduled", "executed", "revoked")
_BUYER = ("buyer_name", "buyer_email", "buyer_tel", "buyer_addr", "buyer_postcode")
_CUSTOMER = ("customer_name", "customer_email", "customer_tel", "customer_addr",
             "customer_postcode")  # fmt: skip


def paged(items: list[dict[str, Any]], page: int, limit: int) -> dict[str, Any]:
    """One page of ``items`` as i'mport pages lists: ``previous``/``next`` are 0 when absent."""
    start = (page - 1) * limit
    return {
        "total": len(items),
        "previous": page - 1 if page > 1 else 0,
        "next": page + 1 if start + limit < len(items) else 0,
        "list": items[start : start + limit],
    }


# -- create ------------------------------------------------------------------------
def _new_card(call: Call) -> tuple[CardInput, Channel]:
    """Card data for a customer_uid without a key yet, or the "no customer" refusal."""
    params = call.params
    if not params.has("card_number"):
        raise ApiFault(200, Messages.SCHEDULE_NO_CUSTOMER, code=1)
    if params.has("channel_group_id"):
        raise super_key_fault()
    channel = pick_api_channel(call.merchant, params.text("pg"), params.text("channel_key"))
    if not supports(channel.pg_provider, "customer_issue"):
        raise unsupported(channel.pg_provider, "API 빌링키 발급")
    require_fields(params, channel.pg_provider, "customer_issue")
    return read_card(params), channel


def _plan(call: Call, entry: Params, pg: str, fallback: dict[str, Any]) -> Schedule:
    """One ScheduleAnnotation entry checked and turned into a ``scheduled`` record."""
    merchant_uid = entry.need_text("merchant_uid", max_len=40)
    schedule_at = entry.need_integer("schedule_at")
    if schedule_at <= call.now:
        raise entry.fail(f"schedule_at은 현재 시각 이후여야 합니다. (merchant_uid: {merchant_uid})")
    amount = entry.need_amount("amount")
    buyer: dict[str, Any] = {f: entry.text(f) or fallback.get(f"customer_{f[6:]}") for f in _BUYER}
    require_fields(Params({**entry.data, **buyer}, entry.bad_status), pg, "again")
    try:
        tax_free, vat = tax_split(
            pg, "again", amount, entry.amount("tax_free"), entry.amount("vat_amount")
        )
    except ValueError as exc:
        raise entry.fail(str(exc)) from None
    return Schedule(
        customer_uid=call.params.need_text("customer_uid"), merchant_uid=merchant_uid,
        customer_id=call.params.text("customer_id") or fallback.get("customer_id"),
        schedule_at=schedule_at, amount=amount, currency=entry.text("currency") or "KRW",
        name=entry.text("name"), custom_data=read_custom_data(entry),
        promotion_id=entry.text("promotion_id"), imp_code=call.merchant.book,
        tax_free=tax_free, vat_amount=vat, notice_url=entry.text("notice_url"),
        card_quota=entry.integer("card_quota", minimum=0), created_at=call.now, **buyer,
    )  # fmt: skip


def _check_unique(call: Call, plans: list[Schedule]) -> None:
    """Each entry needs its own merchant_uid, unused by any schedule or paid payment."""
    seen: set[str] = set()
    ledger = call.gateway.ledger(call.merchant)
    for plan in plans:
        uid = plan.merchant_uid
        if (
            uid in seen
            or uid in ledger.schedules
            or call.gateway.has_paid_attempt(call.merchant, uid)
        ):
            raise ApiFault(200, f"이미 사용된 merchant_uid입니다. (merchant_uid: {uid})", code=1)
        seen.add(uid)


@routes.op("POST", "/subscribe/payments/schedule")
def create_schedules(call: Call) -> list[dict[str, Any]]:
    """Schedule charges on a key; issues the key first from card data when it is new."""
    params = call.params
    customer_uid = params.need_text("customer_uid", max_len=80)
    entries = params.records("schedules", required=True)
    key = find_key(call.gateway, call.merchant, customer_uid)
    customer = {name: params.text(name) for name in ("customer_id", *_CUSTOMER)}
    new_card = None if key else _new_card(call)
    if key is not None:
        pg, fallback = key.pg_provider, key.model_dump()
    else:
        assert new_card is not None
        pg, fallback = new_card[1].pg_provider, customer
    if not supports(pg, "schedule"):
        raise unsupported(pg, "예약 결제(schedule)")
    plans = [_plan(call, Params(e, params.bad_status), pg, fallback) for e in entries]
    _check_unique(call, plans)
    if key is None:
        assert new_card is not None
        key = _issue(call, customer_uid, new_card, customer)
    return [_store(call, plan, key) for plan in plans]


def _issue(
    call: Call, customer_uid: str, new_card: tuple[CardInput, Channel], customer: dict[str, Any]
) -> BillingKey:
    card, channel = new_card
    try:
        return issue_billing_key(call.gateway, call.merchant, channel, customer_uid, card, customer)
    except CardRejected as exc:
        raise card_fault(Messages.BILLING_KEY_FAILED, exc) from None


def _store(call: Call, plan: Schedule, key: BillingKey) -> dict[str, Any]:
    plan.pg_provider, plan.pg_id = key.pg_provider, key.pg_id
    plan.customer_id = plan.customer_id or key.customer_id
    call.gateway.ledger(call.merchant).schedules[plan.merchant_uid] = plan
    call.gateway.touch()
    return plan.wire()


# -- revoke --------------------------------------------------------------------------
@routes.op("POST", "/subscribe/payments/unschedule")
def unschedule(call: Call) -> list[dict[str, Any]]:
    """Revoke pending schedules of a customer_uid and/or a merchant_uid list."""
    params = call.params
    customer_uid = params.text("customer_uid")
    merchant_uids = params.strings("merchant_uid")
    if not customer_uid and not merchant_uids:
        raise params.fail(Messages.missing("customer_uid"))
    targets = [
        s for s in call.gateway.ledger(call.merchant).schedules.values()
        if s.schedule_status == "scheduled"
        and (not customer_uid or s.customer_uid == customer_uid)
        and (not merchant_uids or s.merchant_uid in merchant_uids)
    ]  # fmt: skip
    if not targets:
        raise ApiFault(200, Messages.NOTHING_TO_UNSCHEDULE, code=1)
    for schedule in targets:
        schedule.schedule_status = "revoked"
        schedule.revoked_at = call.now
    call.gateway.touch()
    return [s.wire() for s in targets]


# -- listings ------------------------------------------------------------------------
def _window(params: Params, names: tuple[str, ...]) -> tuple[int, int]:
    """``[from, to)`` read under the first spelling present; at most 3 months wide."""
    values = []
    for pair in (names[0::2], names[1::2]):
        name = next((n for n in pair if params.has(n)), pair[0])
        values.append(params.need_integer(name))
    start, end = values
    if end <= start:
        raise params.fail(Messages.invalid(names[1], f"{names[0]}보다 커야 합니다"))
    if end - start > MAX_WINDOW:
        raise params.fail("조회 기간은 최대 3개월까지 지정할 수 있습니다.")
    return start, end


def _listing(call: Call, schedules: list[Schedule], oldest_first: bool) -> dict[str, Any]:
    page = call.params.integer("page", default=1, minimum=1) or 1
    limit = call.params.integer("limit", default=20, minimum=1, maximum=1000) or 20
    ordered = sorted(schedules, key=lambda s: s.schedule_at, reverse=not oldest_first)
    return paged([s.wire() for s in ordered], page, limit)


def _matching(call: Call, window: tuple[int, int], status: str | None) -> list[Schedule]:
    start, end = window
    return [
        s for s in call.gateway.ledger(call.merchant).schedules.values()
        if start <= s.schedule_at < end and (status is None or s.schedule_status == status)
    ]  # fmt: skip


@routes.op("GET", "/subscribe/payments/schedule")
def list_schedules(call: Call) -> dict[str, Any]:
    """Schedules whose schedule_at is in ``[schedule_from, schedule_to)``, paged."""
    params = call.params
    window = _window(params, ("schedule_from", "schedule_to"))
    status = params.text("schedule_status", choices=STATUSES)
    oldest_first = params.text("sorting") == "scheduled"
    return _listing(call, _matching(call, window, status), oldest_first)


@routes.op("GET", "/subscribe/payments/schedule/customers/{customer_uid}")
def list_customer_schedules(call: Call) -> dict[str, Any]:
    """One customer_uid's schedules in a window, newest first (both query spellings, §12)."""
    params = call.params
    window = _window(params, ("from", "to", "schedule_from", "schedule_to"))
    name = "schedule-status" if params.has("schedule-status") else "schedule_status"
    status = params.text(name, choices=STATUSES)
    uid = call.path["customer_uid"]
    mine = [s for s in _matching(call, window, status) if s.customer_uid == uid]
    return _listing(call, mine, oldest_first=False)


# -- one schedule ------------------------------------------------------------------------
def _schedule(call: Call) -> Schedule:
    uid = call.path["merchant_uid"]
    found = call.gateway.ledger(call.merchant).schedules.get(uid)
    if found is None:
        raise ApiFault(404, f"예약결제 정보가 존재하지 않습니다. (merchant_uid: {uid})", code=1)
    return found


def _future(call: Call) -> int:
    at = call.params.need_integer("schedule_at")
    if at <= call.now:
        raise ApiFault(400, "schedule_at은 현재 시각 이후여야 합니다.", code=1)
    return at


def _rerunnable(schedule: Schedule) -> None:
    """Reschedule and retry accept only failed or revoked schedules."""
    failed = schedule.schedule_status == "executed" and schedule.payment_status == "failed"
    if not failed and schedule.schedule_status != "revoked":
        raise ApiFault(
            400, "실패했거나 취소된 예약결제만 다시 예약하거나 재시도할 수 있습니다.", code=1
        )


@routes.op("GET", "/subscribe/payments/schedule/{merchant_uid}")
def get_schedule(call: Call) -> dict[str, Any]:
    """One schedule by its merchant_uid."""
    return _schedule(call).wire()


@routes.op("PUT", "/subscribe/payments/schedule/{merchant_uid}")
def move_schedule(call: Call) -> dict[str, Any]:
    """Move a still pending schedule to another future time."""
    schedule = _schedule(call)
    at = _future(call)
    if schedule.schedule_status != "scheduled":
        raise ApiFault(400, "이미 실행되었거나 취소된 예약결제입니다.", code=1)
    schedule.schedule_at = at
    call.gateway.touch()
    return schedule.wire()


@routes.op("POST", "/subscribe/payments/schedule/{merchant_uid}/reschedule")
def reschedule(call: Call) -> dict[str, Any]:
    """Put a failed or revoked schedule back to ``scheduled`` at a future time."""
    schedule = _schedule(call)
    at = _future(call)
    _rerunnable(schedule)
    schedule.schedule_status = "scheduled"
    schedule.schedule_at = at
    schedule.executed_at = schedule.revoked_at = 0
    schedule.imp_uid = schedule.payment_status = schedule.fail_reason = None
    call.gateway.touch()
    return schedule.wire()


@routes.op("POST", "/subscribe/payments/schedule/{merchant_uid}/retry")
async def retry(call: Call) -> dict[str, Any]:
    """Run a failed or revoked schedule now; answers the Payment (check its status)."""
    schedule = _schedule(call)
    _rerunnable(schedule)
    key = find_key(call.gateway, call.merchant, schedule.customer_uid)
    if key is None:
        raise ApiFault(404, Messages.UNKNOWN_BUYER, code=1)
    payment = execute_schedule(call.gateway, call.merchant, schedule)
    assert payment is not None  # the key exists
    return await answer(call, payment, key)
