"""Initial schema: catalog, orders and holds, payments, refunds, webhook inbox,
confirm decisions, jobs (outbox) and idempotency keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
AT = sa.DateTime(timezone=True)


def _id() -> sa.Column[int]:
    return sa.Column("id", ID, primary_key=True, autoincrement=True)


def _stamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", AT, nullable=False),
        sa.Column("updated_at", AT, nullable=False),
    ]


def _fk(
    owner: str, name: str, target: str, *, nullable: bool = True, cascade: bool = False
) -> sa.Column[int]:
    """A foreign-key column named like the metadata's convention: fk_<table>_<column>_<target>."""
    referred = target.split(".")[0]
    fk = sa.ForeignKey(
        target, name=f"fk_{owner}_{name}_{referred}", ondelete="CASCADE" if cascade else None
    )
    return sa.Column(name, ID, fk, nullable=nullable)


def upgrade() -> None:
    _catalog_and_orders()
    _payments()
    _infrastructure()


def _catalog_and_orders() -> None:
    op.create_table(
        "products",
        _id(),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("on_sale", sa.Boolean(), nullable=False),
        sa.Column("stock_available", sa.Integer(), nullable=False),
        sa.Column("stock_held", sa.Integer(), nullable=False),
        sa.Column("stock_sold", sa.Integer(), nullable=False),
        *_stamps(),
        sa.CheckConstraint("price >= 0", name="ck_products_price"),
        sa.CheckConstraint("stock_available >= 0", name="ck_products_available"),
        sa.CheckConstraint("stock_held >= 0", name="ck_products_held"),
        sa.CheckConstraint("stock_sold >= 0", name="ck_products_sold"),
        sa.PrimaryKeyConstraint("id", name="pk_products"),
        sa.UniqueConstraint("sku", name="uq_products_sku"),
    )
    op.create_table(
        "orders",
        _id(),
        sa.Column("merchant_uid", sa.String(40), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("paid_amount", sa.BigInteger(), nullable=False),
        sa.Column("refunded_amount", sa.BigInteger(), nullable=False),
        sa.Column("paid_currency", sa.String(3), nullable=False),
        sa.Column("imp_uid", sa.String(32)),
        sa.Column("holding", sa.Boolean(), nullable=False),
        sa.Column("buyer", sa.JSON(), nullable=False),
        sa.Column("pay_method", sa.String(20)),
        sa.Column("pg", sa.String(40)),
        sa.Column("expires_at", AT, nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint("id", name="pk_orders"),
        sa.UniqueConstraint("merchant_uid", name="uq_orders_merchant_uid"),
    )
    op.create_index("ix_orders_status", "orders", ["status"])
    op.create_table(
        "order_items",
        _id(),
        _fk("order_items", "order_id", "orders.id", nullable=False, cascade=True),
        _fk("order_items", "product_id", "products.id", nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("quantity > 0", name="ck_order_items_quantity"),
        sa.PrimaryKeyConstraint("id", name="pk_order_items"),
    )
    op.create_index("ix_order_items_order_id", "order_items", ["order_id"])
    op.create_table(
        "stock_holds",
        _id(),
        _fk("stock_holds", "order_id", "orders.id", nullable=False, cascade=True),
        _fk("stock_holds", "product_id", "products.id", nullable=False),
        sa.Column("imp_uid", sa.String(32), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        *_stamps(),
        sa.CheckConstraint("quantity > 0", name="ck_stock_holds_quantity"),
        sa.PrimaryKeyConstraint("id", name="pk_stock_holds"),
    )
    op.create_index("ix_stock_holds_order_id_state", "stock_holds", ["order_id", "state"])
    op.create_index("ix_stock_holds_state_created_at", "stock_holds", ["state", "created_at"])


def _payments() -> None:
    op.create_table(
        "payments",
        sa.Column("imp_uid", sa.String(32), nullable=False),
        sa.Column("merchant_uid", sa.String(40), nullable=False),
        _fk("payments", "order_id", "orders.id"),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("cancel_amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("pay_method", sa.String(20)),
        sa.Column("pg_provider", sa.String(16)),
        sa.Column("paid_at", AT),
        sa.Column("failed_at", AT),
        sa.Column("cancelled_at", AT),
        sa.Column("fail_reason", sa.Text()),
        sa.Column("raw", sa.JSON()),
        sa.Column("verified_at", AT),
        *_stamps(),
        sa.PrimaryKeyConstraint("imp_uid", name="pk_payments"),
    )
    op.create_index("ix_payments_merchant_uid", "payments", ["merchant_uid"])
    op.create_index("ix_payments_order_id", "payments", ["order_id"])
    op.create_table(
        "refunds",
        _id(),
        _fk("refunds", "order_id", "orders.id"),
        sa.Column("imp_uid", sa.String(32), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("checksum", sa.BigInteger()),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("cancellation_id", sa.String(64)),
        sa.Column("last_error", sa.Text()),
        *_stamps(),
        sa.CheckConstraint("amount > 0", name="ck_refunds_amount"),
        sa.PrimaryKeyConstraint("id", name="pk_refunds"),
        sa.UniqueConstraint("cancellation_id", name="uq_refunds_cancellation_id"),
    )
    op.create_index("ix_refunds_imp_uid", "refunds", ["imp_uid"])
    op.create_table(
        "confirm_decisions",
        sa.Column("imp_uid", sa.String(32), nullable=False),
        sa.Column("merchant_uid", sa.String(40), nullable=False),
        _fk("confirm_decisions", "order_id", "orders.id"),
        sa.Column("approved", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(40)),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("decided_at", AT, nullable=False),
        sa.PrimaryKeyConstraint("imp_uid", name="pk_confirm_decisions"),
    )
    op.create_index("ix_confirm_decisions_order_id", "confirm_decisions", ["order_id"])


def _infrastructure() -> None:
    op.create_table(
        "webhook_inbox",
        _id(),
        sa.Column("received_at", AT, nullable=False),
        sa.Column("source_ip", sa.String(45), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("imp_uid", sa.String(32)),
        sa.Column("merchant_uid", sa.String(40)),
        sa.Column("status", sa.String(16)),
        sa.Column("processed_at", AT),
        sa.Column("outcome", sa.String(32)),
        sa.Column("error", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_inbox"),
    )
    op.create_index("ix_webhook_inbox_imp_uid", "webhook_inbox", ["imp_uid"])
    op.create_index("ix_webhook_inbox_processed_at", "webhook_inbox", ["processed_at"])
    op.create_table(
        "jobs",
        _id(),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("run_at", AT, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_by", sa.String(64)),
        sa.Column("locked_until", AT),
        sa.Column("last_error", sa.Text()),
        sa.Column("dedupe_key", sa.String(128)),
        *_stamps(),
        sa.PrimaryKeyConstraint("id", name="pk_jobs"),
        sa.UniqueConstraint("dedupe_key", name="uq_jobs_dedupe_key"),
    )
    op.create_index("ix_jobs_state_run_at", "jobs", ["state", "run_at"])
    op.create_table(
        "idempotency_keys",
        _id(),
        sa.Column("scope", sa.String(100), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("created_at", AT, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_idempotency_keys"),
        sa.UniqueConstraint("scope", "key", name="uq_idempotency_keys_scope_key"),
    )


def downgrade() -> None:
    for table in (
        "idempotency_keys", "jobs", "webhook_inbox", "confirm_decisions", "refunds",
        "payments", "stock_holds", "order_items", "orders", "products",
    ):  # fmt: skip
        op.drop_table(table)
