"""The launch doctor's verdicts: what it saw in, findings out, no I/O.

``services.doctor`` gathers the facts (i'mport's channels and clock, our own
URLs' answers, the database); the decisions of what is fine, what is a warning
and what fails a production launch live here, so they are tested without any
of it. ``production`` makes the verdicts strict: a test channel, an allow-list
that is off, a URL i'mport cannot reach all fail instead of warning.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from urllib.parse import urlsplit

from .escrow import ESCROW_PGS
from .launch_checklist import Finding, Status
from .pg_rules import (
    BILLING_KEY_API_PGS,
    BILLING_KEY_WINDOW_PGS,
    PHONE_PARTIAL_CANCEL_PGS,
    REFUND_TEL_PGS,
    VBANK_REFUND_QUIET_HOURS,
    VBANK_REFUND_WITHOUT_CONTRACT_PGS,
)

__all__ = [
    "INSTALLMENT_MINIMUM",
    "ChannelView",
    "Offer",
    "ProbeSight",
    "ProductQuota",
    "allow_list_findings",
    "capability_findings",
    "channel_findings",
    "parse_offers",
    "proxy_findings",
    "public_url_findings",
    "quota_findings",
    "skew_finding",
]

Network = IPv4Network | IPv6Network

#: KRW: below it the card window offers a lump sum only (reference §7.2).
INSTALLMENT_MINIMUM = 50_000
#: Clock skew (seconds) past which it is a warning, and past which it fails.
SKEW_WARN, SKEW_FAIL = 10.0, 60.0
BILLING, ESCROW = "billing", "escrow"
_LOCAL_SUFFIXES = (".local", ".localhost", ".internal", ".lan", ".home.arpa", ".test")


@dataclass(frozen=True)
class Offer:
    """A PG (``provider`` or ``provider.MID``; None = i'mport's default channel) and a
    method the shop offers with it: a pay_method, ``billing`` (billing keys) or ``escrow``."""

    pg: str | None
    method: str

    @property
    def provider(self) -> str | None:
        return self.pg.partition(".")[0] if self.pg else None

    def __str__(self) -> str:
        return f"{self.pg or '(default channel)'}:{self.method}"


def parse_offers(text: str) -> tuple[Offer, ...]:
    """``"html5_inicis:card, kcp:phone, nice:billing"`` → offers; ``ValueError`` if malformed."""
    found: list[Offer] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        pg, sep, method = part.partition(":")
        if not sep or not pg.strip() or not method.strip():
            raise ValueError(f"not pg:method: {part!r}")
        found.append(Offer(pg.strip(), method.strip()))
    return tuple(found)


@dataclass(frozen=True)
class ChannelView:
    """One PG channel as i'mport lists it (``GET /users/pg``)."""

    pg_provider: str
    pg_id: str
    sandbox: bool
    type: str | None = None  # payment | api_payment | certification
    channel_key: str | None = None

    def __str__(self) -> str:
        return f"{self.pg_provider}.{self.pg_id}"


def _resolve(offer: Offer, channels: Sequence[ChannelView]) -> ChannelView | None:
    """The channel i'mport would use for ``offer`` (as ``pg`` resolves in request_pay)."""
    usable = [c for c in channels if c.type != "certification"]
    if offer.pg is None:
        return next((c for c in usable if c.type in (None, "payment")), None)
    provider, _, mid = offer.pg.partition(".")
    return next((c for c in usable if c.pg_provider == provider and mid in ("", c.pg_id)), None)


def channel_findings(
    offers: Sequence[Offer], channels: Sequence[ChannelView], production: bool
) -> tuple[list[Finding], list[Finding]]:
    """Findings for "Set PG Merchant ID / PG Secret." and "Set test mode to OFF."."""
    if not channels:
        none = Finding("channels", Status.FAIL, "i'mport lists no PG channel for this account")
        return [none], [none]
    credentials: list[Finding] = []
    test_mode: list[Finding] = []
    used: set[ChannelView] = set()
    for pg in sorted({o.pg or "" for o in offers}):
        offer = Offer(pg or None, "")
        channel = _resolve(offer, channels)
        label = offer.pg or "(default channel)"
        if channel is None or not channel.pg_id:
            credentials.append(
                Finding("mid", Status.FAIL, f"{label}: no channel with a MID at i'mport")
            )
            continue
        used.add(channel)
        credentials.append(Finding("mid", Status.PASS, f"{label}: MID {channel.pg_id}"))
        test_mode.append(_mode(label, channel, production))
    considered = used if offers else {c for c in channels if c.type in (None, "payment")}
    if not offers:
        test_mode += [_mode(str(c), c, production) for c in sorted(considered, key=str)]
        credentials.append(Finding("mid", Status.PASS,
                                   f"{len(considered)} window channel(s) with a MID"))  # fmt: skip
    idle = [c for c in channels if c.sandbox and c not in considered and c.type != "certification"]
    if idle and production:
        names = ", ".join(sorted(map(str, idle)))
        test_mode.append(Finding("idle", Status.WARN, f"test channels not offered: {names}"))
    return credentials, test_mode


def _mode(label: str, channel: ChannelView, production: bool) -> Finding:
    if not channel.sandbox:
        return Finding("live", Status.PASS, f"{label}: live")
    if production:
        return Finding("live", Status.FAIL, f"{label}: test channel in production")
    return Finding("live", Status.WARN, f"{label}: test channel (switch to live before launch)")


def skew_finding(seconds: float) -> Finding:
    """How far our clock is from i'mport's (``now`` of getToken, whole seconds)."""
    off = abs(seconds)
    text = f"{off:.0f} s {'ahead of' if seconds > 0 else 'behind'} i'mport"
    if off < SKEW_WARN:
        return Finding("skew", Status.PASS, f"within {SKEW_WARN:.0f} s of i'mport")
    return Finding("skew", Status.WARN if off < SKEW_FAIL else Status.FAIL, text)


def public_url_findings(url: str, production: bool) -> list[Finding]:
    """Whether i'mport (and buyers' phones) can reach ``url`` at all, by its form."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    bad = Status.FAIL if production else Status.WARN
    if parts.scheme not in ("http", "https") or not host:
        return [Finding("url", Status.FAIL, f"{url!r} is not an http(s) URL")]
    found: list[Finding] = []
    if parts.scheme != "https":
        found.append(Finding("https", bad, f"{url} is not https"))
    if _internal(host):
        found.append(Finding("public", bad, f"{host} cannot be reached from the internet"))
    if not found:
        found.append(Finding("public", Status.PASS, f"{parts.scheme}://{host} is a public address"))
    return found


def _internal(host: str) -> bool:
    try:
        address = ip_address(host.strip("[]"))
    except ValueError:
        return host == "localhost" or "." not in host or host.endswith(_LOCAL_SUFFIXES)
    return not address.is_global


def allow_list_findings(
    allow_list: Sequence[Network], official: Iterable[str], production: bool
) -> list[Finding]:
    """Whether the webhook allow-list is on, and holds i'mport's addresses and no others."""
    if not allow_list:
        status = Status.FAIL if production else Status.WARN
        return [Finding("allow_list", status, "the webhook allow-list is off: anyone can post")]
    found: list[Finding] = []
    missing = [ip for ip in official if not any(ip_address(ip) in n for n in allow_list)]
    if missing:
        text = f"i'mport's {', '.join(missing)} not on the allow-list: its deliveries get 403"
        found.append(Finding("allow_list", Status.FAIL, text))
    officials = [ip_network(ip) for ip in official]
    extra = [str(n) for n in allow_list if not any(_inside(n, o) for o in officials)]
    if extra:
        found.append(Finding("allow_list", Status.WARN, f"also allowed: {', '.join(extra)}"))
    if not found:
        found.append(Finding("allow_list", Status.PASS, "only i'mport's addresses may deliver"))
    return found


@dataclass(frozen=True)
class ProbeSight:
    """What our server saw of the doctor's probe: the sender it concluded, the direct peer,
    and whether an ``X-Forwarded-For`` line came with it."""

    source: str
    peer: str
    forwarded: bool


def proxy_findings(
    sight: ProbeSight, trusted_proxies: Sequence[Network], production: bool
) -> list[Finding]:
    """Whether the server sees real client addresses (trusted proxies set when behind one)."""
    bad = Status.FAIL if production else Status.WARN
    if _within(sight.source, trusted_proxies):
        return [Finding("proxy", bad, f"senders look like the proxy {sight.source}: it sends "
                                      "no X-Forwarded-For")]  # fmt: skip
    if sight.forwarded and not _within(sight.peer, trusted_proxies):
        return [Finding("proxy", bad, f"behind a proxy ({sight.peer} sent X-Forwarded-For) "
                                      "that is not in PAYDESK_TRUSTED_PROXIES")]  # fmt: skip
    how = "through a trusted proxy" if sight.forwarded else "directly"
    return [Finding("proxy", Status.PASS, f"the server sees real senders ({how})")]


def _inside(network: Network, other: Network) -> bool:
    return network.network_address in other and network.broadcast_address in other


def _within(address: str, networks: Sequence[Network]) -> bool:
    try:
        parsed = ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in networks)


@dataclass(frozen=True)
class ProductQuota:
    """A product on sale: its price, and its own installment months (None = the setting)."""

    name: str
    price: int
    currency: str
    card_quota: tuple[int, ...] | None


def quota_findings(
    setting: tuple[int, ...] | None, products: Sequence[ProductQuota]
) -> list[Finding]:
    """Whether the installment months the shop sends (display.card_quota) make sense."""
    months = "the PG's own offer" if setting is None else _months(setting)
    found = [Finding("setting", Status.PASS, f"PAYDESK_CARD_QUOTA: {months}")]
    for product in products:
        own = product.card_quota
        if own is None or not own:
            continue
        if any(m < 2 or m > 36 for m in own):
            found.append(Finding("product", Status.FAIL, f"{product.name}: months out of 2-36"))
        elif product.currency == "KRW" and product.price < INSTALLMENT_MINIMUM:
            found.append(Finding("product", Status.WARN, f"{product.name}: {_months(own)} set, but "
                                 f"{product.price:,} KRW is below the 50,000 KRW minimum"))  # fmt: skip
        elif setting is not None and not set(own) <= set(setting):
            extra = _months(tuple(sorted(set(own) - set(setting))))
            found.append(
                Finding(
                    "product",
                    Status.WARN,
                    f"{product.name} offers {extra} beyond PAYDESK_CARD_QUOTA",
                )
            )
    return found


def _months(months: tuple[int, ...]) -> str:
    return (
        "lump sum only"
        if not months
        else "lump sum or " + ", ".join(f"{m}" for m in months) + " months"
    )


def capability_findings(offers: Sequence[Offer]) -> Mapping[str, list[Finding]]:
    """Per checklist item, what the PG rule table says of the PGs and methods offered."""
    by_method: dict[str, list[Offer]] = {}
    for offer in offers:
        by_method.setdefault(offer.method, []).append(offer)
    return {
        "phone_reviews": [_phone(o) for o in by_method.get("phone", [])],
        "billing_key": [_billing(o) for o in by_method.get(BILLING, [])],
        "vbank_refund": [_vbank(o) for o in by_method.get("vbank", [])],
        "escrow": [_escrow(o) for o in by_method.get(ESCROW, [])],
    }


def _phone(offer: Offer) -> Finding:
    if offer.provider in PHONE_PARTIAL_CANCEL_PGS:
        note = " (KCP: on separate agreement)" if offer.provider == "kcp" else ""
        return Finding("phone_partial", Status.PASS, f"{offer.pg}: partial cancel possible{note}")
    return Finding(
        "phone_partial",
        Status.WARN,
        f"{offer.pg or 'default channel'}: phone payments can only be refunded in full",
    )


def _billing(offer: Offer) -> Finding:
    ways = [w for w, pgs in (("window", BILLING_KEY_WINDOW_PGS), ("REST API", BILLING_KEY_API_PGS))
            if offer.provider in pgs]  # fmt: skip
    if not ways:
        return Finding("billing", Status.FAIL, f"{offer.pg}: issues no billing keys")
    return Finding("billing", Status.PASS, f"{offer.pg}: billing keys via {' and '.join(ways)}")


def _vbank(offer: Offer) -> Finding:
    if offer.provider in VBANK_REFUND_WITHOUT_CONTRACT_PGS:
        return Finding(
            "vbank_refund",
            Status.PASS,
            f"{offer.pg}: refunds without a contract (fees not returned)",
        )
    notes = []
    if offer.provider in REFUND_TEL_PGS:
        notes.append("needs refund_tel")
    if offer.provider in VBANK_REFUND_QUIET_HOURS:
        notes.append("no refunds 23:00-06:00 KST")
    extra = f" ({'; '.join(notes)})" if notes else ""
    return Finding(
        "vbank_refund",
        Status.MANUAL,
        f"{offer.pg or 'default channel'}: needs the PG's vbank refund contract{extra}",
    )


def _escrow(offer: Offer) -> Finding:
    if offer.provider in ESCROW_PGS:
        return Finding("escrow", Status.PASS, f"{offer.pg}: deliveries registered through the API")
    return Finding(
        "escrow",
        Status.WARN,
        f"{offer.pg or 'default channel'}: register deliveries in the PG's admin",
    )
