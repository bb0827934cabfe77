"""The job table as a SQLAlchemy model; Alembic migrations (in `migrations/`) create it.

One row per accepted digest request. The row is the queue, the lock and the
result store at once, so API replicas and workers share nothing but the
database. Times are stored as naive UTC and read back as aware UTC on every
dialect (SQLite has no time zones).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, Index, Integer, String, Text, TypeDecorator, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, naive UTC in the column."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use datetime.now(UTC)")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class JobRecord(Base):
    """A digest job: request, state, lease, progress, and the result or the failure."""

    __tablename__ = "digest_jobs"
    __table_args__ = (
        UniqueConstraint("client", "idempotency_key", name="uq_digest_jobs_idempotency"),
        Index("ix_digest_jobs_status_created", "status", "created_at"),
        # revision 0005: the stall check lists stalled fan-outs from this index alone
        # (`fanout._stalled_fanouts`), not from rows that hold the request's text
        Index(
            "ix_digest_jobs_stall_check",
            "status",
            "updated_at",
            "lease_owner",
            "progress_total",
            "id",
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    client: Mapped[str] = mapped_column(String(64), doc="Who asked: an API key's id, or 'open'.")
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    request: Mapped[str] = mapped_column(Text, doc="JobRequest as JSON.")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    progress_stage: Mapped[str | None] = mapped_column(String(32))
    progress_done: Mapped[int | None] = mapped_column(Integer)
    progress_total: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text, doc="JobError as JSON.")
    result: Mapped[str | None] = mapped_column(Text, doc="Digest as JSON.")
