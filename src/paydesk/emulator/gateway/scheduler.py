"""Runs scheduled billing-key charges when their time comes (reference §2.6, §5).

``run_due_schedules`` is the gateway's one ``Ticker``: work it does on its own
clock.  The app runs ``tick`` on a short real-time loop (``run_tickers``) and
the control API and console run it right after every clock move, so a test
can schedule, advance the clock and see the result at once.  Unlike ordinary failures, a failed scheduled charge is
announced by webhook, to the schedule's ``notice_url`` or the merchant's URL.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from typing import Any

from .charging import charge_card, key_channel
from .errors import Messages
from .gateway import Gateway
from .merchants import Merchant
from .records import BillingKey, Payment, Schedule

__all__ = ["TICKERS", "Ticker", "execute_schedule", "run_due_schedules", "run_tickers", "tick"]

log = logging.getLogger("paydesk.emulator")
Ticker = Callable[[Gateway], None]


def run_due_schedules(gateway: Gateway) -> None:
    """Execute every ``scheduled`` schedule whose ``schedule_at`` has come, oldest first."""
    now = gateway.now()
    for book, ledger in list(gateway.state.ledgers.items()):
        merchant = gateway.account(book)  # a sub-merchant's schedules charge its own books
        if merchant is None:
            continue
        due = sorted(
            (s for s in ledger.schedules.values()
             if s.schedule_status == "scheduled" and s.schedule_at <= now),
            key=lambda s: (s.schedule_at, s.created_at),
        )  # fmt: skip
        for schedule in due:
            execute_schedule(gateway, merchant, schedule)


def payment_fields(schedule: Schedule) -> dict[str, Any]:
    """The Payment fields a schedule carries into its charge."""
    return {
        "name": schedule.name,
        "currency": schedule.currency,
        "buyer_name": schedule.buyer_name,
        "buyer_email": schedule.buyer_email,
        "buyer_tel": schedule.buyer_tel,
        "buyer_addr": schedule.buyer_addr,
        "buyer_postcode": schedule.buyer_postcode,
        "custom_data": schedule.custom_data,
        "tax_free": schedule.tax_free,
        "vat_amount": schedule.vat_amount,
        "vat_explicit": schedule.vat_amount is not None,
        "notice_urls": [schedule.notice_url] if schedule.notice_url else [],
        "card_quota": schedule.card_quota,
        "customer_uid": schedule.customer_uid,
    }


def _refusal(
    gateway: Gateway, merchant: Merchant, schedule: Schedule, key: BillingKey
) -> str | None:
    """Why i'mport would not even send this charge to the PG, if it would not."""
    if key.deleted:
        return Messages.UNKNOWN_BUYER
    if gateway.has_paid_attempt(merchant, schedule.merchant_uid):
        return f"이미 결제가 완료된 merchant_uid({schedule.merchant_uid})입니다."
    return None


def _charge(gateway: Gateway, merchant: Merchant, schedule: Schedule, key: BillingKey) -> Payment:
    channel = key_channel(merchant, key)
    fields = payment_fields(schedule)
    refusal = _refusal(gateway, merchant, schedule, key)
    if refusal is None:
        return charge_card(
            gateway, merchant, channel, merchant_uid=schedule.merchant_uid,
            amount=schedule.amount, card=key, usage="payment.scheduled",
            announce_failure=True, **fields,
        )  # fmt: skip
    fields.pop("card_quota")
    payment = gateway.start_payment(
        merchant, channel, merchant_uid=schedule.merchant_uid, amount=schedule.amount,
        customer_uid_usage="payment.scheduled", **fields,
    )  # fmt: skip
    return gateway.fail(payment, refusal, announce=True)


def execute_schedule(gateway: Gateway, merchant: Merchant, schedule: Schedule) -> Payment | None:
    """Charge ``schedule`` now and record the outcome on it; returns the Payment.

    Returns None only when the billing key vanished from the books entirely
    (the schedule is then marked failed without a payment).
    """
    key = gateway.ledger(merchant).billing_keys.get(schedule.customer_uid)
    schedule.schedule_status = "executed"
    schedule.executed_at = gateway.now()
    gateway.touch()
    if key is None:
        schedule.payment_status = "failed"
        schedule.fail_reason = Messages.UNKNOWN_BUYER
        return None
    payment = _charge(gateway, merchant, schedule, key)
    schedule.imp_uid = payment.imp_uid
    schedule.payment_status = payment.status
    schedule.fail_reason = payment.fail_reason
    schedule.pg_provider = payment.pg_provider
    schedule.pg_id = payment.pg_id
    return payment


TICKERS: tuple[Ticker, ...] = (run_due_schedules,)


def tick(gateway: Gateway, tickers: Iterable[Ticker] = TICKERS) -> None:
    """Run every ticker once, then save; one failing ticker does not stop the others."""
    for ticker in tickers:
        try:
            ticker(gateway)
        except Exception:  # a broken ticker must not stop the others
            log.exception("emulator ticker %s failed", getattr(ticker, "__name__", ticker))
    gateway.flush()


async def run_tickers(gateway: Gateway, tickers: Iterable[Ticker], interval: float) -> None:
    """``tick`` every ``interval`` real seconds until cancelled."""
    while True:
        await asyncio.sleep(interval)
        tick(gateway, tickers)
