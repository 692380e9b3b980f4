"""The call journal: every exchange with i'mport and its outcome class, for the order timeline.

``gateway_calls``: one row per call (its retries included), written in batches
by ``services.call_journal`` from the client's observer and pruned after
``PAYDESK_CALL_JOURNAL_DAYS``. Ids only (imp_uid, merchant_uid, customer_uid):
never card data nor the buyer's personal data.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-11
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "gateway_calls",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("at", AT, nullable=False),
        sa.Column("operation", sa.String(64), nullable=False),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("path", sa.String(255), nullable=False),
        sa.Column("imp_uid", sa.String(32)),
        sa.Column("merchant_uid", sa.String(40)),
        sa.Column("customer_uid", sa.String(80)),
        sa.Column("outcome", sa.String(12), nullable=False),
        sa.Column("code", sa.Integer()),
        sa.Column("message", sa.Text()),
        sa.Column("error", sa.String(40)),
        sa.Column("http_status", sa.Integer()),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_gateway_calls"),
    )
    op.create_index("ix_gateway_calls_imp_uid", "gateway_calls", ["imp_uid"])
    op.create_index("ix_gateway_calls_merchant_uid", "gateway_calls", ["merchant_uid"])
    op.create_index("ix_gateway_calls_at", "gateway_calls", ["at"])


def downgrade() -> None:
    op.drop_table("gateway_calls")
