"""The jobs index covers the claim's whole order: ``(state, run_at, id)``.

A worker claims the oldest due jobs by ``run_at`` then ``id``. With ``(state,
run_at)`` alone, PostgreSQL had to read and sort every queued job sharing the
oldest ``run_at`` (a sweep enqueues thousands at one instant) before it could take
the first ten. The new index serves everything the old one did, so it replaces it.

On PostgreSQL both indexes are built and dropped ``CONCURRENTLY``, outside the
migration's transaction: a plain ``CREATE INDEX`` holds a lock that stops every
insert into ``jobs`` (confirms, webhooks, refunds all enqueue) for as long as the
build takes on a large table. A concurrent build that is interrupted leaves an
invalid index behind and the revision unrecorded, so a run first drops any index
of the new name, then builds it, then drops the old one if it is still there.

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
    _swap(build=("ix_jobs_state_run_at_id", ["state", "run_at", "id"]), drop="ix_jobs_state_run_at")


def downgrade() -> None:
    _swap(build=("ix_jobs_state_run_at", ["state", "run_at"]), drop="ix_jobs_state_run_at_id")


def _swap(build: tuple[str, list[str]], drop: str) -> None:
    """Build one index on ``jobs``, then drop the other (concurrently on PostgreSQL)."""
    name, columns = build
    if op.get_context().dialect.name != "postgresql":
        op.create_index(name, "jobs", columns)
        op.drop_index(drop, "jobs")
        return
    with op.get_context().autocommit_block():
        op.drop_index(name, "jobs", postgresql_concurrently=True, if_exists=True)
        op.create_index(name, "jobs", columns, postgresql_concurrently=True)
        op.drop_index(drop, "jobs", postgresql_concurrently=True, if_exists=True)
