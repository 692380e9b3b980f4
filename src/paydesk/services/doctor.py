"""The launch doctor: walk the service launch checklist, check what can be checked.

``Doctor.run(production)`` gathers the facts — i'mport's answers (getToken,
channels, bank codes), our own public URLs' answers to signed probes, the
database (schema, worker heartbeats, reconciliations, the job queue) — and lets
``core.launch_rules`` judge them, one ``ItemResult`` per item of
``core.launch_checklist.CHECKLIST``, in its order. Nothing it does changes the
shop: webhook probes are answered unstored, the confirm probe is refused (and
recorded as a refusal for ``doctor_probe_…``), the redirect probe only reads.

A check that cannot be made (i'mport unreachable, the database down) makes the
items that need it ``skipped`` with the reason, and never raises: whatever goes
wrong becomes a finding. Each run is stored (``doctor_runs``) when the database
allows; ``last_run`` is what the admin console's launch-checklist page shows.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from ipaddress import IPv4Network, IPv6Network
from typing import Any

from ..core.clock import Clock
from ..core.launch_checklist import CHECKLIST, Finding, ItemResult, Status, worst
from ..core.launch_rules import (
    Offer,
    ProbeSight,
    ProductQuota,
    allow_list_findings,
    capability_findings,
    channel_findings,
    proxy_findings,
    public_url_findings,
    quota_findings,
    skew_finding,
)
from ..iamport import IamportError, NotSent, Unauthorized
from ..store import UnitsOfWork
from ..store.doctor_runs import DoctorRunRecord
from .doctor_ports import Answer, GatewayCheck, SelfProbe, Unreachable

__all__ = ["Doctor", "DoctorConfig", "DoctorReport"]

log = logging.getLogger(__name__)

Network = IPv4Network | IPv6Network
OFFICIAL_BASE_URL = "https://api.iamport.kr"
#: A worker whose last beat is older than this is not counted as alive.
HEARTBEAT_STALE = timedelta(seconds=30)
#: A queued job due longer ago than this means nobody works the queue off.
OVERDUE_AFTER = timedelta(minutes=10)


@dataclass(frozen=True)
class DoctorConfig:
    """The settings the doctor judges (``bootstrap.build_doctor`` fills it from ``Settings``)."""

    iamport_base_url: str
    notice_url: str
    confirm_url: str
    m_redirect_url: str
    secret_key: bytes | None
    webhook_allowed_ips: Sequence[Network]
    trusted_proxies: Sequence[Network]
    confirm_allowed_ips: Sequence[Network]
    official_webhook_ips: Sequence[str]
    card_quota: tuple[int, ...] | None = None
    offers: tuple[Offer, ...] | None = None  # PAYDESK_SHOP_METHODS; None = from the orders
    vbank_pg: str | None = None
    reconcile_every_seconds: int = 600
    app_scheme: str | None = None
    smtp_host: str | None = None
    credentials_error: str | None = None  # why there is no i'mport client


@dataclass(frozen=True)
class DoctorReport:
    """One run: when, for which environment, and every item's result in checklist order."""

    ran_at: datetime
    production: bool
    results: tuple[ItemResult, ...]
    saved: bool = False  # stored in doctor_runs (False when the database was unreachable)

    @property
    def status(self) -> Status:
        """``fail`` if any item failed, else ``warn`` if any warned, else ``pass``."""
        statuses = {r.status for r in self.results}
        return worst(statuses & {Status.FAIL, Status.WARN}, Status.PASS)

    @property
    def failed(self) -> bool:
        return self.status is Status.FAIL

    def counts(self) -> dict[str, int]:
        """How many items stand at each status."""
        found = {status.value: 0 for status in Status}
        for result in self.results:
            found[result.status.value] += 1
        return found

    def to_json(self) -> dict[str, Any]:
        return {"ran_at": self.ran_at.isoformat(), "production": self.production,
                "status": self.status.value, "counts": self.counts(), "saved": self.saved,
                "results": [r.to_json() for r in self.results]}  # fmt: skip


@dataclass
class _Facts:
    """What one run has learnt so far, item key → findings."""

    production: bool
    findings: dict[str, list[Finding]] = field(default_factory=dict)

    def add(self, key: str, *found: Finding) -> None:
        self.findings.setdefault(key, []).extend(found)

    def skip(self, keys: Iterable[str], why: str) -> None:
        for key in keys:
            self.add(key, Finding("prerequisite", Status.SKIPPED, why))


class Doctor:
    """Runs the launch checklist against this installation."""

    def __init__(
        self,
        database: UnitsOfWork,
        clock: Clock,
        gateway: GatewayCheck | None,
        probe: SelfProbe,
        config: DoctorConfig,
        head: Callable[[], str],
    ) -> None:
        """``gateway`` None: no i'mport credentials (``config.credentials_error`` says why);
        ``head``: the schema revision the code needs (``store.migrate.head``)."""
        self._db = database
        self._clock = clock
        self._gateway = gateway
        self._probe = probe
        self._config = config
        self._head = head

    async def run(self, production: bool) -> DoctorReport:
        """Check every automated item, list the manual ones; store the run if possible.

        Never raises for what it finds: a wrong secret or an unreachable server is a
        ``fail`` result with a readable detail.
        """
        facts = _Facts(production)
        ran_at = self._clock.now()
        await self._guarded(facts, "api_keys", self._iamport(facts))
        database_ok = await self._guarded(facts, "database", self._database(facts))
        if database_ok:
            for key, check in (("worker", self._worker), ("unverified", self._reconciled),
                               ("reprocessing", self._queue), ("installments", self._quotas)):  # fmt: skip
                await self._guarded(facts, key, check(facts))
        else:
            facts.skip(("worker", "unverified", "reprocessing", "webhook_updated"),
                       "needs the database")  # fmt: skip
            facts.add("installments", *quota_findings(self._config.card_quota, []))
        await self._guarded(facts, "webhook_url", self._webhook(facts))
        await self._guarded(facts, "confirm_url", self._confirm(facts))
        await self._guarded(facts, "m_redirect_url", self._redirect(facts))
        self._settings_only(facts)
        results = tuple(ItemResult(i, tuple(facts.findings.get(i.key, ()))) for i in CHECKLIST)
        report = DoctorReport(ran_at, production, results)
        return await self._save(report) if database_ok else report

    async def last_run(self) -> DoctorRunRecord | None:
        """The newest stored run (its time, production flag, status and JSON results)."""
        async with self._db.reading() as uow:
            return await uow.doctor_runs.last()

    async def _guarded(self, facts: _Facts, key: str, check: Awaitable[bool | None]) -> bool:
        """Run one check; a crash becomes a ``fail`` finding of ``key``, never an exception."""
        try:
            return bool(await check)
        except Exception as error:
            log.exception("doctor: the %s check crashed", key)
            facts.add(key, Finding("crash", Status.FAIL, f"check crashed: {type(error).__name__}"))
            return False

    # -- i'mport ---------------------------------------------------------------------
    async def _iamport(self, facts: _Facts) -> bool:
        needs = ("clock", "pg_credentials", "test_mode", "vbank_bank_name", "trans_bank_name")
        if self._gateway is None:
            why = self._config.credentials_error or "no i'mport credentials"
            facts.add("api_keys", Finding("token", Status.FAIL, why))
            facts.skip(needs, "needs valid i'mport credentials")
            await self._offers_only(facts)
            return False
        base = self._config.iamport_base_url.rstrip("/")
        if facts.production and base != OFFICIAL_BASE_URL:
            facts.add("api_keys", Finding("base_url", Status.FAIL,
                                          f"PAYDESK_IAMPORT_BASE_URL is {base}, not {OFFICIAL_BASE_URL}"))  # fmt: skip
        sent = self._clock.now()
        try:
            server_now = await self._gateway.server_now()
        except IamportError as error:
            facts.add("api_keys", Finding("token", Status.FAIL, _iamport_trouble(error, base)))
            facts.skip(needs, "needs a working getToken")
            await self._offers_only(facts)
            return False
        received = self._clock.now()
        facts.add("api_keys", Finding("token", Status.PASS, f"getToken answered at {base}"))
        local = sent + (received - sent) / 2
        facts.add("clock", skew_finding((local - server_now).total_seconds()))
        offers = await self._offers()
        self._capabilities(facts, offers)
        await self._channels(facts, offers)
        await self._banks(facts)
        return True

    async def _channels(self, facts: _Facts, offers: Sequence[Offer]) -> None:
        assert self._gateway is not None
        try:
            channels = await self._gateway.channels()
        except IamportError as error:
            failed = Finding(
                "channels", Status.FAIL, f"GET /users/pg failed: {type(error).__name__}"
            )
            facts.add("pg_credentials", failed)
            facts.add("test_mode", failed)
            return
        credentials, modes = channel_findings(offers, channels, facts.production)
        facts.add("pg_credentials", *credentials)
        facts.add("test_mode", *modes)

    async def _banks(self, facts: _Facts) -> None:
        assert self._gateway is not None
        try:
            banks = await self._gateway.bank_count()
        except IamportError as error:
            banks, why = 0, f"GET /banks failed: {type(error).__name__}"
        else:
            why = f"i'mport's bank code table: {banks} banks"
        for key in ("vbank_bank_name", "trans_bank_name"):
            facts.add(key, Finding("banks", Status.PASS if banks else Status.FAIL, why))

    async def _offers_only(self, facts: _Facts) -> None:
        self._capabilities(facts, await self._offers())

    async def _offers(self) -> tuple[Offer, ...]:
        """What the shop offers: PAYDESK_SHOP_METHODS, else what its orders and keys used."""
        if self._config.offers is not None:
            return self._config.offers
        found: set[Offer] = set()
        try:
            async with self._db.reading() as uow:
                found |= {Offer(pg, m) for pg, m in await uow.shop_profile.pay_choices()}
                found |= {Offer(pg, "billing") for pg in await uow.shop_profile.billing_pgs()}
        except Exception as error:  # the database item reports it
            log.info("doctor: offers not read from the database: %s", type(error).__name__)
        if self._config.vbank_pg:
            found.add(Offer(self._config.vbank_pg, "vbank"))
        return tuple(sorted(found, key=str))

    def _capabilities(self, facts: _Facts, offers: Sequence[Offer]) -> None:
        unknown = "not offered (PAYDESK_SHOP_METHODS, or no order used it yet)"
        for key, found in capability_findings(offers).items():
            if found:
                facts.add(key, *found)
            else:
                facts.skip([key], unknown)

    # -- the database --------------------------------------------------------------------
    async def _database(self, facts: _Facts) -> bool:
        head = self._head()
        try:
            async with self._db.reading() as uow:
                revision = await uow.schema.revision()
        except Exception as error:
            facts.add("database", Finding("reachable", Status.FAIL,
                                          f"unreachable: {type(error).__name__}"))  # fmt: skip
            return False
        if revision != head:
            at = f"at revision {revision}" if revision else "never migrated"
            facts.add("database", Finding("migrated", Status.FAIL,
                                          f"{at}; the code needs {head}: run `paydesk db upgrade`"))  # fmt: skip
            return False
        facts.add("database", Finding("migrated", Status.PASS, f"reachable, migrated to {head}"))
        return True

    async def _worker(self, facts: _Facts) -> None:
        now = self._clock.now()
        async with self._db.reading() as uow:
            beats = await uow.heartbeats.latest("worker")
        alive = [b for b in beats if b.stopped_at is None and now - b.seen_at <= HEARTBEAT_STALE]
        if alive:
            names = ", ".join(f"{b.host} pid {b.pid}" for b in alive[:5])
            found = Finding("heartbeat", Status.PASS, f"{len(alive)} worker(s) alive: {names}")
        elif beats:
            last = beats[0]
            how = "stopped" if last.stopped_at else "last beat"
            found = Finding(
                "heartbeat", Status.FAIL, f"no worker alive ({how} {_ago(now, last.seen_at)} ago)"
            )
        else:
            found = Finding("heartbeat", Status.FAIL, "no worker has ever beaten: none runs")
        facts.add("worker", found)
        facts.add("webhook_updated", Finding("worker", found.status,
                                             "a worker finishes what the server could not"
                                             if alive else "no worker to finish deliveries"))  # fmt: skip
        facts.add("webhook_updated", Finding("database", Status.PASS, "deliveries are stored"))

    async def _reconciled(self, facts: _Facts) -> None:
        every = self._config.reconcile_every_seconds
        now = self._clock.now()
        async with self._db.reading() as uow:
            last = await uow.reconciliations.last_finished()
            listed = await uow.reconciliations.listing(limit=1)
        newest = listed[0] if listed else None
        if newest is not None and newest.status == "failed":
            facts.add("unverified", Finding("reconcile", Status.WARN,
                                            f"the newest reconciliation failed: {newest.error}"))  # fmt: skip
        if every == 0:
            facts.add("unverified", Finding("reconcile", Status.WARN,
                                            "automatic reconciliation is off "
                                            "(PAYDESK_RECONCILE_EVERY_SECONDS=0)"))  # fmt: skip
        if last is None or last.finished_at is None:
            facts.add("unverified", Finding("reconcile", Status.WARN, "no reconciliation ran yet"))
            return
        age = now - last.finished_at
        late = every and age > timedelta(seconds=2 * every + 300)
        status = Status.FAIL if late else Status.PASS
        facts.add("unverified", Finding("reconcile", status,
                                        f"last reconciliation finished {_ago(now, last.finished_at)} ago"))  # fmt: skip

    async def _queue(self, facts: _Facts) -> None:
        now = self._clock.now()
        async with self._db.reading() as uow:
            counts = await uow.jobs.counts()
            overdue, oldest = await uow.jobs.overdue(now - OVERDUE_AFTER)
        if overdue:
            since = _ago(now, oldest) if oldest else "long"
            facts.add("reprocessing", Finding("queue", Status.FAIL,
                                              f"{overdue} job(s) overdue, the oldest by {since}: "
                                              "is a worker running?"))  # fmt: skip
        dead = counts.get("dead", 0)
        if dead:
            facts.add("reprocessing", Finding("dead_letters", Status.WARN,
                                              f"{dead} dead letter(s): `paydesk retries list`"))  # fmt: skip
        if not overdue and not dead:
            queued = counts.get("queued", 0)
            facts.add("reprocessing", Finding("queue", Status.PASS,
                                              f"the retry queue moves ({queued} queued, none dead)"))  # fmt: skip

    async def _quotas(self, facts: _Facts) -> None:
        async with self._db.reading() as uow:
            products = await uow.shop_profile.card_offers()
        quotas = [ProductQuota(p.name, p.price, p.currency, p.card_quota) for p in products]
        facts.add("installments", *quota_findings(self._config.card_quota, quotas))

    # -- our own URLs --------------------------------------------------------------------
    async def _webhook(self, facts: _Facts) -> None:
        config = self._config
        facts.add("webhook_url", *public_url_findings(config.notice_url, facts.production))
        facts.add("ip_security", *allow_list_findings(config.webhook_allowed_ips,
                                                      config.official_webhook_ips,
                                                      facts.production))  # fmt: skip
        if config.secret_key is None:
            why = "PAYDESK_SECRET_KEY is unset: the probe cannot be signed"
            facts.add("webhook_url", Finding("probe", Status.FAIL, why))
            facts.skip(("webhook_received", "webhook_200"), why)
            return
        now = int(self._clock.now().timestamp())
        try:
            answer = await self._probe.webhook(
                config.notice_url, config.secret_key, "delivery", now
            )
        except Unreachable as error:
            text = f"{config.notice_url} unreachable: {error}"
            facts.add("webhook_url", Finding("reachable", Status.FAIL, text))
            facts.skip(("webhook_received", "webhook_200", "ip_security"), "notice_url unreachable")
            return
        self._delivery_answer(facts, answer)
        if answer.status == 200 and answer.body.get("probe") == "delivery":
            sight = ProbeSight(str(answer.body.get("source", "")), str(answer.body.get("peer", "")),
                               bool(answer.body.get("forwarded")))  # fmt: skip
            facts.add("ip_security", *proxy_findings(sight, config.trusted_proxies,
                                                     facts.production))  # fmt: skip
            other = await self._probe.webhook(
                config.notice_url, config.secret_key, "allow-list", now
            )
            facts.add("ip_security", _refusal(other, sight.source))

    def _delivery_answer(self, facts: _Facts, answer: Answer) -> None:
        if answer.status == 200 and answer.body.get("probe") == "delivery":
            facts.add("webhook_url", Finding("probe", Status.PASS,
                                             "a synthetic delivery got 200 (nothing stored)"))  # fmt: skip
            facts.add("webhook_received", Finding("probe", Status.PASS,
                                                  "deliveries reach the server"))  # fmt: skip
            facts.add("webhook_200", Finding("probe", Status.PASS, "answered HTTP 200"))
            return
        text = f"a synthetic delivery got {answer.status}" + (
            " (the server's PAYDESK_SECRET_KEY differs)"
            if answer.status == 403 and "probe" in str(answer.body.get("detail", ""))
            else ""
        )
        for key in ("webhook_url", "webhook_received", "webhook_200"):
            facts.add(key, Finding("probe", Status.FAIL, text))

    async def _confirm(self, facts: _Facts) -> None:
        config = self._config
        facts.add("confirm_url", *public_url_findings(config.confirm_url, facts.production))
        if config.secret_key is None:
            facts.add("confirm_url", Finding("probe", Status.FAIL,
                                             "PAYDESK_SECRET_KEY is unset: no confirm_url can be signed"))  # fmt: skip
            return
        try:
            answer = await self._probe.confirm(config.confirm_url, config.secret_key)
        except Unreachable as error:
            facts.add("confirm_url", Finding("reachable", Status.FAIL,
                                             f"{config.confirm_url} unreachable: {error}"))  # fmt: skip
            return
        reason = answer.body.get("reason")
        if answer.status == 404 and reason == "order not found":
            found = Finding("probe", Status.PASS, "refuses an unknown order (404)")
        elif answer.status == 403 and reason == "forbidden" and config.confirm_allowed_ips:
            found = Finding(
                "probe",
                Status.WARN,
                "refused as forbidden: this machine is off "
                "PAYDESK_CONFIRM_ALLOWED_IPS, so the order check was not reached",
            )
        elif answer.status == 200:
            found = Finding(
                "probe", Status.FAIL, "APPROVED a confirm for an order that does not exist"
            )
        else:
            found = Finding(
                "probe", Status.FAIL, f"answered {answer.status} {reason or ''}".strip()
            )
        facts.add("confirm_url", found)

    async def _redirect(self, facts: _Facts) -> None:
        url = self._config.m_redirect_url
        facts.add("m_redirect_url", *public_url_findings(url, facts.production))
        try:
            answer = await self._probe.redirect(url)
        except Unreachable as error:
            facts.add(
                "m_redirect_url", Finding("reachable", Status.FAIL, f"{url} unreachable: {error}")
            )
            return
        ours = answer.status == 404 and answer.body.get("title") == "Order not found"
        found = (Finding("probe", Status.PASS, "the result page answers (404 for an unknown order)")
                 if ours else Finding("probe", Status.FAIL, f"answered {answer.status}, not paydesk's page"))  # fmt: skip
        facts.add("m_redirect_url", found)

    # -- settings alone ------------------------------------------------------------------
    def _settings_only(self, facts: _Facts) -> None:
        config = self._config
        if config.app_scheme:
            facts.add("app_scheme", Finding("setting", Status.MANUAL,
                                            f"app_scheme {config.app_scheme!r} is sent; pay once "
                                            "from the iOS app"))  # fmt: skip
        if not config.smtp_host:
            facts.add("vbank_send_delete", Finding("setting", Status.MANUAL,
                                                   "PAYDESK_SMTP_HOST is unset: issued accounts "
                                                   "are not e-mailed to buyers"))  # fmt: skip

    async def _save(self, report: DoctorReport) -> DoctorReport:
        payload = [r.to_json() for r in report.results]
        try:
            async with self._db.transaction() as uow:
                await uow.doctor_runs.add(report.ran_at, report.production,
                                          report.status.value, payload)  # fmt: skip
        except Exception as error:
            log.warning("doctor: the run was not stored: %s", type(error).__name__)
            return report
        return DoctorReport(report.ran_at, report.production, report.results, saved=True)


def _refusal(answer: Answer, source: str) -> Finding:
    if answer.status == 403:
        return Finding("off_list", Status.PASS, f"a delivery from {source} (off the list) got 403")
    if answer.status == 200 and answer.body.get("allowed"):
        return Finding(
            "off_list",
            Status.WARN,
            f"this machine ({source}) may deliver: a refusal cannot be shown from here",
        )
    return Finding("off_list", Status.FAIL, f"an off-list delivery got {answer.status}")


def _iamport_trouble(error: IamportError, base: str) -> str:
    if isinstance(error, Unauthorized):
        return "i'mport refused the key or secret (401): check PAYDESK_IAMPORT_KEY/SECRET"
    if isinstance(error, NotSent):
        return f"i'mport unreachable at {base}"
    return f"getToken failed: {type(error).__name__}"


def _ago(now: datetime, then: datetime) -> str:
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"
