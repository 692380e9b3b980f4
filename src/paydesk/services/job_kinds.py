"""The kinds of background work the merchant server leaves in the jobs table.

Services enqueue them in the same transaction as the state change that calls
for them; ``paydesk.jobs`` maps each kind to its handler. The hold check is
enqueued by the confirm desk (``services.confirm``) and reused by the sweep.
"""

from __future__ import annotations

from typing import Final

from .confirm import HOLD_CHECK_JOB

__all__ = ["AUTO_REFUND", "HOLD_CHECK", "PROCESS_WEBHOOK", "REVERIFY_PAYMENT"]

#: Verify and apply one stored webhook delivery; payload ``{"inbox_id"}``.
PROCESS_WEBHOOK: Final = "webhook.process"
#: Ask i'mport again about a payment we could not verify; ``{"imp_uid", "merchant_uid"}``.
REVERIFY_PAYMENT: Final = "payment.reverify"
#: Ask i'mport for the outcome of a payment stock is held for; ``{"imp_uid", "merchant_uid"}``.
HOLD_CHECK: Final = HOLD_CHECK_JOB
#: Make a refund we owe (a payment we cannot keep); ``{"refund_id"}``.
AUTO_REFUND: Final = "refund.auto"
