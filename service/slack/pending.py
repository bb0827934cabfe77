"""Slack requests accepted and not answered yet, kept in the job database until they are.

In: a request the listeners accepted (its work, where the answer goes, who asked). Out: a
row of `slack_requests`, in the job store's database (SQLite under data_dir, or
DATABASE_URL), deleted once the answer or an error notice went out. What stays true:

- a row belongs to the worker holding its lease (`lease_owner` until `lease_expires_at`);
  the owner renews the leases of the rows it works on while it lives, so a row whose
  lease ran out belongs to a process that died (or that lost track of it), and `take`
  hands it to another one. Taking is a guarded UPDATE
  ("still free"), so of several replicas on one database only one wins a row;
- a clean shutdown `release`s the rows it had not started: no owner, taken at once;
- a row that must wait (a run that failed, a notice Slack did not take) is put off with
  `retry_later`: no owner, and a lease running out at the end of the wait, so no process
  takes it before then and any takes it after, a restart in between or not (no owner and
  no lease: free now; no owner and a lease still running: waiting);
- `attempts` counts the runs started; a row started `max_attempts` times and never
  answered keeps killing (or failing) its process, and is given up by the worker; a run
  that failed is tried again after `retry_after_s` (the waits grow: a passing outage of
  Slack gets time to end before the next run, and an answer still comes soon after);
- the work and the destination are JSON with a format version (`"v": 1`); a row this
  version cannot read comes back from `take` as `Unreadable`, never as an exception.

Database errors are `JobStoreError` (the job store's `transaction`).
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    delete,
    func,
    or_,
    select,
    update,
)

from service.config import Settings
from service.jobs.db import database_url, make_engine, migrate
from service.jobs.store import transaction
from service.jobs.tables import UTCDateTime
from service.pipeline.run import DigestOptions
from service.slack.delivery import Destination
from service.slack.inputs import Pasted, SlackInput

FORMAT = 1  # the version of the JSON written; a change of shape is a new number
MAX_ATTEMPTS = 3  # runs started before a request that keeps failing is given up
# Waits before the second and the third run of a request whose run failed (Slack or the
# network away past the SDK's own retry). 5 s: a blip ends within it, and the asker, who
# saw "Summarizing...", gets the answer soon after; 30 s: an outage that outlasted that
# gets time to end, while the give-up notice still comes within a minute or two. (The
# keeper wakes when a wait ends; another replica looks on its own round, a third of a lease.)
RETRY_AFTER_S = (5.0, 30.0)
# The longest wait between tries of a give-up notice Slack did not take: the first comes
# on the keeper's next round (a third of a lease), each failure after doubles the wait up
# to this, so an outage of an hour costs a dozen log lines, not hundreds, and the notice
# goes out at most this long after Slack is back
NOTICE_RETRY_MAX_S = 600.0
SUMMARIZE = "summarize"
SUMMARIZE_THREAD = "summarize_thread"

metadata = MetaData()
slack_requests = Table(  # created by migration 0003
    "slack_requests",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("request", Text, nullable=False),
    Column("destination", Text, nullable=False),
    Column("requested_by", String(64)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("lease_owner", String(128)),
    Column("lease_expires_at", UTCDateTime),
)
_T = slack_requests.c


@dataclass(frozen=True)
class SummarizeWork:
    """`/digest`: these links and pasted texts, digested with these options."""

    found: SlackInput
    options: DigestOptions


@dataclass(frozen=True)
class ThreadWork:
    """The shortcut or a mention: the thread's links and texts (`request_ts`: the
    mention that asked, read for its links only; `skip_bots`: our own ids)."""

    thread_ts: str
    skip_bots: frozenset[str] = frozenset()
    request_ts: str | None = None


Work = SummarizeWork | ThreadWork


@dataclass(frozen=True)
class Accepted:
    """A request to run: its row (None when it could not be stored), its work, where the
    answer goes, who asked, and how many runs of it started before."""

    id: str | None
    work: Work
    destination: Destination
    requested_by: str | None = None
    attempts: int = 0


@dataclass(frozen=True)
class Unreadable:
    """A row this version cannot read: why, and where to say so when that much is known."""

    id: str
    reason: str
    destination: Destination | None


class UnreadableError(ValueError):
    """A stored request or destination this version cannot read back."""


def owner_id() -> str:
    """Who holds a lease: this host and process, and a random part (two workers in one
    process, or a pid reused after a restart, are different owners)."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def _utcnow() -> datetime:
    return datetime.now(UTC)


# --- JSON in and out ------------------------------------------------------------------


def encode_work(work: Work) -> tuple[str, str]:
    """The row's kind and its request JSON."""
    if isinstance(work, SummarizeWork):
        found = work.found
        body: dict[str, Any] = {
            "v": FORMAT,
            "urls": list(found.urls),
            "texts": [{"text": t.text, "url": t.url} for t in found.texts],
            "left_out": found.left_out,
            "too_short": found.too_short,
            "options": work.options.model_dump(mode="json"),
        }
        return SUMMARIZE, json.dumps(body)
    body = {
        "v": FORMAT,
        "thread_ts": work.thread_ts,
        "skip_bots": sorted(work.skip_bots),
        "request_ts": work.request_ts,
    }
    return SUMMARIZE_THREAD, json.dumps(body)


def encode_destination(destination: Destination) -> str:
    """The destination as JSON, every field named (no dataclass dump: a renamed field must
    not silently change what is stored)."""
    return json.dumps(
        {
            "v": FORMAT,
            "channel": destination.channel,
            "user": destination.user,
            "thread_ts": destination.thread_ts,
            "ephemeral": destination.ephemeral,
            "response_url": destination.response_url,
            "placeholder_ts": destination.placeholder_ts,
        }
    )


def decode_work(kind: str, text: str) -> Work:
    """The work a row stores; UnreadableError when it is not what this version writes."""
    data = _object(text)
    if kind == SUMMARIZE:
        return _summarize_work(data)
    if kind == SUMMARIZE_THREAD:
        skip = data.get("skip_bots", [])
        if not isinstance(skip, list) or not all(isinstance(s, str) for s in skip):
            raise UnreadableError("skip_bots is not a list of ids")
        return ThreadWork(
            thread_ts=_required(data, "thread_ts"),
            skip_bots=frozenset(skip),
            request_ts=_optional(data, "request_ts"),
        )
    raise UnreadableError(f"unknown kind of request {kind!r}")


def decode_destination(text: str) -> Destination:
    """The destination a row stores; UnreadableError when it is not what this version writes."""
    data = _object(text)
    ephemeral = data.get("ephemeral", False)
    if not isinstance(ephemeral, bool):
        raise UnreadableError("ephemeral is not true or false")
    return Destination(
        channel=_required(data, "channel"),
        user=_optional(data, "user"),
        thread_ts=_optional(data, "thread_ts"),
        ephemeral=ephemeral,
        response_url=_optional(data, "response_url"),
        placeholder_ts=_optional(data, "placeholder_ts"),
    )


def _summarize_work(data: Mapping[str, Any]) -> SummarizeWork:
    urls = data.get("urls")
    if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
        raise UnreadableError("urls is not a list of links")
    texts = data.get("texts")
    if not isinstance(texts, list) or not all(isinstance(t, dict) for t in texts):
        raise UnreadableError("texts is not a list of pasted texts")
    pasted = [Pasted(text=_required(t, "text"), url=_optional(t, "url")) for t in texts]
    try:  # JSON mode: the model is strict, and JSON has no other way to say 0.5 or true
        options = DigestOptions.model_validate_json(json.dumps(data.get("options")))
    except ValidationError as exc:
        raise UnreadableError(f"options: {exc.error_count()} invalid field(s)") from None
    found = SlackInput(
        urls=urls,
        texts=pasted,
        left_out=_count(data, "left_out"),
        too_short=_count(data, "too_short"),
    )
    return SummarizeWork(found=found, options=options)


def _object(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise UnreadableError(f"not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise UnreadableError("not a JSON object")
    if data.get("v") != FORMAT:
        raise UnreadableError(f"format {data.get('v')!r}; this version reads {FORMAT}")
    return data


def _required(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise UnreadableError(f"{key} is missing")
    return value


def _optional(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise UnreadableError(f"{key} is not text")
    return value


def _count(data: Mapping[str, Any], key: str) -> int:
    value = data.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UnreadableError(f"{key} is not a count")
    return value


def read_row(row: Mapping[str, Any]) -> Accepted | Unreadable:
    """A row as a request to run, or as Unreadable (never an exception: one bad row must
    not stop the others)."""
    try:
        destination = decode_destination(row["destination"])
    except Exception as exc:  # UnreadableError, or a shape no check foresaw
        return Unreadable(row["id"], f"destination: {exc}", None)
    try:
        work = decode_work(row["kind"], row["request"])
    except Exception as exc:
        return Unreadable(row["id"], str(exc), destination)
    return Accepted(row["id"], work, destination, row["requested_by"], int(row["attempts"]))


# --- the store -------------------------------------------------------------------------


class PendingStore:
    """Accepted Slack requests in the job database, through SQLAlchemy Core statements."""

    def __init__(
        self,
        engine: Engine,
        *,
        lease_s: float = 30.0,
        max_attempts: int = MAX_ATTEMPTS,
        clock: Callable[[], datetime] = _utcnow,
        check_every_s: float | None = None,
        retry_after_s: Sequence[float] = RETRY_AFTER_S,
        notice_retry_max_s: float = NOTICE_RETRY_MAX_S,
        owns_engine: bool = False,
    ) -> None:
        self.engine = engine
        self.lease = timedelta(seconds=lease_s)
        # how often an owner renews its leases and looks for rows left behind: a third of
        # a lease, so two renewals may fail (a database blip) before a lease runs out
        self.check_every_s = lease_s / 3 if check_every_s is None else check_every_s
        self.max_attempts = max_attempts
        self.retry_after_s = tuple(retry_after_s)
        self.notice_retry_max_s = notice_retry_max_s
        self.clock = clock
        self._owns_engine = owns_engine

    @classmethod
    def open(cls, settings: Settings) -> PendingStore:
        """The store on the job database of `settings`, migrated (its own engine: the API's
        is made later, and Socket Mode has none)."""
        engine = make_engine(database_url(settings))
        try:
            migrate(engine)
        except Exception:
            engine.dispose()
            raise
        return cls(engine, lease_s=settings.job_lease_s, owns_engine=True)

    def close(self) -> None:
        """Close the engine's connections when this store made the engine."""
        if self._owns_engine:
            self.engine.dispose()

    def add(
        self,
        work: Work,
        destination: Destination,
        owner: str,
        *,
        requested_by: str | None = None,
    ) -> str:
        """Store an accepted request, leased to `owner` (who queues it); its id."""
        kind, request = encode_work(work)
        request_id = uuid.uuid4().hex
        now = self.clock()
        with transaction(self.engine) as conn:
            conn.execute(
                slack_requests.insert().values(
                    id=request_id,
                    kind=kind,
                    request=request,
                    destination=encode_destination(destination),
                    requested_by=requested_by[:64] if requested_by else None,
                    created_at=now,
                    attempts=0,
                    lease_owner=owner,
                    lease_expires_at=now + self.lease,
                )
            )
        return request_id

    def begin(self, request_id: str, owner: str) -> bool:
        """Count a run starting; False when the row is no longer `owner`'s (another process
        took it over, or it is gone): then it must not run here."""
        with transaction(self.engine) as conn:
            result = conn.execute(
                update(slack_requests)
                .where(_T.id == request_id, _T.lease_owner == owner)
                .values(attempts=_T.attempts + 1, lease_expires_at=self.clock() + self.lease)
            )
        return result.rowcount == 1

    def keep_destination(self, request_id: str, owner: str, destination: Destination) -> bool:
        """Store where the answer now goes (a placeholder was posted), if the row is still ours."""
        with transaction(self.engine) as conn:
            result = conn.execute(
                update(slack_requests)
                .where(_T.id == request_id, _T.lease_owner == owner)
                .values(destination=encode_destination(destination))
            )
        return result.rowcount == 1

    def remove(self, request_id: str) -> bool:
        """Delete an answered request, whoever holds it now: the asker has their answer."""
        with transaction(self.engine) as conn:
            result = conn.execute(delete(slack_requests).where(_T.id == request_id))
        return result.rowcount == 1

    def renew(self, owner: str, request_ids: Collection[str]) -> int:
        """Extend the leases of these rows, those `owner` still holds; how many it holds.
        Only the rows the owner is working on: one it lost track of (a `take` cut off
        after winning it) must run out and be taken again, not be renewed for ever."""
        return self._update_held(owner, request_ids, lease_expires_at=self.clock() + self.lease)

    def release(self, request_ids: Collection[str], owner: str) -> int:
        """Give back rows `owner` holds (a clean shutdown, requests it cannot queue): no
        lease, so the next `take` anywhere gets them at once. How many were given back."""
        return self._update_held(owner, request_ids, lease_owner=None, lease_expires_at=None)

    def retry_later(self, request_id: str, owner: str, delay_s: float) -> bool:
        """Put off a row `owner` holds for `delay_s` seconds: no owner, and a lease that
        runs out then, so no process takes it before (this one included) and any process
        takes it after, this one restarted or not. False when the row is no longer ours."""
        until = self.clock() + timedelta(seconds=max(delay_s, 0.0))
        held = self._update_held(owner, [request_id], lease_owner=None, lease_expires_at=until)
        return held == 1

    def run_retry_delay(self, runs: int) -> float:
        """Seconds to wait before running again a request whose `runs`-th run failed; 0
        after the last run (what comes next is the give-up notice, not a run)."""
        if runs >= self.max_attempts or not self.retry_after_s:
            return 0.0
        return self.retry_after_s[min(max(runs, 1), len(self.retry_after_s)) - 1]

    def notice_retry_delay(self, failures: int) -> float:
        """Seconds to wait before trying again a notice Slack did not take `failures`
        times: a keeper's round, doubled by each failure after the first, at most
        `notice_retry_max_s`."""
        doublings = min(max(failures, 1) - 1, 30)  # 2**30 rounds: past any cap
        return min(self.check_every_s * 2**doublings, self.notice_retry_max_s)

    def _update_held(self, owner: str, request_ids: Collection[str], **values: Any) -> int:
        """Set `values` on those of these rows `owner` still holds; how many it holds."""
        if not request_ids:
            return 0
        with transaction(self.engine) as conn:
            result = conn.execute(
                update(slack_requests)
                .where(_T.id.in_(list(request_ids)), _T.lease_owner == owner)
                .values(**values)
            )
        return int(result.rowcount)

    def take(self, owner: str, limit: int) -> list[Accepted | Unreadable]:
        """Lease to `owner` up to `limit` rows that no live process holds and that wait
        for nothing (`retry_later`), oldest first."""
        now = self.clock()
        # no lease at all (released), or one that ran out: its owner died, or its wait ended
        free = or_(
            and_(_T.lease_owner.is_(None), _T.lease_expires_at.is_(None)),
            _T.lease_expires_at < now,
        )
        with transaction(self.engine) as conn:
            candidates = list(
                conn.execute(
                    select(_T.id).where(free).order_by(_T.created_at).limit(max(limit, 0))
                ).scalars()
            )
        taken: list[Accepted | Unreadable] = []
        for candidate in candidates:
            with transaction(self.engine) as conn:
                won = conn.execute(
                    update(slack_requests)
                    .where(_T.id == candidate, free)
                    .values(lease_owner=owner, lease_expires_at=now + self.lease)
                )
                if won.rowcount != 1:
                    continue  # another process took it first
                row = conn.execute(select(slack_requests).where(_T.id == candidate)).mappings()
                taken.append(read_row(row.one()))
        return taken

    def count(self) -> int:
        """How many requests wait for an answer (all owners)."""
        with transaction(self.engine) as conn:
            return int(conn.execute(select(func.count()).select_from(slack_requests)).scalar_one())
