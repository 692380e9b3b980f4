"""Cash receipts, for i'mport payments and for sales made elsewhere."""

from __future__ import annotations

from .wire import Amount, Timestamp, WireModel

__all__ = ["ExternalReceipt", "Receipt"]


class Receipt(WireModel):
    """A cash receipt issued for an i'mport payment (``ReceiptAnnotation``)."""

    imp_uid: str
    receipt_tid: str | None = None
    apply_num: str | None = None
    type: str | None = None
    amount: Amount = 0
    vat: Amount = 0
    receipt_url: str | None = None
    applied_at: Timestamp = None
    cancelled_at: Timestamp = None


class ExternalReceipt(WireModel):
    """A cash receipt for a sale outside i'mport (``ExternalReceiptAnnotation``)."""

    merchant_uid: str
    receipt_tid: str | None = None
    apply_num: str | None = None
    type: str | None = None
    amount: Amount = 0
    vat: Amount = 0
    receipt_url: str | None = None
    applied_at: Timestamp = None
    cancelled_at: Timestamp = None
