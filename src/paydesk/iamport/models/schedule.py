"""Scheduled billing-key charges: what to schedule and what i'mport reports back."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .wire import Amount, InputAmount, Instant, Timestamp, WireModel, to_unix

__all__ = ["ScheduleEntry", "SchedulePage", "ScheduleResult"]


class ScheduleEntry(WireModel):
    """One charge to schedule (``ScheduleAnnotation``); extra PG fields are allowed."""

    merchant_uid: str
    schedule_at: Instant
    amount: InputAmount
    name: str
    currency: str = "KRW"
    tax_free: InputAmount | None = None
    vat_amount: InputAmount | None = None
    buyer_name: str | None = None
    buyer_email: str | None = None
    buyer_tel: str | None = None
    buyer_addr: str | None = None
    buyer_postcode: str | None = None
    custom_data: str | None = None
    notice_url: str | None = None

    def wire(self) -> dict[str, Any]:
        """The entry as i'mport expects it (``schedule_at`` in unix seconds)."""
        data = self.model_dump(exclude_none=True)
        data["schedule_at"] = to_unix(self.schedule_at)
        return data


class ScheduleResult(WireModel):
    """A scheduled charge and its state (``ScheduleResultAnnotation``).

    ``schedule_status``: ``scheduled`` → ``executed`` (then ``payment_status``
    ``paid``/``failed``/``cancelled``) or ``revoked``.  ``imp_uid`` stays None
    until it ran.
    """

    customer_uid: str | None = None
    merchant_uid: str
    imp_uid: str | None = None
    pg_provider: str | None = None
    pg_id: str | None = None
    customer_id: str | None = None
    schedule_at: Timestamp = None
    executed_at: Timestamp = None
    revoked_at: Timestamp = None
    amount: Amount = 0
    currency: str | None = None
    name: str | None = None
    buyer_name: str | None = None
    buyer_email: str | None = None
    buyer_tel: str | None = None
    buyer_addr: str | None = None
    buyer_postcode: str | None = None
    custom_data: str | None = None
    schedule_status: str | None = None
    payment_status: str | None = None
    fail_reason: str | None = None


class SchedulePage(WireModel):
    """One page of a schedule listing (0 = no such page)."""

    total: int = 0
    previous: int = 0
    next: int = 0
    schedules: list[ScheduleResult] = Field(default_factory=list, alias="list")
