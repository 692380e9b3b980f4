"""A pre-registered amount (``PaymentPrepareAnnotation``)."""

from __future__ import annotations

from .wire import Amount, WireModel

__all__ = ["Prepared"]


class Prepared(WireModel):
    """The amount the payment window will insist on for ``merchant_uid``.

    ``currency`` None means i'mport does not check it.
    """

    merchant_uid: str
    amount: Amount
    currency: str | None = None
