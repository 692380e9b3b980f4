"""Billing keys (``CustomerAnnotation``, ``SuperBillingKeyAnnotation``)."""

from __future__ import annotations

from pydantic import Field

from .wire import Timestamp, WireModel

__all__ = ["Customer", "CustomerBatch", "FailedChannel", "SucceededChannel"]


class SucceededChannel(WireModel):
    """A channel on which a super billing key was issued."""

    pg_provider: str
    pg_id: str
    card_name: str | None = None
    card_code: str | None = None
    card_number: str | None = None
    card_type: int | None = None
    inserted: Timestamp = None
    updated: Timestamp = None


class FailedChannel(WireModel):
    """A channel on which a super billing key could not be issued."""

    type: str
    message: str
    pg_provider: str
    pg_id: str


class Customer(WireModel):
    """A billing key stored under ``customer_uid`` (card data masked).

    A super billing key (issued on a channel group) has ``channel_group_id`` and
    the per-channel results instead of ``pg_provider``/``pg_id``.
    """

    customer_uid: str
    pg_provider: str | None = None
    pg_id: str | None = None
    sandbox: bool = False
    customer_id: str | None = None
    card_name: str | None = None
    card_code: str | None = None
    card_issuer_code: str | None = None
    card_issuer_name: str | None = None
    card_publisher_code: str | None = None
    card_publisher_name: str | None = None
    card_number: str | None = None
    card_type: int | None = None
    customer_name: str | None = None
    customer_tel: str | None = None
    customer_email: str | None = None
    customer_addr: str | None = None
    customer_postcode: str | None = None
    inserted: Timestamp = None
    updated: Timestamp = None
    channel_group_id: str | None = Field(default=None, alias="channelGroupId")
    succeeded_channels: list[SucceededChannel] = Field(
        default_factory=list, alias="succeededChannels"
    )
    failed_channels: list[FailedChannel] = Field(default_factory=list, alias="failedChannels")


class CustomerBatch(WireModel):
    """The answer of a multi-lookup of billing keys (207 = some were not found)."""

    found: list[Customer] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list)
    partial: bool = False
