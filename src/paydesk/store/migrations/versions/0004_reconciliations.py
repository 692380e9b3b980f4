"""Reconciliation sweeps and their drift reports: one row per sweep, one per drifted payment.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-09
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
AT = sa.DateTime(timezone=True)


def _fk(owner: str, name: str, target: str, *, nullable: bool = True) -> sa.Column[int]:
    referred = target.split(".")[0]
    fk = sa.ForeignKey(target, name=f"fk_{owner}_{name}_{referred}")
    return sa.Column(name, ID, fk, nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "reconciliations",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("range_from", AT, nullable=False),
        sa.Column("range_to", AT, nullable=False),
        sa.Column("started_at", AT, nullable=False),
        sa.Column("finished_at", AT),
        sa.Column("checked", sa.Integer(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_reconciliations"),
    )
    op.create_index("ix_reconciliations_status_range_to", "reconciliations", ["status", "range_to"])
    op.create_table(
        "reconciliation_items",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        _fk("reconciliation_items", "reconciliation_id", "reconciliations.id", nullable=False),
        sa.Column("drift", sa.String(24), nullable=False),
        sa.Column("imp_uid", sa.String(32), nullable=False),
        sa.Column("merchant_uid", sa.String(40), nullable=False),
        _fk("reconciliation_items", "order_id", "orders.id"),
        sa.Column("iamport_status", sa.String(16), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.Column("created_at", AT, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reconciliation_items"),
    )
    op.create_index(
        "ix_reconciliation_items_reconciliation_id",
        "reconciliation_items",
        ["reconciliation_id"],
    )
    op.create_index(
        "ix_reconciliation_items_drift_imp_uid", "reconciliation_items", ["drift", "imp_uid"]
    )


def downgrade() -> None:
    op.drop_table("reconciliation_items")
    op.drop_table("reconciliations")
