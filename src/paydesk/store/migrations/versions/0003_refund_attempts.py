"""Refunds the merchant asks for: tax parts, the refund account of a virtual account,
who asked, and every cancel attempt with its request, answer and classification.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
AT = sa.DateTime(timezone=True)

_REFUND_COLUMNS = (
    ("tax_free", sa.BigInteger()),
    ("vat_amount", sa.BigInteger()),
    ("refund_holder", sa.String(40)),
    ("refund_bank", sa.String(8)),
    ("refund_account", sa.String(32)),
    ("refund_tel", sa.String(20)),
    ("requested_by", sa.String(64)),
)


_REFUND_FK = sa.ForeignKey("refunds.id", name="fk_refund_attempts_refund_id_refunds")


def upgrade() -> None:
    with op.batch_alter_table("refunds") as batch:
        for name, type_ in _REFUND_COLUMNS:
            batch.add_column(sa.Column(name, type_))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "refund_attempts",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("refund_id", ID, _REFUND_FK, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("checksum", sa.BigInteger(), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("response", sa.JSON()),
        sa.Column("classification", sa.String(24)),
        sa.Column("error", sa.Text()),
        sa.Column("started_at", AT, nullable=False),
        sa.Column("finished_at", AT),
        sa.UniqueConstraint("refund_id", "number", name="uq_refund_attempts_refund_id_number"),
    )


def downgrade() -> None:
    op.drop_table("refund_attempts")
    with op.batch_alter_table("refunds") as batch:
        batch.drop_column("attempts")
        for name, _ in reversed(_REFUND_COLUMNS):
            batch.drop_column(name)
