"""Billing keys (masked card metadata only), their window issuances, plans, subscriptions
and every attempt to charge one.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-09
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
AT = sa.DateTime(timezone=True)


def _stamps() -> tuple[sa.Column[object], sa.Column[object]]:
    return (
        sa.Column("created_at", AT, nullable=False),
        sa.Column("updated_at", AT, nullable=False),
    )


def upgrade() -> None:
    op.create_table(
        "plans",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("interval_unit", sa.String(8), nullable=False),
        sa.Column("interval_count", sa.Integer(), nullable=False),
        sa.Column("dunning_days", sa.JSON(), nullable=False),
        sa.Column("billing", sa.String(12), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        *_stamps(),
        sa.CheckConstraint("amount > 0", name="ck_plans_amount"),
        sa.CheckConstraint("interval_count > 0", name="ck_plans_interval_count"),
        sa.UniqueConstraint("code", name="uq_plans_code"),
    )
    op.create_table(
        "billing_keys",
        sa.Column("customer_uid", sa.String(80), primary_key=True),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("pg_provider", sa.String(40)),
        sa.Column("card_name", sa.String(40)),
        sa.Column("card_code", sa.String(8)),
        sa.Column("card_last4", sa.String(4)),
        sa.Column("issued_via", sa.String(8), nullable=False),
        sa.Column("issued_at", AT, nullable=False),
        sa.Column("deleted_at", AT),
        *_stamps(),
    )
    op.create_table(
        "billing_key_issuances",
        sa.Column("merchant_uid", sa.String(40), primary_key=True),
        sa.Column("customer_uid", sa.String(80), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("imp_uid", sa.String(32)),
        sa.Column("fail_reason", sa.Text()),
        *_stamps(),
    )
    op.create_index(
        "ix_billing_key_issuances_customer_uid", "billing_key_issuances", ["customer_uid"]
    )
    op.create_table(
        "subscriptions",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column(
            "plan_id",
            ID,
            sa.ForeignKey("plans.id", name="fk_subscriptions_plan_id_plans"),
            nullable=False,
        ),
        sa.Column("customer_uid", sa.String(80), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("anchor", AT),
        sa.Column("cycles", sa.Integer(), nullable=False),
        sa.Column("next_charge_at", AT),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("dunning_since", AT),
        sa.Column("cancel_at_period_end", sa.Boolean(), nullable=False),
        sa.Column("cancelled_at", AT),
        sa.Column("last_error", sa.Text()),
        *_stamps(),
    )
    op.create_index(
        "ix_subscriptions_status_next_charge_at", "subscriptions", ["status", "next_charge_at"]
    )
    op.create_index("ix_subscriptions_customer_uid", "subscriptions", ["customer_uid"])
    op.create_table(
        "subscription_charges",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column(
            "subscription_id",
            ID,
            sa.ForeignKey(
                "subscriptions.id", name="fk_subscription_charges_subscription_id_subscriptions"
            ),
            nullable=False,
        ),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("merchant_uid", sa.String(40), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("via", sa.String(12), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("imp_uid", sa.String(32)),
        sa.Column("fail_reason", sa.Text()),
        sa.Column("due_at", AT, nullable=False),
        sa.Column("finished_at", AT),
        *_stamps(),
        sa.UniqueConstraint("merchant_uid", name="uq_subscription_charges_merchant_uid"),
        sa.UniqueConstraint(
            "subscription_id",
            "period",
            "attempt",
            name="uq_subscription_charges_subscription_id_period_attempt",
        ),
    )
    op.create_index("ix_subscription_charges_state", "subscription_charges", ["state"])


def downgrade() -> None:
    op.drop_table("subscription_charges")
    op.drop_table("subscriptions")
    op.drop_table("billing_key_issuances")
    op.drop_table("billing_keys")
    op.drop_table("plans")
