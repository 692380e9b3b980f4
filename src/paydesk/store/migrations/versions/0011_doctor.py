"""The launch doctor's runs, and the heartbeats of the workers it looks for.

``doctor_runs``: one row per ``paydesk doctor`` run (when, whether for production,
the overall status and every item's result as JSON), so the admin console can show
the last one. ``worker_heartbeats``: one row per worker process (``role:host:pid``),
its ``seen_at`` renewed every few seconds while it runs, ``stopped_at`` set when it
stops cleanly.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-14
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "doctor_runs",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("ran_at", AT, nullable=False),
        sa.Column("production", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_doctor_runs"),
    )
    op.create_index("ix_doctor_runs_ran_at", "doctor_runs", ["ran_at"])
    op.create_table(
        "worker_heartbeats",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("host", sa.String(64), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", AT, nullable=False),
        sa.Column("seen_at", AT, nullable=False),
        sa.Column("stopped_at", AT),
        sa.PrimaryKeyConstraint("name", name="pk_worker_heartbeats"),
    )
    op.create_index("ix_worker_heartbeats_seen_at", "worker_heartbeats", ["seen_at"])


def downgrade() -> None:
    op.drop_index("ix_worker_heartbeats_seen_at", "worker_heartbeats")
    op.drop_table("worker_heartbeats")
    op.drop_index("ix_doctor_runs_ran_at", "doctor_runs")
    op.drop_table("doctor_runs")
