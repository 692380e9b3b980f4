"""The jobs index covers the claim's whole order: ``(state, run_at, id)``.

A worker claims the oldest due jobs by ``run_at`` then ``id``. With ``(state,
run_at)`` alone, PostgreSQL had to read and sort every queued job sharing the
oldest ``run_at`` (a sweep enqueues thousands at one instant) before it could take
the first ten. The new index serves everything the old one did, so it replaces it.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_jobs_state_run_at_id", "jobs", ["state", "run_at", "id"])
    op.drop_index("ix_jobs_state_run_at", "jobs")


def downgrade() -> None:
    op.create_index("ix_jobs_state_run_at", "jobs", ["state", "run_at"])
    op.drop_index("ix_jobs_state_run_at_id", "jobs")
