"""Create digest_story_runs: when each story was sent, and which task runs it (a lease).

The stall check sends again only the stories no live run holds (see
`service.jobs.fanout`). Plans handed over before this revision have no rows: their
stories are treated as before (sent again when their job stalls), and a task that
starts one adds its row.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digest_story_runs",
        sa.Column("job_id", sa.String(32), nullable=False),
        sa.Column("story_index", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.Column("run_id", sa.String(32), nullable=True),
        sa.Column("worker", sa.String(128), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("job_id", "story_index", name="pk_digest_story_runs"),
    )


def downgrade() -> None:
    op.drop_table("digest_story_runs")
