"""A refund waiting for its refund account is ``needs_refund_account`` (was ``needs_input``).

The state names what is missing: a virtual account's refund account (holder,
bank, number, and the holder's phone where the PG needs it). ``refunds.state``
grows to 24 characters to hold it; rows in the old state move to the new one.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("refunds") as batch:
        batch.alter_column("state", type_=sa.String(24), existing_type=sa.String(16),
                           existing_nullable=False)  # fmt: skip
    op.execute("UPDATE refunds SET state = 'needs_refund_account' WHERE state = 'needs_input'")


def downgrade() -> None:
    op.execute("UPDATE refunds SET state = 'needs_input' WHERE state = 'needs_refund_account'")
    with op.batch_alter_table("refunds") as batch:
        batch.alter_column("state", type_=sa.String(16), existing_type=sa.String(24),
                           existing_nullable=False)  # fmt: skip
