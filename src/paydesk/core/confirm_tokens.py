"""The per-order secret in ``confirm_url``: only i'mport, told it by us, can confirm an order.

Without it anyone who can guess a merchant_uid and invent an imp_uid could
POST a confirm and hold the order's stock. So the ``confirm_url`` we hand out
with each order carries ``token = HMAC-SHA256(server key, merchant_uid)``;
i'mport posts to that URL as given, and the confirm endpoint refuses a call
whose token does not match the merchant_uid in its body before anything is
held. The token is not a secret from the buyer — it is in the page's
``request_pay`` parameters — but it only confirms that buyer's own order.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

__all__ = ["confirm_token", "valid_confirm_token"]

_CONTEXT = b"paydesk confirm_url v1\x00"  # keeps these MACs apart from any other use of the key


def confirm_token(key: bytes, merchant_uid: str) -> str:
    """The token for ``merchant_uid`` (43 URL-safe characters)."""
    message = _CONTEXT + merchant_uid.encode("utf-8", "surrogatepass")
    mac = hmac.digest(key, message, hashlib.sha256)  # one-shot: a fifth of hmac.new's cost
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def valid_confirm_token(key: bytes, merchant_uid: str, token: str | None) -> bool:
    """Whether ``token`` was made by ``confirm_token`` for ``merchant_uid`` (constant time)."""
    if not token or not token.isascii():
        return False
    return hmac.compare_digest(confirm_token(key, merchant_uid), token)
