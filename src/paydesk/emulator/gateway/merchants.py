"""Merchants the emulator knows: API credentials, PG channels and webhook settings.

The defaults are documented in the README so the demo and the tests can log in
without configuration.  ``load_merchants`` reads the same shape from JSON.

An agency merchant has sub-merchants (하위 상점, ``tiers``): it pays in their
name with ``IMP.agency(code, tier)`` in the window and with the ``Tier`` header
on the REST API, its own token either way.  Each sub-merchant keeps its own books
(payments, billing keys, schedules...), so a call sees the books of the tier it
names, or the agency's own without one.  ``as_tier`` gives the merchant as one of
its sub-merchants; ``book`` names the books a call reads and writes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, field_validator

__all__ = [
    "DEFAULT_MERCHANTS",
    "DELIVERY_PRESETS",
    "Channel",
    "DeliveryPolicy",
    "Merchant",
    "book_owner",
    "default_channels",
    "load_merchants",
]

ChannelType = Literal["payment", "api_payment", "certification"]

# PG codes with a window channel and/or an API (key-in / billing) channel by default.
_WINDOW_PGS = (
    "html5_inicis", "kcp", "kcp_billing", "uplus", "tosspayments", "nice", "nice_v2", "kicc",
    "kakaopay", "danal", "danal_tpay", "mobilians", "payco", "paypal", "paypal_v2", "eximbay",
    "naverpay", "naverco", "smilepay", "daou", "paymentwall", "tosspay", "tosspay_v2",
    "smartro", "smartro_v2", "settle", "settle_acc", "ksnet", "galaxia", "welcome", "chai",
    "bluewalnut", "jtnet", "alipay", "toss_brandpay", "kcp_quick",
)  # fmt: skip
_API_PGS = (
    "nice", "nice_v2", "kcp", "html5_inicis", "inicis", "daou", "tosspayments", "ksnet",
    "welcome", "settle", "paymentwall",
)  # fmt: skip
_CERT_PGS = ("danal", "inicis_unified", "kcp_v2", "inicis")


class Channel(BaseModel):
    """One PG setting (a console "channel")."""

    pg_provider: str
    pg_id: str
    type: ChannelType
    sandbox: bool = False
    channel_key: str
    channel_name: str | None = None

    def wire(self) -> dict[str, object]:
        return self.model_dump()


class DeliveryPolicy(BaseModel):
    """How webhooks reach this merchant (used by webhook delivery, ``delivery.courier``).

    Times are gateway-clock seconds except the timeouts (real seconds):
    first delivery connect 10 s / read 30 s, re-deliveries 15 s in total (§5).
    ``preset`` builds a named policy (``DELIVERY_PRESETS``).
    """

    @classmethod
    def preset(cls, name: str) -> DeliveryPolicy:
        """The named policy: ``once`` (the deterministic default) or ``realistic``."""
        try:
            return cls.model_validate(DELIVERY_PRESETS[name])
        except KeyError:
            known = ", ".join(DELIVERY_PRESETS)
            raise ValueError(f"unknown delivery preset {name!r} (known: {known})") from None

    mode: Literal["once", "retry"] = "once"
    max_retries: int = Field(default=5, ge=0)
    retry_interval: float = Field(default=60.0, ge=0)
    duplicate_probability: float = Field(default=0.0, ge=0, le=1)
    delay: float = Field(default=0.0, ge=0)
    jitter: float = Field(default=0.0, ge=0)
    order: Literal["before_redirect", "after_redirect", "any"] = "any"
    connect_timeout: float = Field(default=10.0, gt=0)
    read_timeout: float = Field(default=30.0, gt=0)
    retry_timeout: float = Field(default=15.0, gt=0)


#: Named delivery policies.  ``once``: one attempt at once, no duplicates — i'mport's
#: default and what a test needs to count deliveries.  ``realistic``: what a live
#: shop sees (§5 "duplicate deliveries are possible", "arrival order is not
#: guaranteed"): one webhook in four arrives twice, each up to 1.5 s late, so the
#: webhook lands before or after the browser's redirect/callback.  The demo
#: merchant uses it, so a merchant server without idempotency shows it in a
#: default run.
DELIVERY_PRESETS: dict[str, dict[str, object]] = {
    "once": {"mode": "once", "duplicate_probability": 0.0, "delay": 0.0, "jitter": 0.0,
             "order": "any"},
    "realistic": {"mode": "once", "duplicate_probability": 0.25, "delay": 0.0, "jitter": 1.5,
                  "order": "any"},
}  # fmt: skip


class Merchant(BaseModel):
    """A merchant account: identification code, REST credentials and settings."""

    imp_code: str
    imp_key: str
    imp_secret: str
    name: str = "paydesk demo shop"
    channels: list[Channel] = Field(default_factory=list)
    webhook_url: str | None = None
    webhook_content_type: Literal["json", "form"] = "json"
    delivery: DeliveryPolicy = Field(default_factory=DeliveryPolicy)

    @field_validator("delivery", mode="before")
    @classmethod
    def _named_delivery(cls, value: object) -> object:
        """``"delivery": "realistic"`` names a preset (merchants file, control API)."""
        return DeliveryPolicy.preset(value) if isinstance(value, str) else value

    #: The Confirm Process is enabled per merchant on request (§6): off unless asked for.
    confirm_enabled: bool = False
    #: Sub-merchants by tier code (3 uppercase letters or digits) and name.
    tiers: dict[str, str] = Field(default_factory=dict)
    #: The sub-merchant this merchant acts as (set by ``as_tier`` only; never read from a
    #: merchants file or shown).  A field, not a private attribute: ``book`` is read on
    #: every ledger access, and a private attribute costs a ``__getattr__`` each time.
    tier: str | None = Field(default=None, exclude=True, repr=False)

    @field_validator("tier")
    @classmethod
    def _no_tier_given(cls, value: str | None) -> str | None:
        if value is not None:
            raise ValueError("a merchant's sub-merchants are its `tiers`")
        return value

    @property
    def book(self) -> str:
        """The key of the books this merchant's calls use: ``imp_code``, or ``imp_code/TIER``."""
        tier = self.tier
        return self.imp_code if tier is None else f"{self.imp_code}/{tier}"

    def as_tier(self, tier: str) -> Merchant | None:
        """This merchant acting as its sub-merchant ``tier``; None if it has no such tier."""
        if tier not in self.tiers:
            return None
        return self.model_copy(update={"tier": tier})

    def channel(self, key: str) -> Channel | None:
        return next((c for c in self.channels if c.channel_key == key), None)

    def pick(self, pg: str | None, kind: ChannelType) -> Channel | None:
        """Resolve ``pg`` ("provider" or "provider.MID") to a channel of ``kind``.

        As on the real platform, an absent or unknown ``pg`` falls back to the
        merchant's default (first) channel of that kind.
        """
        of_kind = [c for c in self.channels if c.type == kind]
        if pg:
            provider, _, mid = pg.partition(".")
            for channel in of_kind:
                if channel.pg_provider == provider and (not mid or channel.pg_id == mid):
                    return channel
        return of_kind[0] if of_kind else None


def book_owner(book: str) -> tuple[str, str | None]:
    """The merchant's code and the tier (None: its own books) of a ``Merchant.book`` key."""
    imp_code, _, tier = book.partition("/")
    return imp_code, tier or None


def default_channels(prefix: str) -> list[Channel]:
    def make(pg: str, kind: ChannelType) -> Channel:
        short = {"payment": "win", "api_payment": "api", "certification": "cert"}[kind]
        return Channel(
            pg_provider=pg,
            pg_id=f"{prefix}{pg.replace('_', '')}"[:80],
            type=kind,
            channel_key=f"channel-key-{prefix}-{pg}-{short}",
            channel_name=f"{pg} ({kind})",
        )

    return (
        [make(pg, "payment") for pg in _WINDOW_PGS]
        + [make(pg, "api_payment") for pg in _API_PGS]
        + [make(pg, "certification") for pg in _CERT_PGS]
    )


DEFAULT_MERCHANTS: tuple[Merchant, ...] = (
    Merchant(
        imp_code="imp00000001",
        imp_key="demo_imp_key",
        imp_secret="demo_imp_secret",
        name="paydesk demo shop",
        channels=default_channels("demo"),
        tiers={"ABC": "demo tier"},
        confirm_enabled=True,
        delivery=DeliveryPolicy.preset("realistic"),
    ),
    Merchant(
        imp_code="imp00000002",
        imp_key="other_imp_key",
        imp_secret="other_imp_secret",
        name="second merchant",
        channels=default_channels("other"),
        confirm_enabled=True,
    ),
)


def load_merchants(path: Path) -> list[Merchant]:
    """Read merchants from a JSON file: a list of Merchant objects.

    A merchant given without ``channels`` gets the default channel set; the
    Confirm Process is off unless ``confirm_enabled`` is true (as live, where it
    is enabled on request); ``delivery`` is a policy object or a preset name.
    """
    raw = json.loads(path.read_text(encoding="utf-8"))
    merchants = [Merchant.model_validate(item) for item in raw]
    for merchant in merchants:
        if not merchant.channels:
            merchant.channels = default_channels(merchant.imp_code)
    return merchants
