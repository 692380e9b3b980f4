"""The launch checklist (its order and words) and the doctor's verdicts, without I/O."""

from __future__ import annotations

import re
from ipaddress import ip_network
from pathlib import Path

import pytest

from paydesk.core.doctor_probe import probe_kind, sign_probe
from paydesk.core.launch_checklist import CHECKLIST, Finding, ItemResult, Kind, Status, item
from paydesk.core.launch_rules import (
    ChannelView,
    Offer,
    ProbeSight,
    ProductQuota,
    allow_list_findings,
    capability_findings,
    channel_findings,
    parse_offers,
    proxy_findings,
    public_url_findings,
    quota_findings,
    skew_finding,
)
from paydesk.settings import IAMPORT_WEBHOOK_IPS

# the project's reference material sits beside the repository (``../shared``), read-only
SEED = Path(__file__).resolve().parents[3].parent / "shared/seeds/service-launch-checklist.md"


def _checklist_lines(text: str) -> list[str]:
    """The seed's checkbox lines, unescaped, in order (plus the closing "test all" line)."""
    lines = []
    for raw in text.splitlines():
        match = re.match(r"\s*\* \[ \] (.*)", raw)
        if match:
            lines.append(match.group(1))
        elif "Test all test cases in the target payment environment." in raw:
            lines.append("Test all test cases in the target payment environment.")
    return [re.sub(r"&#x20;|\\", "", line).strip() for line in lines]


@pytest.mark.skipif(not SEED.exists(), reason="the checklist seed is not on this machine")
def test_the_items_are_the_checklist_in_its_own_order_and_words() -> None:
    ours = [i.text for i in CHECKLIST if i.section != "paydesk"]
    seed = _checklist_lines(SEED.read_text(encoding="utf-8"))
    # the phone item's note is on its own lines in the seed: compare its first sentence
    ours = [t.split(" (Partial cancellation")[0] for t in ours]
    assert ours == seed


def test_every_item_has_concrete_guidance_and_a_unique_key() -> None:
    assert len({i.key for i in CHECKLIST}) == len(CHECKLIST)
    for entry in CHECKLIST:
        assert len(entry.guidance) > 40, entry.key
    manual = {i.key for i in CHECKLIST if i.kind is Kind.MANUAL}
    assert {"card_reviews", "installments_display", "browser_matrix", "ios_info_plist",
            "app_scheme", "foreigner_check"} <= manual  # fmt: skip
    assert "LSApplicationQueriesSchemes" in item("ios_info_plist").guidance


def test_an_item_is_its_worst_finding() -> None:
    entry = item("webhook_url")
    found = (Finding("a", Status.PASS, "fine"), Finding("b", Status.FAIL, "broken"))
    result = ItemResult(entry, found)
    assert result.status is Status.FAIL and result.detail == "broken; fine"
    assert ItemResult(item("card_reviews")).status is Status.MANUAL
    assert ItemResult(entry).status is Status.SKIPPED
    assert result.to_json()["findings"][1] == {"check": "b", "status": "fail", "detail": "broken"}


def test_offers_parse_and_refuse_malformed_lists() -> None:
    assert parse_offers(" html5_inicis:card, kcp.T0001:phone ,") == (
        Offer("html5_inicis", "card"),
        Offer("kcp.T0001", "phone"),
    )
    assert Offer("kcp.T0001", "phone").provider == "kcp"
    for bad in ("card", "kcp:", ":card"):
        with pytest.raises(ValueError):
            parse_offers(bad)


CHANNELS = [
    ChannelView("html5_inicis", "MOI001", False, "payment"),
    ChannelView("kcp", "T0001", True, "payment"),
    ChannelView("nice", "nictest", True, "api_payment"),
    ChannelView("danal", "cert01", True, "certification"),
]


def test_offered_channels_must_exist_and_be_live_in_production() -> None:
    offers = [Offer("html5_inicis", "card"), Offer("kcp", "phone"), Offer("toss", "card")]
    credentials, modes = channel_findings(offers, CHANNELS, production=True)
    assert [(f.status, f.detail) for f in credentials] == [
        (Status.PASS, "html5_inicis: MID MOI001"),
        (Status.PASS, "kcp: MID T0001"),
        (Status.FAIL, "toss: no channel with a MID at i'mport"),
    ]
    assert [(f.status, f.detail) for f in modes] == [
        (Status.PASS, "html5_inicis: live"),
        (Status.FAIL, "kcp: test channel in production"),
        (Status.WARN, "test channels not offered: nice.nictest"),
    ]
    _, relaxed = channel_findings(offers, CHANNELS, production=False)
    assert relaxed[1].status is Status.WARN and len(relaxed) == 2


def test_without_known_offers_every_window_channel_counts_and_the_default_is_the_first() -> None:
    _, modes = channel_findings([], CHANNELS, production=True)
    assert {f.detail for f in modes if f.status is Status.FAIL} == {
        "kcp.T0001: test channel in production"
    }
    _, default = channel_findings([Offer(None, "card")], CHANNELS, production=True)
    assert default[0].detail == "(default channel): live"
    nothing, _ = channel_findings([], [], production=True)
    assert nothing[0].status is Status.FAIL


@pytest.mark.parametrize(("seconds", "status"), [(0.4, Status.PASS), (-9, Status.PASS),
                                                  (-30, Status.WARN), (61, Status.FAIL)])  # fmt: skip
def test_clock_skew(seconds: float, status: Status) -> None:
    assert skew_finding(seconds).status is status


def test_skew_says_which_way() -> None:
    assert skew_finding(-90).detail == "90 s behind i'mport"


@pytest.mark.parametrize(
    ("url", "production", "statuses"),
    [
        ("https://shop.example.com/iamport/webhook", True, [Status.PASS]),
        ("http://shop.example.com/iamport/webhook", True, [Status.FAIL]),
        ("https://127.0.0.1:8000/x", True, [Status.FAIL]),
        ("https://10.0.0.5/x", False, [Status.WARN]),
        ("http://localhost:8000/x", False, [Status.WARN, Status.WARN]),
        ("https://shop.internal/x", True, [Status.FAIL]),
        ("ftp://shop.example.com/x", True, [Status.FAIL]),
    ],
)
def test_public_urls(url: str, production: bool, statuses: list[Status]) -> None:
    assert [f.status for f in public_url_findings(url, production)] == statuses


def test_the_allow_list() -> None:
    official = [ip_network(ip) for ip in IAMPORT_WEBHOOK_IPS]
    assert allow_list_findings(official, IAMPORT_WEBHOOK_IPS, True)[0].status is Status.PASS
    off = allow_list_findings((), IAMPORT_WEBHOOK_IPS, True)
    assert off[0].status is Status.FAIL and "off" in off[0].detail
    assert allow_list_findings((), IAMPORT_WEBHOOK_IPS, False)[0].status is Status.WARN
    partial = allow_list_findings([*official[:2], ip_network("10.0.0.0/8")], IAMPORT_WEBHOOK_IPS,
                                  True)  # fmt: skip
    assert [(f.status, f.detail) for f in partial] == [
        (Status.FAIL, f"i'mport's {IAMPORT_WEBHOOK_IPS[2]} not on the allow-list: its deliveries "
                      "get 403"),
        (Status.WARN, "also allowed: 10.0.0.0/8"),
    ]  # fmt: skip


def test_trusted_proxies() -> None:
    proxies = [ip_network("10.0.0.2/32")]
    direct = ProbeSight("203.0.113.9", "203.0.113.9", forwarded=False)
    assert proxy_findings(direct, (), True)[0].status is Status.PASS
    hidden = ProbeSight("10.0.0.2", "10.0.0.2", forwarded=False)
    assert proxy_findings(hidden, proxies, True)[0].status is Status.FAIL
    untrusted = ProbeSight("10.0.0.2", "10.0.0.2", forwarded=True)
    assert "not in PAYDESK_TRUSTED_PROXIES" in proxy_findings(untrusted, (), True)[0].detail
    assert proxy_findings(untrusted, (), False)[0].status is Status.WARN
    through = ProbeSight("203.0.113.9", "10.0.0.2", forwarded=True)
    assert proxy_findings(through, proxies, True)[0].detail.endswith("(through a trusted proxy)")


def test_installment_offers() -> None:
    products = [
        ProductQuota("cheap", 30_000, "KRW", (2, 3)),
        ProductQuota("wide", 90_000, "KRW", (2, 3, 12)),
        ProductQuota("plain", 90_000, "KRW", None),
        ProductQuota("lump", 90_000, "KRW", ()),
    ]
    found = quota_findings((2, 3, 6), products)
    assert [(f.status, f.detail) for f in found] == [
        (Status.PASS, "PAYDESK_CARD_QUOTA: lump sum or 2, 3, 6 months"),
        (Status.WARN, "cheap: lump sum or 2, 3 months set, but 30,000 KRW is below the 50,000 "
                      "KRW minimum"),
        (Status.WARN, "wide offers lump sum or 12 months beyond PAYDESK_CARD_QUOTA"),
    ]  # fmt: skip
    assert quota_findings(None, [])[0].detail == "PAYDESK_CARD_QUOTA: the PG's own offer"
    assert quota_findings((), [])[0].detail == "PAYDESK_CARD_QUOTA: lump sum only"


def test_capabilities_from_the_pg_rule_table() -> None:
    offers = parse_offers("html5_inicis:phone, danal:phone, kcp:phone, nice:billing, "
                          "kcp_billing:billing, uplus:billing, tosspayments:vbank, "
                          "smartro:vbank, ksnet:vbank, kcp:escrow, kicc:escrow")  # fmt: skip
    found = {k: [(f.status, f.detail) for f in v] for k, v in capability_findings(offers).items()}
    assert found["phone_reviews"] == [
        (Status.PASS, "html5_inicis: partial cancel possible"),
        (Status.WARN, "danal: phone payments can only be refunded in full"),
        (Status.PASS, "kcp: partial cancel possible (KCP: on separate agreement)"),
    ]
    assert found["billing_key"] == [
        (Status.PASS, "nice: billing keys via REST API"),
        (Status.PASS, "kcp_billing: billing keys via window"),
        (Status.FAIL, "uplus: issues no billing keys"),
    ]
    assert found["vbank_refund"] == [
        (Status.PASS, "tosspayments: refunds without a contract (fees not returned)"),
        (Status.MANUAL, "smartro: needs the PG's vbank refund contract (needs refund_tel)"),
        (Status.MANUAL, "ksnet: needs the PG's vbank refund contract (no refunds 23:00-06:00 KST)"),
    ]
    assert found["escrow"] == [
        (Status.PASS, "kcp: deliveries registered through the API"),
        (Status.WARN, "kicc: register deliveries in the PG's admin"),
    ]
    assert capability_findings([])["phone_reviews"] == []


def test_probe_marks() -> None:
    key, body = b"k" * 32, b'{"imp_uid": "x"}'
    mark = sign_probe(key, "delivery", 1_000_000, body)
    assert probe_kind(key, mark, body, 1_000_100) == "delivery"
    assert probe_kind(key, mark, body, 1_000_301) is None  # stale
    assert probe_kind(b"o" * 32, mark, body, 1_000_000) is None  # another key
    assert probe_kind(key, mark, body + b" ", 1_000_000) is None  # another body
    assert probe_kind(key, mark.replace("delivery", "allow-list"), body, 1_000_000) is None
    for junk in ("", "v1", "v2 delivery 1000000 ab", "v1 delivery x ab", "v1 other 1000000 ab"):
        assert probe_kind(key, junk, body, 1_000_000) is None
    with pytest.raises(ValueError):
        sign_probe(key, "other", 1, body)
