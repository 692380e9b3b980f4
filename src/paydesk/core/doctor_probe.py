"""The mark of the launch doctor's synthetic webhook deliveries.

``paydesk doctor`` posts to our own ``notice_url`` to see that it is reachable and
answers 200, and that a sender off the allow-list gets 403. Such a delivery must
change nothing, so it carries a header only the doctor can write: the HMAC, under
the server's ``PAYDESK_SECRET_KEY``, of its kind, its time and its body. The
webhook endpoint answers a valid one without storing anything; a forged or stale
one is refused (403) and not stored either — a real i'mport delivery never carries
the header.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Final

__all__ = ["MAX_AGE_SECONDS", "PROBE_HEADER", "PROBE_KINDS", "probe_kind", "sign_probe"]

PROBE_HEADER: Final = "X-Paydesk-Doctor"
#: ``delivery``: answer as a stored delivery would (200), skipping the allow-list;
#: ``allow-list``: answer as the allow-list decides for this sender (403 when off it).
PROBE_KINDS: Final = frozenset({"delivery", "allow-list"})
MAX_AGE_SECONDS: Final = 300
_CONTEXT = b"paydesk doctor probe v1\x00"  # keeps these MACs apart from the confirm tokens


def _mac(key: bytes, kind: str, timestamp: int, body: bytes) -> str:
    message = _CONTEXT + f"{kind}\x00{timestamp}\x00".encode() + hashlib.sha256(body).digest()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def sign_probe(key: bytes, kind: str, timestamp: int, body: bytes) -> str:
    """The header value marking ``body`` as a doctor probe of ``kind`` sent at ``timestamp``."""
    if kind not in PROBE_KINDS:
        raise ValueError(f"unknown probe kind {kind!r}")
    return f"v1 {kind} {timestamp} {_mac(key, kind, timestamp, body)}"


def probe_kind(key: bytes, header: str, body: bytes, now: int) -> str | None:
    """The kind of a valid probe header for ``body``; None if forged, malformed or stale."""
    parts = header.split(" ")
    if len(parts) != 4 or parts[0] != "v1" or parts[1] not in PROBE_KINDS:
        return None
    _, kind, stamp, mac = parts
    if not stamp.isdigit() or abs(now - int(stamp)) > MAX_AGE_SECONDS:
        return None
    expected = _mac(key, kind, int(stamp), body)
    return kind if mac.isascii() and hmac.compare_digest(expected, mac) else None
