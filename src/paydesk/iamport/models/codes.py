"""Standard (KFTC) bank and card company codes, and the merchant's PG settings."""

from __future__ import annotations

from .wire import WireModel

__all__ = ["PgSetting", "StandardCode", "VbankHolder"]


class StandardCode(WireModel):
    """A KFTC code and the institution's name (``StandardCodeAnnotation``)."""

    code: str
    name: str


class PgSetting(WireModel):
    """One PG channel configured in the console (``PgSettingAnnotation``)."""

    pg_provider: str
    pg_id: str
    sandbox: bool = False
    type: str | None = None
    channel_name: str | None = None
    channel_key: str | None = None


class VbankHolder(WireModel):
    """The holder name of a bank account (``VbankHolderAnnotation``)."""

    bank_holder: str
