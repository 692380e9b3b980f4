"""Which PG channel an API call means: ``channel_key`` (newest spec) or ``pg`` (older clients).

The newest spec marks ``channel_key`` required on ``POST /vbanks``, the
external receipts and the OTP certification; clients written earlier send
``pg`` as ``"provider"`` or ``"provider.MID"`` instead (reference §2).  Both
are honoured: a key must name one of the merchant's channels of the right
kind, a ``pg`` prefers an exact provider match and otherwise falls back to the
merchant's default channel, as ``Merchant.pick`` documents for the platform.
"""

from __future__ import annotations

from collections.abc import Sequence

from .errors import Messages
from .merchants import Channel, ChannelType, Merchant
from .params import Params

__all__ = ["UNKNOWN_CHANNEL", "choose_channel"]

UNKNOWN_CHANNEL = "channel_key에 해당하는 채널 정보를 찾을 수 없습니다. ({key})"
NO_CHANNEL = "사용 가능한 PG 채널 정보를 찾을 수 없습니다."


def choose_channel(
    merchant: Merchant,
    params: Params,
    kinds: Sequence[ChannelType],
    *,
    required: bool = False,
) -> Channel:
    """The channel named by ``channel_key`` or ``pg`` among ``kinds`` (in preference order).

    Raises the params' ``ApiFault`` when the key is unknown, when neither is
    given and ``required``, or when the merchant has no channel of those kinds.
    """
    key = params.text("channel_key")
    if key:
        channel = merchant.channel(key)
        if channel is None or channel.type not in kinds:
            raise params.fail(UNKNOWN_CHANNEL.format(key=key))
        return channel
    pg = params.text("pg")
    if not pg and required:
        raise params.fail(Messages.missing("channel_key"))
    channel = _exact(merchant, pg, kinds) if pg else None
    channel = channel or merchant.pick(pg, kinds[0])
    if channel is None:
        raise params.fail(NO_CHANNEL)
    return channel


def _exact(merchant: Merchant, pg: str, kinds: Sequence[ChannelType]) -> Channel | None:
    provider, _, mid = pg.partition(".")
    for kind in kinds:
        for channel in merchant.channels:
            same_provider = channel.type == kind and channel.pg_provider == provider
            if same_provider and (not mid or channel.pg_id == mid):
                return channel
    return None
