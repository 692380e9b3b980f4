"""Card order options: tax-free products and their installment offer, an order's tax parts.

``products.tax_free``: a tax-exempt (면세) product; ``products.card_quota``: the
installment months its card payments offer (``display.card_quota``; null = the
merchant's setting). ``orders.tax_free``/``orders.vat_amount``: the tax-free part
and the explicit VAT an order was paid with (null = none / i'mport's 1/11).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-10
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("products") as batch:
        batch.add_column(
            sa.Column("tax_free", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("card_quota", sa.JSON()))
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("tax_free", sa.BigInteger()))
        batch.add_column(sa.Column("vat_amount", sa.BigInteger()))


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("vat_amount")
        batch.drop_column("tax_free")
    with op.batch_alter_table("products") as batch:
        batch.drop_column("card_quota")
        batch.drop_column("tax_free")
