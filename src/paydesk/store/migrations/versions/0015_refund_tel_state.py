"""A refund waiting only for the holder's phone is ``needs_refund_tel``.

Old smartro needs ``refund_tel`` on every cancel, a card's included, and no
refund account. Such a refund used to wait in ``needs_refund_account``, which
only a whole account could end: the rows our rules parked there for the phone
(``last_error`` starts with the rule's name, ``refund_tel:``) move to the new
state, where the phone alone ends the wait. No column changes: ``refund_tel``
(0003) holds the phone with or without an account, and ``state`` (24
characters since 0012) holds the new name.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "UPDATE refunds SET state = 'needs_refund_tel' "
        "WHERE state = 'needs_refund_account' AND substr(last_error, 1, 11) = 'refund_tel:'"
    )


def downgrade() -> None:
    op.execute("UPDATE refunds SET state = 'needs_refund_account' WHERE state = 'needs_refund_tel'")
