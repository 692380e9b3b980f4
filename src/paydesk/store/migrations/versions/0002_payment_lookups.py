"""Payment lookups and the vbank account: approval number, PG transaction id and
virtual-account columns on ``payments``; where a refund came from on ``refunds``.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AT = sa.DateTime(timezone=True)

_PAYMENT_COLUMNS = (
    ("apply_num", sa.String(20)),
    ("pg_tid", sa.String(64)),
    ("vbank_code", sa.String(16)),
    ("vbank_name", sa.String(40)),
    ("vbank_num", sa.String(32)),
    ("vbank_holder", sa.String(40)),
    ("vbank_date", AT),
)


def upgrade() -> None:
    with op.batch_alter_table("payments") as batch:
        for name, type_ in _PAYMENT_COLUMNS:
            batch.add_column(sa.Column(name, type_))
        batch.create_index("ix_payments_apply_num", ["apply_num"])
        batch.create_index("ix_payments_pg_tid", ["pg_tid"])
    with op.batch_alter_table("refunds") as batch:
        batch.add_column(sa.Column("origin", sa.String(16)))


def downgrade() -> None:
    with op.batch_alter_table("refunds") as batch:
        batch.drop_column("origin")
    with op.batch_alter_table("payments") as batch:
        batch.drop_index("ix_payments_pg_tid")
        batch.drop_index("ix_payments_apply_num")
        for name, _ in reversed(_PAYMENT_COLUMNS):
            batch.drop_column(name)
