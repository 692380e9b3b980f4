"""Cash receipts (of i'mport payments, and external ones apart), verified customer
identities with the age gate of products, and escrow deliveries.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
AT = sa.DateTime(timezone=True)


def _stamps() -> tuple[sa.Column[object], ...]:
    return (
        sa.Column("created_at", AT, nullable=False),
        sa.Column("updated_at", AT, nullable=False),
    )


def _receipt_columns(table: str) -> tuple[sa.Column[object], ...]:
    return (
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("live_key", sa.String(40)),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("type", sa.String(8), nullable=False),
        sa.Column("identifier_type", sa.String(10), nullable=False),
        sa.Column("identifier_masked", sa.String(24), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount", sa.BigInteger()),
        sa.Column("vat", sa.BigInteger()),
        sa.Column("tax_free", sa.BigInteger()),
        sa.Column("apply_num", sa.String(20)),
        sa.Column("receipt_tid", sa.String(64)),
        sa.Column("receipt_url", sa.Text()),
        sa.Column("applied_at", AT),
        sa.Column("cancelled_at", AT),
        sa.Column("last_error", sa.Text()),
        sa.Column("requested_by", sa.String(64)),
        *_stamps(),
    )


def upgrade() -> None:
    op.create_table(
        "cash_receipts",
        *_receipt_columns("cash_receipts"),
        sa.Column("imp_uid", sa.String(32), nullable=False),
        sa.Column(
            "order_id", ID, sa.ForeignKey("orders.id", name="fk_cash_receipts_order_id_orders")
        ),
        sa.UniqueConstraint("live_key", name="uq_cash_receipts_live_key"),
    )
    op.create_index("ix_cash_receipts_imp_uid", "cash_receipts", ["imp_uid"])
    op.create_index("ix_cash_receipts_state_created_at", "cash_receipts", ["state", "created_at"])
    op.create_table(
        "external_receipts",
        *_receipt_columns("external_receipts"),
        sa.Column("merchant_uid", sa.String(40), nullable=False),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("requested_amount", sa.BigInteger(), nullable=False),
        sa.Column("pg", sa.String(40)),
        sa.Column("pay_method", sa.String(8)),
        sa.UniqueConstraint("live_key", name="uq_external_receipts_live_key"),
        sa.CheckConstraint("requested_amount > 0", name="ck_external_receipts_requested_amount"),
    )
    op.create_index("ix_external_receipts_merchant_uid", "external_receipts", ["merchant_uid"])
    op.create_index(
        "ix_external_receipts_state_created_at", "external_receipts", ["state", "created_at"]
    )
    op.create_table(
        "customer_identities",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("customer_ref", sa.String(64), nullable=False),
        sa.Column("name", sa.String(60)),
        sa.Column("birth_date", sa.Date()),
        sa.Column("phone", sa.String(20)),
        sa.Column("gender", sa.String(8)),
        sa.Column("foreigner", sa.Boolean()),
        sa.Column("ci_hash", sa.String(64)),
        sa.Column("di_hash", sa.String(64)),
        sa.Column("adult", sa.Boolean(), nullable=False),
        sa.Column("certification_imp_uid", sa.String(32), nullable=False),
        sa.Column("pg_provider", sa.String(40)),
        sa.Column("certified_at", AT),
        sa.Column("deleted_at_iamport", AT),
        *_stamps(),
        sa.UniqueConstraint("customer_ref", name="uq_customer_identities_customer_ref"),
        sa.UniqueConstraint(
            "certification_imp_uid", name="uq_customer_identities_certification_imp_uid"
        ),
    )
    op.create_index("ix_customer_identities_ci_hash", "customer_identities", ["ci_hash"])
    op.create_table(
        "product_age_gates",
        sa.Column(
            "product_id", ID,
            sa.ForeignKey("products.id", name="fk_product_age_gates_product_id_products"),
            primary_key=True,
        ),
        sa.Column("min_age", sa.Integer(), nullable=False),
        *_stamps(),
        sa.CheckConstraint("min_age > 0 AND min_age < 100", name="ck_product_age_gates_min_age"),
    )  # fmt: skip
    op.create_table(
        "order_customers",
        sa.Column(
            "order_id", ID,
            sa.ForeignKey("orders.id", name="fk_order_customers_order_id_orders",
                          ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "customer_id", ID,
            sa.ForeignKey("customer_identities.id",
                          name="fk_order_customers_customer_id_customer_identities"),
            nullable=False,
        ),
        sa.Column("required_age", sa.Integer()),
        sa.Column("created_at", AT, nullable=False),
    )  # fmt: skip
    op.create_index("ix_order_customers_customer_id", "order_customers", ["customer_id"])
    op.create_table(
        "escrow_deliveries",
        sa.Column("imp_uid", sa.String(32), primary_key=True),
        sa.Column(
            "order_id", ID, sa.ForeignKey("orders.id", name="fk_escrow_deliveries_order_id_orders")
        ),
        sa.Column("company", sa.String(16)),
        sa.Column("invoice", sa.String(40)),
        sa.Column("sent_at", AT),
        sa.Column("sender", sa.JSON()),
        sa.Column("receiver", sa.JSON()),
        sa.Column("applied_at", AT),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("status_code", sa.String(4)),
        sa.Column("status_changed_at", AT),
        sa.Column("denied_reason", sa.Text()),
        *_stamps(),
    )
    op.create_index("ix_escrow_deliveries_order_id", "escrow_deliveries", ["order_id"])


def downgrade() -> None:
    op.drop_table("escrow_deliveries")
    op.drop_table("order_customers")
    op.drop_table("product_age_gates")
    op.drop_table("customer_identities")
    op.drop_table("external_receipts")
    op.drop_table("cash_receipts")
