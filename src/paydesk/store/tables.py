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
    "confirm_decisions",
    "idempotency_keys",
    "jobs",
    "metadata",
    "order_items",
    "orders",
    "payments",
    "products",
    "refund_attempts",
    "refunds",
    "stock_holds",
    "webhook_inbox",
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
    Column("tax_free", Boolean, nullable=False, server_default=false()),  # 면세 (0004)
    Column("card_quota", JSON),  # installment months offered; null = the setting (0004)
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
    Column("tax_free", BigInteger),  # the tax-free part; null = none (0004)
    Column("vat_amount", BigInteger),  # explicit VAT; null = i'mport's 1/11 (0004)
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
    Column("state", String(16), nullable=False),  # core.refund_lifecycle.RefundState
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
    Index(None, "state", "run_at"),
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
