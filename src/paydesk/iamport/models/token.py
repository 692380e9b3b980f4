"""The getToken answer (``AuthAnnotation``)."""

from __future__ import annotations

from pydantic import Field

from .wire import Instant, WireModel

__all__ = ["Token"]


class Token(WireModel):
    """An access token, its expiry and i'mport's clock at issue time.

    Only ``expired_at - now`` is meaningful locally (see ``tokens.grant_for``).
    """

    access_token: str = Field(repr=False)
    expired_at: Instant
    now: Instant
