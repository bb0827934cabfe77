"""Create the fan-out tables: one plan per job, one summary per (job, story).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digest_plans",
        sa.Column("job_id", sa.String(32), primary_key=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("plan", sa.Text(), nullable=False),
        sa.Column("warnings", sa.Text(), nullable=False),
        sa.Column("deadline_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "digest_story_results",
        sa.Column("job_id", sa.String(32), nullable=False),
        sa.Column("story_index", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(128), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("job_id", "story_index", name="pk_digest_story_results"),
    )


def downgrade() -> None:
    op.drop_table("digest_story_results")
    op.drop_table("digest_plans")
