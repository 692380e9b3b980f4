"""Who may call ``/iamport/confirm``: the order's signed ``confirm_url``, from an allowed source.

Two checks, both before anything is held or stored:

- the ``token`` query parameter must be the HMAC of the body's merchant_uid
  (``core.confirm_tokens``); the ``confirm_url`` of each order carries it;
- the sender must be on ``PAYDESK_CONFIRM_ALLOWED_IPS`` when that is set
  (i'mport documents no source address for confirm calls, so it is empty by
  default), with ``X-Forwarded-For`` believed only from trusted proxies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from ..core.confirm_tokens import confirm_token, valid_confirm_token
from ..settings import Settings
from .forwarding import Network, allowed

__all__ = ["ConfirmGuard"]


@dataclass(frozen=True)
class ConfirmGuard:
    """Signs confirm URLs and checks the calls made to them."""

    key: bytes
    confirm_url: str  # e.g. https://shop.example.com/iamport/confirm
    allow_list: Sequence[Network] = ()
    trusted_proxies: Sequence[Network] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> ConfirmGuard:
        """The guard ``settings`` describe; ``ValueError`` without ``PAYDESK_SECRET_KEY``."""
        if settings.secret_key is None:
            raise ValueError(
                "set PAYDESK_SECRET_KEY (32 characters or more, e.g. the output of "
                "`python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`): "
                "it signs each order's confirm_url"
            )
        key = settings.secret_key.get_secret_value().encode("utf-8")
        return cls(key, settings.confirm_url(), settings.confirm_allowed_ips,
                   settings.trusted_proxies)  # fmt: skip

    def __repr__(self) -> str:  # never show the key
        return f"ConfirmGuard(confirm_url={self.confirm_url!r}, allow_list={self.allow_list!r})"

    def url_for(self, merchant_uid: str) -> str:
        """The ``confirm_url`` to give i'mport for this order."""
        return f"{self.confirm_url}?{urlencode({'token': confirm_token(self.key, merchant_uid)})}"

    def source_allowed(self, source: str) -> bool:
        return allowed(source, self.allow_list)

    def token_valid(self, merchant_uid: str, token: str | None) -> bool:
        return valid_confirm_token(self.key, merchant_uid, token)
