"""The schema, as SQLAlchemy Core tables (the migrations are the source of truth).

Conventions: money is an integer amount plus a currency column; instants are
``UtcDateTime``; i'mport names (``imp_uid``, ``merchant_uid``) where a column
holds one of theirs. Stock lives on the product row as three counters whose sum
only changes on a restock: ``available + held + sold``.

Lock order (to avoid deadlocks on PostgreSQL): products by ascending id, then
orders by ascending id, then anything else.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

from .types import Id, UtcDateTime

__all__ = [
    "api_keys",
    "billing_key_issuances",
    "billing_keys",
    "cash_receipts",
    "confirm_decisions",
    "customer_identities",
    "doctor_runs",
    "escrow_deliveries",
    "external_receipts",
    "gateway_calls",
    "idempotency_keys",
    "jobs",
    "metadata",
    "order_customers",
    "order_items",
    "orders",
    "payments",
    "plans",
    "product_age_gates",
    "products",
    "reconciliation_items",
    "reconciliations",
    "refund_attempts",
    "refunds",
    "staff_login_failures",
    "staff_sessions",
    "staff_users",
    "stock_holds",
    "subscription_charges",
    "subscriptions",
    "webhook_inbox",
    "worker_heartbeats",
]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _stamps() -> tuple[Column[object], Column[object]]:
    return (
        Column("created_at", UtcDateTime, nullable=False),
        Column("updated_at", UtcDateTime, nullable=False),
    )


products = Table(
    "products",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("sku", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("price", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("on_sale", Boolean, nullable=False),
    Column("stock_available", Integer, nullable=False),
    Column("stock_held", Integer, nullable=False),
    Column("stock_sold", Integer, nullable=False),
    *_stamps(),
    Column("tax_free", Boolean, nullable=False, server_default=false()),  # 면세 (0008)
    Column("card_quota", JSON),  # installment months offered; null = the setting (0008)
    CheckConstraint("price >= 0", name="price"),
    CheckConstraint("stock_available >= 0", name="available"),
    CheckConstraint("stock_held >= 0", name="held"),
    CheckConstraint("stock_sold >= 0", name="sold"),
)

orders = Table(
    "orders",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("merchant_uid", String(40), nullable=False, unique=True),
    Column("status", String(24), nullable=False),
    Column("name", String(40), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("paid_amount", BigInteger, nullable=False),
    Column("refunded_amount", BigInteger, nullable=False),
    Column("paid_currency", String(3), nullable=False),
    Column("imp_uid", String(32)),
    Column("holding", Boolean, nullable=False),
    Column("buyer", JSON, nullable=False),
    Column("pay_method", String(20)),
    Column("pg", String(40)),
    Column("expires_at", UtcDateTime, nullable=False),
    *_stamps(),
    Column("tax_free", BigInteger),  # the tax-free part; null = none (0008)
    Column("vat_amount", BigInteger),  # explicit VAT; null = i'mport's 1/11 (0004)
    Column("escrow", Boolean, nullable=False, server_default=false()),  # escrow asked (0013)
    Index(None, "status"),
)

order_items = Table(
    "order_items",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("order_id", ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
    Column("product_id", ForeignKey("products.id"), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price", BigInteger, nullable=False),
    CheckConstraint("quantity > 0", name="quantity"),
    Index(None, "order_id"),
)

stock_holds = Table(
    "stock_holds",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("order_id", ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
    Column("product_id", ForeignKey("products.id"), nullable=False),
    Column("imp_uid", String(32), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("state", String(12), nullable=False),  # held | sold | released
    *_stamps(),
    CheckConstraint("quantity > 0", name="quantity"),
    Index(None, "order_id", "state"),
    Index(None, "state", "created_at"),
)

payments = Table(
    "payments",
    metadata,
    Column("imp_uid", String(32), primary_key=True),
    Column("merchant_uid", String(40), nullable=False),
    Column("order_id", ForeignKey("orders.id")),
    Column("status", String(16), nullable=False),  # ready | paid | failed | cancelled | unknown
    Column("amount", BigInteger, nullable=False),
    Column("cancel_amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("pay_method", String(20)),
    Column("pg_provider", String(16)),
    Column("paid_at", UtcDateTime),
    Column("failed_at", UtcDateTime),
    Column("cancelled_at", UtcDateTime),
    Column("fail_reason", Text),
    Column("raw", JSON),  # the last Payment object i'mport returned
    Column("verified_at", UtcDateTime),
    *_stamps(),
    # migration 0002: lookups by approval number / PG transaction, the vbank issued
    Column("apply_num", String(20)),
    Column("pg_tid", String(64)),
    Column("vbank_code", String(16)),
    Column("vbank_name", String(40)),
    Column("vbank_num", String(32)),
    Column("vbank_holder", String(40)),
    Column("vbank_date", UtcDateTime),
    Index(None, "merchant_uid"),
    Index(None, "order_id"),
    Index(None, "apply_num"),
    Index(None, "pg_tid"),
)

refunds = Table(
    "refunds",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("order_id", ForeignKey("orders.id")),
    Column("imp_uid", String(32), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("checksum", BigInteger),
    Column("reason", Text, nullable=False),
    Column("state", String(24), nullable=False),  # core.refund_lifecycle.RefundState (0012)
    Column("cancellation_id", String(64), unique=True),
    Column("last_error", Text),
    *_stamps(),
    # migration 0002: auto (we owed it) | merchant (asked through the API) | external (seen at i'mport)
    Column("origin", String(16)),
    # migration 0003: the parts and the refund account sent with the cancel; who asked
    Column("tax_free", BigInteger),
    Column("vat_amount", BigInteger),
    Column("refund_holder", String(40)),
    Column("refund_bank", String(8)),
    Column("refund_account", String(32)),  # cleared once the refund is final
    Column("refund_tel", String(20)),
    Column("requested_by", String(64)),
    Column("attempts", Integer, nullable=False, server_default="0"),
    CheckConstraint("amount > 0", name="amount"),
    Index(None, "imp_uid"),
)

#: Every cancel we sent for a refund: what, the answer, and what it meant (migration 0003).
refund_attempts = Table(
    "refund_attempts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("refund_id", ForeignKey("refunds.id"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("checksum", BigInteger, nullable=False),
    Column("request", JSON, nullable=False),  # as sent, the refund account masked
    Column("response", JSON),
    Column("classification", String(24)),  # core.refund_lifecycle.Classification
    Column("error", Text),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    UniqueConstraint("refund_id", "number"),
)

webhook_inbox = Table(
    "webhook_inbox",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("received_at", UtcDateTime, nullable=False),
    Column("source_ip", String(45), nullable=False),
    Column("headers", JSON, nullable=False),
    Column("body", LargeBinary, nullable=False),  # verbatim, as delivered
    Column("imp_uid", String(32)),
    Column("merchant_uid", String(40)),
    Column("status", String(16)),
    Column("processed_at", UtcDateTime),
    Column("outcome", String(32)),
    Column("error", Text),
    # migration 0007: bytes received (a refused delivery keeps its size, not its body)
    Column("body_size", BigInteger),
    Index(None, "imp_uid"),
    Index(None, "processed_at"),
)

confirm_decisions = Table(
    "confirm_decisions",
    metadata,
    Column("imp_uid", String(32), primary_key=True),
    Column("merchant_uid", String(40), nullable=False),
    Column("order_id", ForeignKey("orders.id")),
    Column("approved", Boolean, nullable=False),
    Column("reason", String(40)),
    Column("request", JSON, nullable=False),
    Column("decided_at", UtcDateTime, nullable=False),
    Index(None, "order_id"),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(64), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("state", String(12), nullable=False),  # queued | running | done | dead
    Column("run_at", UtcDateTime, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("max_attempts", Integer, nullable=False),
    Column("locked_by", String(64)),
    Column("locked_until", UtcDateTime),
    Column("last_error", Text),
    Column("dedupe_key", String(128), unique=True),
    *_stamps(),
    Index(None, "state", "run_at", "id"),  # the claim's order, ties and all (0014)
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("scope", String(100), nullable=False),  # e.g. "POST /api/products"
    Column("key", String(255), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("scope", "key"),
)

#: One run of the reconciliation sweep and its drift report (migration 0004).
reconciliations = Table(
    "reconciliations",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("trigger", String(16), nullable=False),  # cli | worker
    Column("status", String(12), nullable=False),  # running | finished | failed
    Column("range_from", UtcDateTime, nullable=False),
    Column("range_to", UtcDateTime, nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    Column("checked", Integer, nullable=False),  # payments read from i'mport
    Column("counts", JSON, nullable=False),  # drift type -> items
    Column("error", Text),
    Index(None, "status", "range_to"),
)

#: A payment on which our books and i'mport disagreed, and what the sweep did (migration 0004).
reconciliation_items = Table(
    "reconciliation_items",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("reconciliation_id", ForeignKey("reconciliations.id"), nullable=False),
    Column("drift", String(24), nullable=False),  # core.drift.Drift
    Column("imp_uid", String(32), nullable=False),
    Column("merchant_uid", String(40), nullable=False),
    Column("order_id", ForeignKey("orders.id")),
    Column("iamport_status", String(16), nullable=False),
    Column("detail", JSON, nullable=False),
    Column("action", Text, nullable=False),
    Column("resolved", Boolean, nullable=False),  # False: a person must look at it
    Column("created_at", UtcDateTime, nullable=False),
    Index(None, "reconciliation_id"),
    Index(None, "drift", "imp_uid"),
)


# -- migration 0005: cash receipts, verified identities and the age gate, escrow deliveries


def _receipt_columns() -> tuple[Column[object], ...]:
    """What both kinds of cash receipt record; the identifier only masked (last 4 digits)."""
    return (
        Column("id", Id, primary_key=True, autoincrement=True),
        # the payment's imp_uid / the sale's merchant_uid while the receipt is live, else NULL:
        # at most one live receipt per payment or sale
        Column("live_key", String(40), unique=True),
        Column("state", String(12), nullable=False),  # core.receipts.ReceiptState
        Column("type", String(8), nullable=False),  # person | company
        Column("identifier_type", String(10), nullable=False),  # phone | business | card
        Column("identifier_masked", String(24), nullable=False),
        Column("currency", String(3), nullable=False),
        Column("amount", BigInteger),  # as i'mport issued it
        Column("vat", BigInteger),
        Column("tax_free", BigInteger),
        Column("apply_num", String(20)),
        Column("receipt_tid", String(64)),
        Column("receipt_url", Text),
        Column("applied_at", UtcDateTime),
        Column("cancelled_at", UtcDateTime),
        Column("last_error", Text),
        Column("requested_by", String(64)),
        *_stamps(),
    )


#: Cash receipts of i'mport payments (``/receipts/{imp_uid}``).
cash_receipts = Table(
    "cash_receipts",
    metadata,
    *_receipt_columns(),
    Column("imp_uid", String(32), nullable=False),
    Column("order_id", ForeignKey("orders.id")),
    Index(None, "imp_uid"),
    Index(None, "state", "created_at"),
)

#: Cash receipts of sales made outside i'mport (``/receipts/external/{merchant_uid}``): never
#: mixed with payments.
external_receipts = Table(
    "external_receipts",
    metadata,
    *_receipt_columns(),
    Column("merchant_uid", String(40), nullable=False),
    Column("name", String(40), nullable=False),
    Column("requested_amount", BigInteger, nullable=False),
    Column("pg", String(40)),
    Column("pay_method", String(8)),
    CheckConstraint("requested_amount > 0", name="requested_amount"),
    Index(None, "merchant_uid"),
    Index(None, "state", "created_at"),
)

#: A customer's verified identity (i'mport certification); CI/DI only as SHA-256.
customer_identities = Table(
    "customer_identities",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("customer_ref", String(64), nullable=False, unique=True),  # the shop's customer id
    Column("name", String(60)),
    Column("birth_date", Date),
    Column("phone", String(20)),
    Column("gender", String(8)),
    Column("foreigner", Boolean),
    Column("ci_hash", String(64)),
    Column("di_hash", String(64)),
    Column("adult", Boolean, nullable=False),
    Column("certification_imp_uid", String(32), nullable=False, unique=True),
    Column("pg_provider", String(40)),
    Column("certified_at", UtcDateTime),
    Column("deleted_at_iamport", UtcDateTime),
    *_stamps(),
    Index(None, "ci_hash"),
)

#: The minimum age a product requires (no row: no gate).
product_age_gates = Table(
    "product_age_gates",
    metadata,
    Column("product_id", ForeignKey("products.id"), primary_key=True),
    Column("min_age", Integer, nullable=False),
    *_stamps(),
    CheckConstraint("min_age > 0 AND min_age < 100", name="min_age"),
)

#: The customer an order was placed for, and the age it was checked against.
order_customers = Table(
    "order_customers",
    metadata,
    Column("order_id", ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True),
    Column("customer_id", ForeignKey("customer_identities.id"), nullable=False),
    Column("required_age", Integer),
    Column("created_at", UtcDateTime, nullable=False),
    Index(None, "customer_id"),
)

#: The delivery of an escrow payment, and what the buyer did (``Inicis.Escrow.Changed``).
escrow_deliveries = Table(
    "escrow_deliveries",
    metadata,
    Column("imp_uid", String(32), primary_key=True),
    Column("order_id", ForeignKey("orders.id")),
    Column("company", String(16)),
    Column("invoice", String(40)),
    Column("sent_at", UtcDateTime),
    Column("sender", JSON),
    Column("receiver", JSON),
    Column("applied_at", UtcDateTime),  # i'mport's registration time
    Column("status", String(24), nullable=False),  # core.escrow.EscrowStatus
    Column("status_code", String(4)),
    Column("status_changed_at", UtcDateTime),
    Column("denied_reason", Text),
    *_stamps(),
    Index(None, "order_id"),
)


# -- billing keys and subscriptions (migration 0006) ----------------------------------
#: What is charged how often; ``billing``: ``again`` (we charge) or ``schedule`` (i'mport does).
plans = Table(
    "plans",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(40), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("interval_unit", String(8), nullable=False),  # day | month
    Column("interval_count", Integer, nullable=False),
    Column("dunning_days", JSON, nullable=False),  # e.g. [1, 3, 7]
    Column("billing", String(12), nullable=False),  # again | schedule
    Column("active", Boolean, nullable=False),
    *_stamps(),
    CheckConstraint("amount > 0", name="amount"),
    CheckConstraint("interval_count > 0", name="interval_count"),
)

#: The billing key under each customer_uid: masked card metadata only, never card data.
billing_keys = Table(
    "billing_keys",
    metadata,
    Column("customer_uid", String(80), primary_key=True),
    Column("state", String(12), nullable=False),  # active | deleted
    Column("pg_provider", String(40)),
    Column("card_name", String(40)),
    Column("card_code", String(8)),
    Column("card_last4", String(4)),  # the last digits i'mport shows, if it shows them
    Column("issued_via", String(8), nullable=False),  # api | window
    Column("issued_at", UtcDateTime, nullable=False),
    Column("deleted_at", UtcDateTime),
    *_stamps(),
)

#: A billing key issued through the payment window: its merchant_uid, until verified.
billing_key_issuances = Table(
    "billing_key_issuances",
    metadata,
    Column("merchant_uid", String(40), primary_key=True),
    Column("customer_uid", String(80), nullable=False),
    Column("state", String(12), nullable=False),  # open | issued | failed
    Column("imp_uid", String(32)),
    Column("fail_reason", Text),
    *_stamps(),
    Index(None, "customer_uid"),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("plan_id", ForeignKey("plans.id"), nullable=False),
    Column("customer_uid", String(80), nullable=False),
    Column("status", String(16), nullable=False),  # core.subscriptions.SubscriptionStatus
    Column("period", Integer, nullable=False),
    Column("anchor", UtcDateTime),
    Column("cycles", Integer, nullable=False),
    Column("next_charge_at", UtcDateTime),
    Column("failures", Integer, nullable=False),
    Column("dunning_since", UtcDateTime),
    Column("cancel_at_period_end", Boolean, nullable=False),
    Column("cancelled_at", UtcDateTime),
    Column("last_error", Text),
    *_stamps(),
    Index(None, "status", "next_charge_at"),
    Index(None, "customer_uid"),
)

#: Every attempt to charge a subscription's period, each under its own merchant_uid.
subscription_charges = Table(
    "subscription_charges",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("subscription_id", ForeignKey("subscriptions.id"), nullable=False),
    Column("period", Integer, nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("merchant_uid", String(40), nullable=False, unique=True),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("via", String(12), nullable=False),  # again | schedule
    Column("state", String(12), nullable=False),  # core.subscriptions.ChargeState
    Column("imp_uid", String(32)),
    Column("fail_reason", Text),
    Column("due_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    *_stamps(),
    UniqueConstraint("subscription_id", "period", "attempt"),
    Index(None, "state"),
)


#: Merchant API keys: only a digest of each (migration 0007).
api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    Column("prefix", String(16), nullable=False, unique=True),  # public: finds the key
    Column("digest", String(64), nullable=False),  # SHA-256 of the whole key, never the key
    Column("scopes", String(100), nullable=False),  # space-separated, sorted
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
    Column("last_used_at", UtcDateTime),
)


#: Every exchange with i'mport and its outcome class (migration 0009): ids only, pruned.
gateway_calls = Table(
    "gateway_calls",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False),  # when the call ended
    Column("operation", String(64), nullable=False),  # e.g. payments.cancel
    Column("method", String(8), nullable=False),
    Column("path", String(255), nullable=False),
    Column("imp_uid", String(32)),
    Column("merchant_uid", String(40)),
    Column("customer_uid", String(80)),
    Column("outcome", String(12), nullable=False),  # ok | rejected | not_sent | unknown
    Column("code", Integer),  # i'mport's envelope code of a refusal
    Column("message", Text),  # truncated
    Column("error", String(40)),  # the client's error class
    Column("http_status", Integer),
    Column("duration_ms", Integer, nullable=False),
    Column("attempts", Integer, nullable=False),
    Index(None, "imp_uid"),
    Index(None, "merchant_uid"),
    Index(None, "at"),
)


#: Staff of the admin console: an argon2id hash of each password, never the password
#: (migration 0010).
staff_users = Table(
    "staff_users",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),  # lower case
    Column("password_hash", String(255), nullable=False),  # argon2id, PHC string
    Column("lang", String(2), nullable=False),  # ko | en
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_login_at", UtcDateTime),
)

#: Server-side sessions of the admin console: the SHA-256 of each token, never the token.
staff_sessions = Table(
    "staff_sessions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("token_digest", String(64), nullable=False, unique=True),
    Column("staff_id", ForeignKey("staff_users.id"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),  # per session, sent with every form
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False, index=True),
)

#: Failed logins within the rate limit's window (older ones are deleted as new ones come).
staff_login_failures = Table(
    "staff_login_failures",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False),  # as typed (lower case, cut to 64)
    Column("source", String(64), nullable=False),  # the client address (web.forwarding)
    Column("at", UtcDateTime, nullable=False),
    Index(None, "username", "at"),
    Index(None, "source", "at"),
    Index(None, "at"),
)


#: One run of ``paydesk doctor``: its overall status and each item's result (migration 0011).
doctor_runs = Table(
    "doctor_runs",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("ran_at", UtcDateTime, nullable=False),
    Column("production", Boolean, nullable=False),
    Column("status", String(8), nullable=False),  # the worst item status
    Column("results", JSON, nullable=False),
    Index(None, "ran_at"),
)


#: A worker process's last sign of life, renewed every few seconds (migration 0011).
worker_heartbeats = Table(
    "worker_heartbeats",
    metadata,
    Column("name", String(64), primary_key=True),  # role:host:pid, as it claims jobs
    Column("role", String(16), nullable=False),
    Column("host", String(64), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("seen_at", UtcDateTime, nullable=False),
    Column("stopped_at", UtcDateTime),
    Index(None, "seen_at"),
)
