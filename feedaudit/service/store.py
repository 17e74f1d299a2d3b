"""The service's state in a SQLAlchemy database: API tokens and audit jobs, queued to finished.

An audit is a row from the moment it is accepted, so a restart loses nothing. A runner claims a
queued audit with one conditional UPDATE (`… WHERE status = 'queued'`) that raises its `attempt`
and gives it a lease; it renews the lease while the audit runs, and every later write names the
attempt, so a runner that lost its lease (it was killed, or stalled past the lease) can neither
report progress nor finish the audit. Leases that ran out are put back in the queue
(`requeue_expired`), and the audit runs again from the start: it is finished exactly once.

SQLite (the default) takes the write lock when a writing transaction begins, so two processes
never both read the same queued row and then both update it; PostgreSQL locks the claimed row
(`FOR UPDATE SKIP LOCKED`), so claimers do not wait for each other.
"""

from __future__ import annotations

import contextlib
import json
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from feedaudit.errors import FeedauditError
from feedaudit.service.tokens import new_token, token_hash

metadata = sa.MetaData()

tokens = sa.Table(
    "service_tokens",
    metadata,
    sa.Column("id", sa.String(16), primary_key=True),
    sa.Column("hash", sa.String(64), nullable=False, unique=True),
    sa.Column("shop", sa.String(64), nullable=False),
    sa.Column("admin", sa.Boolean, nullable=False, default=False),
    sa.Column("rate_per_minute", sa.Integer, nullable=False),
    sa.Column("max_active", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("revoked", sa.Boolean, nullable=False, default=False),
)

audits = sa.Table(
    "service_audits",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("shop", sa.String(64), nullable=False),
    sa.Column("token_id", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # queued, running, done, failed
    sa.Column("kind", sa.String(16), nullable=False),  # url, upload
    sa.Column("source", sa.Text, nullable=False),  # the URL, or the stored upload's path
    sa.Column("name", sa.Text, nullable=False),  # what reports call the feed: the URL or the file name
    sa.Column("options", sa.Text, nullable=False),  # JSON: profile, select, ignore, inventory
    sa.Column("submitted_at", sa.DateTime, nullable=False),
    sa.Column("started_at", sa.DateTime),
    sa.Column("finished_at", sa.DateTime),
    sa.Column("attempt", sa.Integer, nullable=False, default=0),
    sa.Column("lease_owner", sa.String(64)),
    sa.Column("lease_expires", sa.DateTime),
    sa.Column("bytes_read", sa.BigInteger, nullable=False, default=0),
    sa.Column("bytes_total", sa.BigInteger),
    sa.Column("error", sa.Text),
    sa.Column("summary", sa.Text),  # JSON, once done
    sa.Column("findings", sa.LargeBinary),  # gzip'd JSON, once done (see `results`)
    sa.Column("delta", sa.Text),  # JSON: new and resolved against the shop's previous audit of the feed
    sa.Column("webhook_url", sa.Text),
    sa.Column("webhook_secret", sa.Text),
    sa.Column("webhook_state", sa.String(16)),  # pending, sending, sent, failed
    sa.Column("webhook_claimed_at", sa.DateTime),
    sa.Index("ix_service_audits_queue", "status", "submitted_at"),
    sa.Index("ix_service_audits_shop", "shop", "submitted_at"),
    sa.Index("ix_service_audits_token", "token_id", "status"),
)

batches = sa.Table(
    "service_batches",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("shop", sa.String(64), nullable=False),  # the shop of the token that submitted it
    sa.Column("token_id", sa.String(16), nullable=False),
    sa.Column("admin", sa.Boolean, nullable=False),  # submitted with an admin token: its audits may be of any shop
    sa.Column("submitted_at", sa.DateTime, nullable=False),
    sa.Column("size", sa.Integer, nullable=False),  # items asked for, accepted or refused
    sa.Column("refused", sa.Text, nullable=False),  # JSON: [{index, status, detail}] of the items refused
)

# the audits of a batch, in the order asked for (a table of its own: the audit rows are as before)
batch_audits = sa.Table(
    "service_batch_audits",
    metadata,
    sa.Column("batch_id", sa.String(32), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("audit_id", sa.String(32), nullable=False),
)

ACTIVE = ("queued", "running")
WEBHOOK_RESEND_AFTER = timedelta(seconds=60)  # a delivery claimed this long ago was lost with its runner


class StoreError(FeedauditError):
    """The service database cannot be used."""


class QueueFullError(Exception):
    """Too many audits are queued over all shops."""


class TooManyActiveError(Exception):
    """The token has as many audits queued or running as it may."""


class BatchTooLargeError(Exception):
    """A batch's audits do not all fit in the queue, or in the token's share of it (nothing was queued)."""

    def __init__(self, room: int, asked: int) -> None:
        super().__init__(f"room for {room}, asked for {asked}")
        self.room = room
        self.asked = asked


class BatchQueueFullError(BatchTooLargeError):
    """The queue has room for fewer audits than the batch has."""


class BatchTooManyActiveError(BatchTooLargeError):
    """The token may have fewer more audits queued or running than the batch has."""


@dataclass(frozen=True, slots=True)
class Token:
    id: str
    shop: str
    admin: bool
    rate_per_minute: int
    max_active: int
    created_at: datetime
    revoked: bool = False


@dataclass(slots=True)
class Audit:
    """One audit job, without its findings."""

    id: str
    shop: str
    token_id: str
    status: str
    kind: str
    source: str
    name: str
    options: dict[str, Any]
    submitted_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    attempt: int = 0
    bytes_read: int = 0
    bytes_total: int | None = None
    error: str | None = None
    summary: dict[str, Any] | None = None
    delta: dict[str, Any] | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None
    webhook_state: str | None = None


@dataclass(slots=True)
class NewAudit:
    """What a submission asks for."""

    shop: str
    token_id: str
    kind: str
    source: str
    name: str
    options: dict[str, Any] = field(default_factory=dict)
    webhook_url: str | None = None
    webhook_secret: str | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex)


@dataclass(frozen=True, slots=True)
class Batch:
    """A batch of audits submitted in one request: its audits are rows of their own."""

    id: str
    shop: str
    token_id: str
    admin: bool
    submitted_at: datetime
    size: int
    refused: list[dict[str, Any]]
    audit_ids: list[str]


@dataclass(slots=True)
class Result:
    """What a finished audit leaves: its summary, findings (packed), delta, and whether to send its webhook."""

    audit_id: str
    attempt: int
    summary: dict[str, Any]
    findings: bytes
    delta: dict[str, Any] | None
    webhook: bool


class _LeaseLostError(Exception):
    pass


# (the store has a method named `list`, which its annotations would take for the type)
_Audits = list[Audit]
_Rows = list[Any]


def utcnow() -> datetime:
    """Naive UTC, as every DateTime column holds it."""
    return datetime.now(UTC).replace(tzinfo=None)


_SUMMARY_COLUMNS = [c for c in audits.c if c.name != "findings"]

# The statements of every audit, built once with bound parameters: SQLAlchemy then reuses their
# compiled form instead of building, keying and looking up a new statement on every call. (A bound
# parameter in a SET clause may not bear its column's name, hence the `p_` prefix.)
_TOKEN_BY_HASH = sa.select(tokens).where(tokens.c.hash == sa.bindparam("p_hash"))
_AUDIT_BY_ID = sa.select(*_SUMMARY_COLUMNS).where(audits.c.id == sa.bindparam("p_id"))
_AUDIT_OF_SHOP = _AUDIT_BY_ID.where(audits.c.shop == sa.bindparam("p_shop"))
_FINDINGS_BY_ID = sa.select(audits.c.findings).where(audits.c.id == sa.bindparam("p_id"))
_QUEUED = sa.select(sa.func.count()).where(audits.c.status == "queued")
_ACTIVE_OF_TOKEN = sa.select(sa.func.count()).where(
    audits.c.token_id == sa.bindparam("p_token"), audits.c.status.in_(ACTIVE)
)
_INSERT_AUDIT = audits.insert()
_INSERT_BATCH = batches.insert()
_INSERT_BATCH_AUDIT = batch_audits.insert()
_BATCH_BY_ID = sa.select(batches).where(batches.c.id == sa.bindparam("p_id"))
_BATCH_AUDIT_IDS = (
    sa.select(batch_audits.c.audit_id)
    .where(batch_audits.c.batch_id == sa.bindparam("p_id"))
    .order_by(batch_audits.c.position)
)
_BATCH_JOIN = audits.join(batch_audits, batch_audits.c.audit_id == audits.c.id)
_BATCH_AUDITS = (
    sa.select(*_SUMMARY_COLUMNS)
    .select_from(_BATCH_JOIN)
    .where(batch_audits.c.batch_id == sa.bindparam("p_id"))
    .order_by(batch_audits.c.position)
)
_BATCH_STATUSES = (
    sa.select(audits.c.id, audits.c.status)
    .select_from(_BATCH_JOIN)
    .where(batch_audits.c.batch_id == sa.bindparam("p_id"))
    .order_by(batch_audits.c.position)
)
_BATCH_FINDINGS = (
    sa.select(audits.c.id, audits.c.shop, audits.c.findings)
    .select_from(_BATCH_JOIN)
    .where(
        batch_audits.c.batch_id == sa.bindparam("p_id"),
        batch_audits.c.position >= sa.bindparam("p_from"),
        batch_audits.c.position < sa.bindparam("p_to"),
        audits.c.status == "done",
    )
    .order_by(batch_audits.c.position)
)
_NEXT_QUEUED = (
    sa.select(*_SUMMARY_COLUMNS)
    .where(audits.c.status == "queued")
    .order_by(audits.c.submitted_at, audits.c.id)
    .limit(sa.bindparam("p_limit"))
    .with_for_update(skip_locked=True)
)
_TAKE = (
    audits.update()
    .where(audits.c.id.in_(sa.bindparam("p_ids", expanding=True)), audits.c.status == "queued")
    .values(
        status="running",
        attempt=audits.c.attempt + 1,
        lease_owner=sa.bindparam("p_owner"),
        lease_expires=sa.bindparam("p_expires"),
        started_at=sa.bindparam("p_now"),
        bytes_read=0,
        bytes_total=None,
    )
)
_OF_ATTEMPT = audits.update().where(
    audits.c.id == sa.bindparam("p_id"), audits.c.attempt == sa.bindparam("p_attempt"), audits.c.status == "running"
)
_RENEW = _OF_ATTEMPT.values(lease_expires=sa.bindparam("p_expires"))
# what every end of an attempt sets, done or failed: the time, the lease released, the webhook's state
_ENDED: dict[str, object] = {
    "finished_at": sa.bindparam("p_now"),
    "lease_owner": None,
    "lease_expires": None,
    "webhook_state": sa.bindparam("p_webhook"),
}
_FINISH = _OF_ATTEMPT.values(
    status="done",
    summary=sa.bindparam("p_summary"),
    findings=sa.bindparam("p_findings"),
    delta=sa.bindparam("p_delta"),
    **_ENDED,
)
_FAIL = _OF_ATTEMPT.values(status="failed", error=sa.bindparam("p_error"), **_ENDED)


class JobStore:
    """Tokens and audit jobs in one database (`open` creates the tables)."""

    def __init__(self, writer: Engine, reader: Engine, location: str) -> None:
        self._writer = writer
        self._reader = reader
        self.location = location
        # reads of a local SQLite file in WAL mode take well under a millisecond and do not wait for a
        # writer: the API makes them without handing them to a thread (see `Service.read`)
        self.inline_reads = reader.dialect.name == "sqlite"
        # SQLite has one writer at a time: this process's writers queue here, in turn, rather than in
        # SQLite's busy handler, which sleeps and retries
        self._write_lock: threading.Lock | contextlib.nullcontext[None] = (
            threading.Lock() if writer.dialect.name == "sqlite" else contextlib.nullcontext()
        )

    @classmethod
    def open(cls, url: str) -> JobStore:
        try:
            parsed = sa.engine.make_url(url)
        except sa.exc.ArgumentError as exc:
            raise StoreError(f"database {url}: not a database URL ({exc})") from exc
        if parsed.drivername == "postgresql":  # SQLAlchemy 2.0 would pick psycopg2; the extra installs psycopg 3
            parsed = parsed.set(drivername="postgresql+psycopg")
        location = parsed.render_as_string(hide_password=True)
        try:
            # a server connection may have been dropped while idle in the pool (checked before use); a
            # SQLite file's cannot, and the check would cost a statement in every transaction
            sqlite = parsed.get_backend_name() == "sqlite"
            writer = sa.create_engine(parsed, pool_pre_ping=not sqlite)
            reader = sa.create_engine(parsed) if sqlite else writer
        except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as exc:
            raise StoreError(f"database {location}: {exc}") from exc
        if writer.dialect.name == "sqlite":
            _sqlite_transactions(writer, "BEGIN IMMEDIATE")
            _sqlite_transactions(reader, None)
        store = cls(writer, reader, location)
        with store._write() as conn:
            metadata.create_all(conn)
        return store

    def close(self) -> None:
        self._writer.dispose()
        self._reader.dispose()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        try:
            with self._write_lock, self._writer.begin() as conn:
                yield conn
        except sa.exc.DBAPIError as exc:
            raise StoreError(f"database {self.location}: {str(exc.orig).splitlines()[0]}") from exc

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        try:
            with self._reader.connect() as conn:
                yield conn
        except sa.exc.DBAPIError as exc:
            raise StoreError(f"database {self.location}: {str(exc.orig).splitlines()[0]}") from exc

    # -- tokens -----------------------------------------------------------------------------------

    def create_token(
        self, shop: str, *, admin: bool = False, rate_per_minute: int, max_active: int
    ) -> tuple[str, Token]:
        """A new token (the secret is returned here and never again) and its record."""
        secret = new_token()
        record = Token(uuid.uuid4().hex[:12], shop, admin, rate_per_minute, max_active, utcnow())
        with self._write() as conn:
            conn.execute(
                tokens.insert().values(
                    id=record.id,
                    hash=token_hash(secret),
                    shop=shop,
                    admin=admin,
                    rate_per_minute=rate_per_minute,
                    max_active=max_active,
                    created_at=record.created_at,
                    revoked=False,
                )
            )
        return secret, record

    def token_for(self, secret: str) -> Token | None:
        """The live token whose secret this is, or None."""
        with self._read() as conn:
            row = conn.execute(_TOKEN_BY_HASH, {"p_hash": token_hash(secret)}).mappings().first()
        if row is None or row["revoked"]:
            return None
        return _token(row)

    def list_tokens(self) -> list[Token]:
        with self._read() as conn:
            rows = conn.execute(sa.select(tokens).order_by(tokens.c.created_at)).mappings().all()
        return [_token(row) for row in rows]

    def revoke_token(self, token_id: str) -> bool:
        with self._write() as conn:
            return conn.execute(tokens.update().where(tokens.c.id == token_id).values(revoked=True)).rowcount == 1

    # -- submitting and reading -------------------------------------------------------------------

    def submit(self, new: NewAudit, *, max_active: int, queue_limit: int) -> Audit:
        """Queue an audit, unless the queue or the token's share of it is full (checked in the same
        transaction, so two submissions cannot both take the last place)."""
        now = utcnow()
        values: dict[str, Any] = {
            "id": new.id,
            "shop": new.shop,
            "token_id": new.token_id,
            "status": "queued",
            "kind": new.kind,
            "source": new.source,
            "name": new.name,
            "options": json.dumps(new.options),
            "submitted_at": now,
            "attempt": 0,
            "bytes_read": 0,
            "webhook_url": new.webhook_url,
            "webhook_secret": new.webhook_secret,
        }
        with self._write() as conn:
            if conn.execute(_QUEUED).scalar_one() >= queue_limit:
                raise QueueFullError
            if conn.execute(_ACTIVE_OF_TOKEN, {"p_token": new.token_id}).scalar_one() >= max_active:
                raise TooManyActiveError
            conn.execute(_INSERT_AUDIT, values)
        # the row as written (no second query to read it back)
        return Audit(
            id=new.id,
            shop=new.shop,
            token_id=new.token_id,
            status="queued",
            kind=new.kind,
            source=new.source,
            name=new.name,
            options=json.loads(values["options"]),
            submitted_at=now,
            webhook_url=new.webhook_url,
            webhook_secret=new.webhook_secret,
        )

    def submit_batch(
        self,
        new: list[NewAudit],
        *,
        batch_id: str,
        shop: str,
        token_id: str,
        admin: bool,
        size: int,
        refused: list[dict[str, Any]],
        max_active: int,
        queue_limit: int,
    ) -> Batch:
        """Queue a batch's audits, all or none: in one transaction, only if all of them fit in the queue
        and in the token's share of it (BatchQueueFullError, BatchTooManyActiveError otherwise). They are
        queued in the order given (each a microsecond after the one before it)."""
        now = utcnow()
        rows = [
            {
                "id": item.id,
                "shop": item.shop,
                "token_id": item.token_id,
                "status": "queued",
                "kind": item.kind,
                "source": item.source,
                "name": item.name,
                "options": json.dumps(item.options),
                "submitted_at": now + timedelta(microseconds=index),
                "attempt": 0,
                "bytes_read": 0,
                "webhook_url": item.webhook_url,
                "webhook_secret": item.webhook_secret,
            }
            for index, item in enumerate(new)
        ]
        with self._write() as conn:
            if new:
                queued = conn.execute(_QUEUED).scalar_one()
                if queued + len(new) > queue_limit:
                    raise BatchQueueFullError(max(0, queue_limit - queued), len(new))
                active = conn.execute(_ACTIVE_OF_TOKEN, {"p_token": token_id}).scalar_one()
                if active + len(new) > max_active:
                    raise BatchTooManyActiveError(max(0, max_active - active), len(new))
            conn.execute(
                _INSERT_BATCH,
                {
                    "id": batch_id,
                    "shop": shop,
                    "token_id": token_id,
                    "admin": admin,
                    "submitted_at": now,
                    "size": size,
                    "refused": json.dumps(refused),
                },
            )
            if new:
                conn.execute(_INSERT_AUDIT, rows)
                conn.execute(
                    _INSERT_BATCH_AUDIT,
                    [{"batch_id": batch_id, "position": index, "audit_id": item.id} for index, item in enumerate(new)],
                )
        return Batch(batch_id, shop, token_id, admin, now, size, refused, [item.id for item in new])

    def batch(self, batch_id: str, shop: str | None = None) -> Batch | None:
        """The batch, or None when there is none of that id (when `shop` is given: submitted by a shop's
        token of that shop; an admin token's batch may hold other shops' audits)."""
        with self._read() as conn:
            row = conn.execute(_BATCH_BY_ID, {"p_id": batch_id}).mappings().first()
            if row is None or (shop is not None and (row["shop"] != shop or row["admin"])):
                return None
            ids = list(conn.execute(_BATCH_AUDIT_IDS, {"p_id": batch_id}).scalars())
        return Batch(
            row["id"],
            row["shop"],
            row["token_id"],
            bool(row["admin"]),
            row["submitted_at"],
            row["size"],
            json.loads(row["refused"]),
            ids,
        )

    def batch_audits(self, batch_id: str) -> list[Audit]:
        """The audits of a batch, in the order they were asked for."""
        with self._read() as conn:
            return [_audit(row) for row in conn.execute(_BATCH_AUDITS, {"p_id": batch_id}).mappings()]

    def batch_statuses(self, batch_id: str) -> list[tuple[str, str]]:
        """(id, status) of each audit of a batch, in order: what waiting for a batch reads."""
        with self._read() as conn:
            return [(row[0], row[1]) for row in conn.execute(_BATCH_STATUSES, {"p_id": batch_id})]

    def batch_findings(self, batch_id: str, start: int, stop: int) -> list[tuple[str, str, bytes | None]]:
        """(id, shop, packed findings) of the finished audits at positions start to stop - 1 of a batch."""
        with self._read() as conn:
            found = conn.execute(_BATCH_FINDINGS, {"p_id": batch_id, "p_from": start, "p_to": stop})
            return [(row[0], row[1], row[2]) for row in found]

    def get(self, audit_id: str, shop: str | None = None) -> Audit | None:
        """The audit, or None when there is none of that id (of that shop, when `shop` is given)."""
        with self._read() as conn:
            if shop is None:
                row = conn.execute(_AUDIT_BY_ID, {"p_id": audit_id}).mappings().first()
            else:
                row = conn.execute(_AUDIT_OF_SHOP, {"p_id": audit_id, "p_shop": shop}).mappings().first()
        return None if row is None else _audit(row)

    def findings_blob(self, audit_id: str) -> bytes | None:
        with self._read() as conn:
            blob: bytes | None = conn.execute(_FINDINGS_BY_ID, {"p_id": audit_id}).scalar_one_or_none()
            return blob

    def list(self, shop: str | None, *, limit: int = 50, status: str | None = None) -> list[Audit]:
        """The most recent audits, newest first (of one shop, or of all)."""
        query = sa.select(*_SUMMARY_COLUMNS).order_by(audits.c.submitted_at.desc(), audits.c.id).limit(limit)
        if shop is not None:
            query = query.where(audits.c.shop == shop)
        if status is not None:
            query = query.where(audits.c.status == status)
        with self._read() as conn:
            return [_audit(row) for row in conn.execute(query).mappings()]

    def queued_count(self) -> int:
        with self._read() as conn:
            return int(conn.execute(sa.select(sa.func.count()).where(audits.c.status == "queued")).scalar_one())

    # -- running ----------------------------------------------------------------------------------

    def claim(self, owner: str, lease_seconds: float) -> Audit | None:
        """Take the oldest queued audit for `owner`, or None when the queue is empty."""
        claimed = self.claim_many(owner, lease_seconds)
        return claimed[0] if claimed else None

    def claim_many(self, owner: str, lease_seconds: float, most: int = 1, share: int = 1) -> _Audits:
        """Take the oldest queued audits for `owner`, in one transaction: up to `most`, and no more than
        a `share`-th of the queue (rounded up), so that `share` runners claiming in turn each get some;
        none when the queue is empty. The audits are in queue order."""
        while True:
            now = utcnow()
            try:
                candidates = self._take(owner, lease_seconds, most, share, now)
            except _LeaseLostError:  # not while the rows are locked; if ever, nothing was taken
                continue
            claimed = []
            for row in candidates:
                # the row as the update left it (no second query to read it back)
                audit = _audit(row)
                audit.status = "running"
                audit.attempt = row["attempt"] + 1
                audit.started_at = now
                audit.bytes_read = 0
                audit.bytes_total = None
                claimed.append(audit)
            return claimed

    def _take(self, owner: str, lease_seconds: float, most: int, share: int, now: datetime) -> _Rows:
        """The rows of the audits `claim_many` takes (raises _LeaseLostError, writing nothing, if an
        update missed a row)."""
        with self._write() as conn:
            limit = 1
            if most > 1:
                queued = conn.execute(_QUEUED).scalar_one()
                limit = max(1, min(most, -(-queued // max(1, share))))
            candidates = list(conn.execute(_NEXT_QUEUED, {"p_limit": limit}).mappings())
            if not candidates:
                return []
            values = {
                "p_ids": [row["id"] for row in candidates],
                "p_owner": owner,
                "p_expires": now + timedelta(seconds=lease_seconds),
                "p_now": now,
            }
            if conn.execute(_TAKE, values).rowcount != len(candidates):
                raise _LeaseLostError
        return candidates

    def renew(self, audit_id: str, attempt: int, lease_seconds: float) -> bool:
        """Extend the lease; False when this attempt no longer holds it."""
        with self._write() as conn:
            expires = utcnow() + timedelta(seconds=lease_seconds)
            return conn.execute(_RENEW, {"p_id": audit_id, "p_attempt": attempt, "p_expires": expires}).rowcount == 1

    def renew_many(self, attempts: Sequence[tuple[str, int]], lease_seconds: float) -> set[str]:
        """Extend the leases of several audits (id, attempt) in one transaction; the ids whose attempt
        still holds its lease."""
        held = set()
        with self._write() as conn:
            expires = utcnow() + timedelta(seconds=lease_seconds)
            for audit_id, attempt in attempts:
                values = {"p_id": audit_id, "p_attempt": attempt, "p_expires": expires}
                if conn.execute(_RENEW, values).rowcount == 1:
                    held.add(audit_id)
        return held

    def finish(self, results: Sequence[Result]) -> bool:
        """Record finished audits, all in one transaction; False (and nothing written) when any of their
        attempts no longer holds its lease."""
        now = utcnow()
        try:
            with self._write() as conn:
                for result in results:
                    done = conn.execute(
                        _FINISH,
                        {
                            "p_id": result.audit_id,
                            "p_attempt": result.attempt,
                            "p_now": now,
                            "p_summary": json.dumps(result.summary),
                            "p_findings": result.findings,
                            "p_delta": None if result.delta is None else json.dumps(result.delta),
                            "p_webhook": "pending" if result.webhook else None,
                        },
                    ).rowcount
                    if done != 1:
                        raise _LeaseLostError
        except _LeaseLostError:
            return False
        return True

    def fail(self, audit_id: str, attempt: int, error: str, *, webhook: bool) -> bool:
        with self._write() as conn:
            values = {
                "p_id": audit_id,
                "p_attempt": attempt,
                "p_now": utcnow(),
                "p_error": error,
                "p_webhook": "pending" if webhook else None,
            }
            return conn.execute(_FAIL, values).rowcount == 1

    def requeue_expired(self) -> int:
        """Put running audits whose lease ran out back in the queue; how many."""
        with self._write() as conn:
            return conn.execute(
                audits.update()
                .where(audits.c.status == "running", audits.c.lease_expires < utcnow())
                .values(status="queued", lease_owner=None, lease_expires=None)
            ).rowcount

    # -- webhooks ---------------------------------------------------------------------------------

    def claim_webhook(self, audit_id: str | None = None) -> Audit | None:
        """Take a finished audit whose webhook is due (this one, or any), so one runner sends it."""
        now = utcnow()
        due = sa.or_(
            audits.c.webhook_state == "pending",
            sa.and_(audits.c.webhook_state == "sending", audits.c.webhook_claimed_at < now - WEBHOOK_RESEND_AFTER),
        )
        with self._write() as conn:
            query = sa.select(audits.c.id).where(due).limit(1)
            if audit_id is not None:
                query = query.where(audits.c.id == audit_id)
            found = conn.execute(query).scalar_one_or_none()
            if found is None:
                return None
            conn.execute(
                audits.update().where(audits.c.id == found).values(webhook_state="sending", webhook_claimed_at=now)
            )
        return self.get(found)

    def webhook_done(self, audit_id: str, *, sent: bool) -> None:
        with self._write() as conn:
            conn.execute(
                audits.update().where(audits.c.id == audit_id).values(webhook_state="sent" if sent else "failed")
            )


def attempt_update(audit_id: str, attempt: int) -> sa.Update:
    return audits.update().where(audits.c.id == audit_id, audits.c.attempt == attempt, audits.c.status == "running")


def _token(row: Any) -> Token:
    return Token(
        row["id"],
        row["shop"],
        bool(row["admin"]),
        row["rate_per_minute"],
        row["max_active"],
        row["created_at"],
        bool(row["revoked"]),
    )


def _audit(row: Any) -> Audit:
    return Audit(
        id=row["id"],
        shop=row["shop"],
        token_id=row["token_id"],
        status=row["status"],
        kind=row["kind"],
        source=row["source"],
        name=row["name"],
        options=json.loads(row["options"]),
        submitted_at=row["submitted_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        attempt=row["attempt"],
        bytes_read=row["bytes_read"],
        bytes_total=row["bytes_total"],
        error=row["error"],
        summary=None if row["summary"] is None else json.loads(row["summary"]),
        delta=None if row["delta"] is None else json.loads(row["delta"]),
        webhook_url=row["webhook_url"],
        webhook_secret=row["webhook_secret"],
        webhook_state=row["webhook_state"],
    )


def _sqlite_transactions(engine: Engine, begin: str | None) -> None:
    """Let SQLAlchemy start transactions (`begin`: writers take the lock up front), in WAL mode so that
    readers never wait for a writer, waiting up to 30 s for a lock held by another process.

    The reader's `begin` is None: every read of the store is one statement, which SQLite runs on one
    snapshot of its own, so no BEGIN (and rollback) is sent around it."""

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    if begin is not None:

        @sa.event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            conn.exec_driver_sql(begin)
