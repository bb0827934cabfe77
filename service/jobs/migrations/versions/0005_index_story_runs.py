"""Index digest_story_runs and digest_jobs for the stall check; mark planned run rows.

The stall check (`FanoutStore.resendable`, at every recovery tick) read every run row
of every stalled fan-out: with thousands of stalled jobs whose stories are only
queued behind a backlog, 0.5-1 s a tick. These indexes let it read only the runs that
matter (live and dead leases, the runs started last, a job's started runs, the queued
runs by send time), and list the stalled jobs and their plans' attempts from indexes
alone (on SQLite a column after the request's text is reached through every overflow
page of that text).
`digest_story_runs.planned` marks the rows `hand_over` writes, one per story at once:
a job with one such row misses none (rows written by older workers, or
inserted by a task, have NULL, and their jobs are read whole as before).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# the same text as service.jobs.fanout.QUEUED_RUN: a story sent and not started since
QUEUED_RUN = "run_id IS NULL AND (started_at IS NULL OR started_at < sent_at)"


def upgrade() -> None:
    op.add_column("digest_story_runs", sa.Column("planned", sa.Boolean(), nullable=True))
    op.create_index(
        "ix_digest_jobs_stall_check",
        "digest_jobs",
        ["status", "updated_at", "lease_owner", "progress_total", "id"],
    )
    op.create_index(
        "ix_digest_story_runs_lease_expires_at", "digest_story_runs", ["lease_expires_at"]
    )
    op.create_index("ix_digest_story_runs_started_at", "digest_story_runs", ["started_at"])
    op.create_index(
        "ix_digest_story_runs_job_started",
        "digest_story_runs",
        ["job_id", "attempt", "started_at", "planned"],
    )
    op.create_index("ix_digest_plans_attempt", "digest_plans", ["job_id", "attempt"])
    op.create_index(
        "ix_digest_story_runs_queued",
        "digest_story_runs",
        ["sent_at"],
        sqlite_where=sa.text(QUEUED_RUN),
        postgresql_where=sa.text(QUEUED_RUN),
    )


def downgrade() -> None:
    for name in (
        "ix_digest_story_runs_queued",
        "ix_digest_story_runs_job_started",
        "ix_digest_story_runs_started_at",
        "ix_digest_story_runs_lease_expires_at",
    ):
        op.drop_index(name, table_name="digest_story_runs")
    op.drop_index("ix_digest_plans_attempt", table_name="digest_plans")
    op.drop_index("ix_digest_jobs_stall_check", table_name="digest_jobs")
    with op.batch_alter_table("digest_story_runs") as batch:
        batch.drop_column("planned")
