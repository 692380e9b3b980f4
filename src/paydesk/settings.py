"""Configuration of the merchant server, read from ``PAYDESK_*`` environment variables.

There is no module-level instance: ``bootstrap`` builds one ``Settings`` and
hands the pieces to whoever needs them. Secrets are ``SecretStr`` so they never
show up in logs or reprs.
"""

from __future__ import annotations

import re
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from .core.launch_rules import parse_offers

__all__ = ["DEFAULT_DATABASE_URL", "IAMPORT_JS_CDN", "IAMPORT_WEBHOOK_IPS", "Settings"]

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./var/paydesk.db"
#: i'mport's own browser SDK (V1).
IAMPORT_JS_CDN = "https://cdn.iamport.kr/v1/iamport.js"

#: The addresses i'mport sends webhooks from (official list, reference §5).
IAMPORT_WEBHOOK_IPS = ("52.78.100.19", "52.78.48.223", "52.78.5.241")

Networks = Annotated[tuple[IPv4Network | IPv6Network, ...], NoDecode]
Origins = Annotated[tuple[str, ...], NoDecode]

KIB = 1024
_ORIGIN = re.compile(
    r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?|https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?"
)
SECRET_KEY_MIN = 32
CardQuota = Annotated[tuple[Annotated[int, Field(ge=2, le=36)], ...] | None, NoDecode]


class Settings(BaseSettings):
    """Everything the server, the worker and the CLI can be told from outside."""

    # hide_input_in_errors: a refused secret must not be echoed into a log
    model_config = SettingsConfigDict(
        env_prefix="PAYDESK_", frozen=True, extra="ignore", hide_input_in_errors=True
    )

    database_url: str = DEFAULT_DATABASE_URL

    iamport_base_url: str = "https://api.iamport.kr"
    iamport_key: SecretStr | None = None
    iamport_secret: SecretStr | None = None
    imp_code: str | None = None  # "imp" + 8 digits, for IMP.init in the browser
    # The iamport.js the demo shop loads: unset = the one at PAYDESK_IAMPORT_BASE_URL
    # (the emulator's /v1/iamport.js), or i'mport's CDN when that is the real API.
    iamport_js_url: str | None = Field(default=None, pattern=r"^https?://\S+$")

    # Where i'mport and browsers reach us: confirm_url, notice_url, m_redirect_url.
    public_base_url: str = "http://127.0.0.1:8000"

    webhook_allowed_ips: Networks = Field(
        default=tuple(ip_network(ip) for ip in IAMPORT_WEBHOOK_IPS)
    )
    trusted_proxies: Networks = ()
    # Who may call /iamport/confirm. i'mport documents no source address for the
    # Confirm Process, so this is empty (no check) unless the operator knows better.
    confirm_allowed_ips: Networks = ()

    # Signs each order's confirm_url (and anything else the server must recognise
    # as its own). Required by `paydesk serve`; at least 32 characters.
    secret_key: SecretStr | None = Field(default=None, min_length=SECRET_KEY_MIN)

    # Largest request body per surface, in bytes: gateway callbacks (/iamport/*),
    # the merchant API (/api/*), and everything else.
    max_body_bytes_gateway: int = Field(default=64 * KIB, ge=1)
    max_body_bytes_api: int = Field(default=256 * KIB, ge=1)
    max_body_bytes_default: int = Field(default=64 * KIB, ge=1)

    # Origins (scheme://host[:port]) whose pages may call /api/orders and
    # /iamport/complete from the browser. Empty: no CORS at all.
    cors_origins: Origins = ()

    # The demo shop's writes (placing an order, storing an identity, a subscription):
    # per client address, a burst of this many, then shop_writes_per_minute.
    shop_write_burst: int = Field(default=20, ge=1)
    shop_writes_per_minute: float = Field(default=30.0, gt=0)

    sales_open: bool = True  # the kill switch: False refuses every confirm
    # FastAPI's native OpenTelemetry (spans and metrics to the configured providers). Off, it
    # costs nothing; on, every request first looks its providers up.
    opentelemetry: bool = False
    # A payment on an i'mport test channel (sandbox) moved no money; accept it as
    # paid only in development. Off, it reads as a failed attempt.
    accept_test_payments: bool = False
    confirm_group_commit: bool = True  # False: one transaction per confirm (baseline)
    confirm_batch_window_ms: float = Field(default=2.0, ge=0)
    confirm_batch_max: int = Field(default=256, ge=1)
    confirm_deadline_seconds: float = Field(default=6.0, gt=0, lt=10)
    # Admission at the front door (services.admission): a confirm is refused 429 at once
    # when those in flight would take longer than this to decide; always admitted below
    # the floor, never more in flight than the cap (per process).
    confirm_admit_wait_seconds: float = Field(default=0.25, gt=0, lt=10)
    confirm_admit_floor: int = Field(default=256, ge=1)
    confirm_max_in_flight: int = Field(default=2000, ge=1)
    order_ttl_seconds: int = Field(default=1800, gt=0)
    hold_check_after_seconds: int = Field(default=120, gt=0)
    # The worker's reconciliation sweep against i'mport's listings (0: never).
    reconcile_every_seconds: int = Field(default=600, ge=0)

    # -- virtual accounts (services.virtual_accounts) ---------------------------------
    # A new account's deadline (window and REST) when none is asked for; at most 30 days.
    vbank_due_seconds: int = Field(default=3 * 86400, gt=0, le=30 * 86400)
    # An unpaid account keeps its hold this long past its deadline (late bank notices).
    vbank_expiry_grace_seconds: int = Field(default=3600, ge=0)
    vbank_revoke_on_expiry: bool = True  # also revoke it at i'mport (no late deposit lands)
    vbank_holder: str | None = Field(default=None, max_length=16)  # the holder name shown
    vbank_pg: str | None = None  # the PG of REST issuance ("nice", "nice.MID", ...)
    vbank_channel_key: str | None = None
    inicis_pg_api_key: SecretStr | None = None  # KG Inicis' key for its vbank calls
    # E-mail of the issued account to the buyer; off while smtp_host is unset.
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, gt=0, lt=65536)
    smtp_sender: str = "paydesk@localhost"
    smtp_sender_name: str | None = None
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    # Card options of request_pay (README "Card"). Installment months the card window
    # offers (display.card_quota): "" = the PG's own offer, "0" = lump sum only,
    # "2,3,6" = lump sum or those; a product's own card_quota wins.
    card_quota: CardQuota = None
    # The merchant app's URL scheme (app_scheme), for the return from a card/bank app
    # inside an iOS WebView: "myapp" or "myapp://path?query".
    app_scheme: str | None = Field(
        default=None, max_length=200, pattern=r"^[a-zA-Z][\w+.-]*(://.*)?$"
    )
    # What the shop offers, for `paydesk doctor`'s channel and PG-rule checks: "pg:method"
    # pairs ("html5_inicis:card, kcp:phone, nice:vbank, nice:billing, kcp:escrow"); unset =
    # the PGs and methods its orders and billing keys have used.
    shop_methods: str | None = None
    # State the VAT (1/11 of the taxable part) as vat_amount in request_pay, on the PGs that
    # take one (nice, html5_inicis, welcome, nice_v2, tosspay_v2); refunds then carry it too.
    explicit_vat: bool = False

    # The admin console (/admin): a session lasts at most admin_session_hours, and ends
    # after admin_idle_minutes without a request; at most admin_login_max_failures failed
    # logins per username and per address within admin_login_window_seconds.
    admin_session_hours: float = Field(default=12.0, gt=0, le=24 * 30)
    admin_idle_minutes: float = Field(default=30.0, gt=0)
    admin_login_max_failures: int = Field(default=5, ge=1)
    admin_login_window_seconds: int = Field(default=900, ge=1)

    @field_validator("shop_methods")
    @classmethod
    def _offers(cls, value: str | None) -> str | None:
        """Refuse a malformed list at start-up rather than in the doctor."""
        if value is not None:
            parse_offers(value)
        return value

    @field_validator("card_quota", mode="before")
    @classmethod
    def _months(cls, value: object) -> object:
        """``"2,3,6"`` (``"0"`` = lump sum only, ``""`` = unset) from the environment."""
        if isinstance(value, str):
            if not value.strip():
                return None
            months = [int(part) for part in value.split(",") if part.strip()]
            return tuple(sorted({m for m in months if m != 0}))
        return value

    # The worker (and the web app's inline jobs): a claimed job's lease, renewed by
    # a heartbeat every third of it; how many jobs one worker runs at once; on
    # SIGTERM, how long jobs in hand may take before they are released.
    job_lease_seconds: float = Field(default=20.0, ge=1)
    # How long the journal of i'mport calls (the order timeline) keeps a call.
    call_journal_days: int = Field(default=30, ge=1, le=3650)
    worker_concurrency: int = Field(default=4, ge=1, le=256)
    worker_grace_seconds: float = Field(default=10.0, ge=0)
    # How many stored webhooks' jobs one server process runs itself, after answering;
    # the worker takes the rest (0: all of them).
    webhook_inline_jobs: int = Field(default=8, ge=0, le=256)

    # -- operations ------------------------------------------------------------------
    # Logs: "text" for people, "json" (one object a line) for collectors; the level of the
    # root logger. Secrets and buyer data are masked at every level (paydesk.logs).
    log_format: Literal["text", "json"] = "text"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    # Who may scrape /metrics: a listed address (behind PAYDESK_TRUSTED_PROXIES, the client
    # they name), or anyone sending "Authorization: Bearer <PAYDESK_METRICS_TOKEN>".
    metrics_allowed_ips: Networks = Field(
        default=(ip_network("127.0.0.1/32"), ip_network("::1/128"))
    )
    metrics_token: SecretStr | None = Field(default=None, min_length=16)
    # On SIGTERM, how long `paydesk serve` lets requests in flight finish before it stops.
    shutdown_grace_seconds: int = Field(default=30, ge=1)

    @field_validator("log_level", mode="before")
    @classmethod
    def _level(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator(
        "webhook_allowed_ips",
        "trusted_proxies",
        "confirm_allowed_ips",
        "metrics_allowed_ips",
        mode="before",
    )
    @classmethod
    def _networks(cls, value: object) -> object:
        """Accept ``"1.2.3.4, 10.0.0.0/8"`` from the environment as well as lists."""
        if isinstance(value, str):
            return tuple(ip_network(part.strip()) for part in value.split(",") if part.strip())
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins(cls, value: object) -> object:
        """``"https://shop.example.com, http://localhost:3000"``; each must be an origin."""
        parts = value.split(",") if isinstance(value, str) else value
        if not isinstance(parts, list | tuple):
            return value
        origins = tuple(str(part).strip().rstrip("/") for part in parts if str(part).strip())
        for origin in origins:
            if not _ORIGIN.fullmatch(origin):
                raise ValueError(f"not an origin (scheme://host[:port]): {origin!r}")
        return origins

    def confirm_url(self) -> str:
        return self.public_base_url.rstrip("/") + "/iamport/confirm"

    def iamport_js(self) -> str:
        """The ``<script src>`` of ``iamport.js`` for the shop's pages."""
        if self.iamport_js_url:
            return self.iamport_js_url
        base = self.iamport_base_url.rstrip("/")
        if base == "https://api.iamport.kr":
            return IAMPORT_JS_CDN
        return base + "/v1/iamport.js"

    def notice_url(self) -> str:
        return self.public_base_url.rstrip("/") + "/iamport/webhook"
