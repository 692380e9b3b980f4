"""``Doctor.run`` against a running shop and the emulator, set up well and set up wrong.

Each automated check is shown passing (the shop as the e2e tests run it, a worker
having beaten) and failing on a deliberately misconfigured setup: a wrong secret,
a test channel in production, an unreachable webhook URL, the allow-list off, no
worker, a skewed clock. The probes must change nothing: no delivery stored, no
job queued, no order touched.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from paydesk.bootstrap import build_doctor, build_emulator
from paydesk.core.doctor_probe import PROBE_HEADER, sign_probe
from paydesk.core.launch_checklist import CHECKLIST, Status
from paydesk.iamport import AsyncIamport
from paydesk.services.doctor import DoctorReport
from paydesk.settings import IAMPORT_WEBHOOK_IPS
from paydesk.store.tables import confirm_decisions, jobs, orders, webhook_inbox
from tests.support.auth import TEST_SECRET_KEY
from tests.support.emulator import DEMO_KEY, DEMO_SECRET
from tests.support.servers import free_port, serve

from .harness import FAST_RETRY, Shop, shop_settings

pytestmark = pytest.mark.asyncio


async def diagnose(shop: Shop, production: bool = False, **changes: Any) -> DoctorReport:
    """Run the doctor over the shop's own settings, with ``changes``."""
    settings = shop_settings(shop.database.url.render_as_string(hide_password=False),
                             shop.emulator_url, shop.url, **changes)  # fmt: skip
    secret = settings.iamport_secret.get_secret_value() if settings.iamport_secret else ""
    client = AsyncIamport(DEMO_KEY, secret, base_url=settings.iamport_base_url,
                          retry=FAST_RETRY, timeout=5)  # fmt: skip
    checker, close = build_doctor(settings, clock=shop.clock, iamport=client)
    try:
        return await checker.run(production)
    finally:
        await close()


def finding(report: DoctorReport, key: str, check: str) -> tuple[Status, str]:
    found = next(r for r in report.results if r.item.key == key)
    return next((f.status, f.detail) for f in found.findings if f.check == check)


def result(report: DoctorReport, key: str) -> tuple[Status, str]:
    found = next(r for r in report.results if r.item.key == key)
    return found.status, found.detail


async def counts(shop: Shop) -> dict[str, int]:
    async with shop.database.reading() as uow:
        return {table.name: (await uow.connection.execute(select(func.count()).select_from(table)))
                .scalar_one() for table in (webhook_inbox, jobs, orders)}  # fmt: skip


async def test_a_healthy_shop_passes_every_automated_check_and_the_probes_change_nothing(
    shop: Shop,
) -> None:
    await shop.run_worker()  # the worker beats
    before = await counts(shop)
    report = await diagnose(shop)
    assert [r.item.key for r in report.results] == [i.key for i in CHECKLIST]
    for key in ("api_keys", "database", "worker", "clock", "pg_credentials", "webhook_200",
                "webhook_received", "webhook_updated", "vbank_bank_name", "reprocessing"):  # fmt: skip
        assert result(report, key)[0] is Status.PASS, (key, result(report, key))
    assert finding(report, "confirm_url", "probe") == (
        Status.PASS,
        "refuses an unknown order (404)",
    )
    assert finding(report, "m_redirect_url", "probe") == (
        Status.PASS,
        "the result page answers (404 for an unknown order)",
    )
    assert finding(report, "webhook_url", "probe") == (
        Status.PASS,
        "a synthetic delivery got 200 (nothing stored)",
    )
    # development: a private URL and no allow-list are warnings, not failures
    assert result(report, "webhook_url")[0] is Status.WARN
    assert "127.0.0.1 cannot be reached from the internet" in result(report, "webhook_url")[1]
    assert result(report, "ip_security")[0] is Status.WARN
    assert result(report, "window_opened")[0] is Status.MANUAL
    assert not report.failed and report.saved
    assert await counts(shop) == before
    async with shop.database.reading() as uow:
        refused = (await uow.connection.execute(select(confirm_decisions))).all()
    assert [(r.approved, r.reason) for r in refused] == [(False, "order not found")]
    assert refused[0].merchant_uid.startswith("doctor_probe_")
    stored = await shop.services.doctor.last_run() if shop.services.doctor else None
    assert stored is not None and stored.ran_at == report.ran_at and stored.status == "warn"
    assert [r["key"] for r in stored.results] == [i.key for i in CHECKLIST]


async def test_a_wrong_secret_fails_readably_and_skips_what_needs_i_mport(shop: Shop) -> None:
    report = await diagnose(shop, iamport_secret="not-the-secret")
    status, detail = result(report, "api_keys")
    assert status is Status.FAIL and "refused the key or secret (401)" in detail
    assert "not-the-secret" not in json.dumps(report.to_json())
    for key in ("clock", "pg_credentials", "test_mode"):
        assert result(report, key)[0] is Status.SKIPPED, key
    assert report.failed


async def test_an_unreachable_i_mport_fails_the_keys(shop: Shop) -> None:
    report = await diagnose(shop, iamport_base_url=f"http://127.0.0.1:{free_port()}")
    status, detail = result(report, "api_keys")
    assert status is Status.FAIL and "i'mport unreachable at http://127.0.0.1:" in detail


@pytest.fixture
def sandbox_emulator(tmp_path: Path) -> Iterator[str]:
    """An emulator whose demo merchant has a live card channel and a test phone channel."""
    channels = [
        {"pg_provider": "html5_inicis", "pg_id": "MOIlive01", "type": "payment",
         "sandbox": False, "channel_key": "live-card"},
        {"pg_provider": "danal", "pg_id": "A010002002", "type": "payment",
         "sandbox": True, "channel_key": "test-phone"},
    ]  # fmt: skip
    merchants = [{"imp_code": "imp00000001", "imp_key": DEMO_KEY, "imp_secret": DEMO_SECRET,
                  "channels": channels}]  # fmt: skip
    path = tmp_path / "merchants.json"
    path.write_text(json.dumps(merchants), encoding="utf-8")
    with serve(build_emulator(merchants_file=path)) as url:
        yield url


async def _with_gateway(shop: Shop, url: str, production: bool, **changes: Any) -> DoctorReport:
    settings = shop_settings(shop.database.url.render_as_string(hide_password=False),
                             url, shop.url, **changes)  # fmt: skip
    client = AsyncIamport(DEMO_KEY, DEMO_SECRET, base_url=url, retry=FAST_RETRY, timeout=5)
    checker, close = build_doctor(settings, clock=shop.clock, iamport=client)
    try:
        return await checker.run(production)
    finally:
        await close()


async def test_a_test_channel_fails_in_production_only(shop: Shop, sandbox_emulator: str) -> None:
    offered = {"shop_methods": "html5_inicis:card, danal:phone"}
    strict = await _with_gateway(shop, sandbox_emulator, True, **offered)
    status, detail = result(strict, "test_mode")
    assert status is Status.FAIL
    assert "danal: test channel in production" in detail and "html5_inicis: live" in detail
    assert result(strict, "pg_credentials")[0] is Status.PASS
    # danal cannot refund phone payments in part: the PG rule table says so
    assert result(strict, "phone_reviews") == (
        Status.WARN,
        "danal: phone payments can only be refunded in full",
    )
    relaxed = await _with_gateway(shop, sandbox_emulator, False, **offered)
    assert result(relaxed, "test_mode")[0] is Status.WARN
    live_only = await _with_gateway(shop, sandbox_emulator, True, shop_methods="html5_inicis:card")
    status, detail = result(live_only, "test_mode")
    assert status is Status.WARN and "test channels not offered: danal.A010002002" in detail
    missing = await _with_gateway(shop, sandbox_emulator, True, shop_methods="kcp:card")
    assert result(missing, "pg_credentials") == (
        Status.FAIL,
        "kcp: no channel with a MID at i'mport",
    )


async def test_an_unreachable_webhook_url_fails(shop: Shop) -> None:
    report = await diagnose(shop, public_base_url=f"http://127.0.0.1:{free_port()}")
    status, detail = result(report, "webhook_url")
    assert status is Status.FAIL and "/iamport/webhook unreachable" in detail
    assert result(report, "webhook_200")[0] is Status.SKIPPED
    assert result(report, "confirm_url")[0] is Status.FAIL
    assert result(report, "m_redirect_url")[0] is Status.FAIL


async def test_a_server_with_another_secret_key_refuses_the_probe(shop: Shop) -> None:
    report = await diagnose(shop, secret_key="another-secret-key-of-32-characters!!")
    status, detail = result(report, "webhook_200")
    assert status is Status.FAIL and "PAYDESK_SECRET_KEY differs" in detail
    assert finding(report, "confirm_url", "probe") == (Status.FAIL, "answered 403 forbidden")


async def test_the_allow_list_off_fails_in_production(shop: Shop) -> None:
    report = await diagnose(shop, production=True)
    status, detail = result(report, "ip_security")
    assert status is Status.FAIL and "the webhook allow-list is off" in detail
    assert finding(report, "ip_security", "off_list") == (
        Status.WARN,
        "this machine (127.0.0.1) may deliver: a refusal cannot be shown from here",
    )


@pytest.mark.parametrize(
    "shop_options", [{"webhook_allowed_ips": IAMPORT_WEBHOOK_IPS}], indirect=True
)
async def test_the_allow_list_on_refuses_the_doctor_and_passes(shop: Shop) -> None:
    report = await diagnose(shop, production=True, webhook_allowed_ips=IAMPORT_WEBHOOK_IPS)
    findings = {f.check: f for f in next(r for r in report.results
                                         if r.item.key == "ip_security").findings}  # fmt: skip
    assert findings["allow_list"].status is Status.PASS
    assert findings["off_list"].status is Status.PASS
    assert findings["off_list"].detail == "a delivery from 127.0.0.1 (off the list) got 403"
    assert findings["proxy"].status is Status.PASS
    # the signed probe still reaches the handler (it is no delivery: nothing is stored)
    assert result(report, "webhook_200")[0] is Status.PASS
    assert (await counts(shop))["webhook_inbox"] == 0


async def test_no_worker_heartbeat_fails(shop: Shop) -> None:
    report = await diagnose(shop)
    assert result(report, "worker") == (Status.FAIL, "no worker has ever beaten: none runs")
    await shop.run_worker()
    shop.clock.advance(120)
    status, detail = result(await diagnose(shop), "worker")
    assert status is Status.FAIL and detail.startswith("no worker alive (last beat 2 min")


async def test_a_skewed_clock_fails(shop: Shop) -> None:
    shop.clock.advance(600)  # our clock ten minutes ahead of i'mport's
    status, detail = result(await diagnose(shop), "clock")
    assert status is Status.FAIL and detail.endswith(" s ahead of i'mport")
    assert 599 <= int(detail.split()[0]) <= 601


async def test_a_forged_or_stale_probe_is_refused_and_stored_nowhere(shop: Shop) -> None:
    body = b'{"imp_uid": "imp_1", "merchant_uid": "m_1", "status": "paid"}'
    now = int(shop.clock.now().timestamp())
    marks = [sign_probe(b"some other key of thirty-two chars!", "delivery", now, body),
             sign_probe(TEST_SECRET_KEY.encode(), "delivery", now - 3600, body),
             sign_probe(TEST_SECRET_KEY.encode(), "delivery", now, body + b" "),
             "v1 delivery 1 x"]  # fmt: skip
    async with httpx.AsyncClient(base_url=shop.url) as http:
        for mark in marks:
            answer = await http.post("/iamport/webhook", content=body,
                                     headers={"content-type": "application/json",
                                              PROBE_HEADER: mark})  # fmt: skip
            assert answer.status_code == 403, mark
        good = sign_probe(TEST_SECRET_KEY.encode(), "delivery", now, body)
        answer = await http.post("/iamport/webhook", content=body,
                                 headers={"content-type": "application/json", PROBE_HEADER: good})  # fmt: skip
        assert answer.status_code == 200 and answer.json()["stored"] is False
    assert await counts(shop) == {"webhook_inbox": 0, "jobs": 0, "orders": 0}
