"""The hash-chained audit trail: one chain per department (and one for the Ministry, one system-wide, and the
closed "legacy" chain of events written before chains existed). Rows are only ever inserted; `notifications.audit`
writes them. On PostgreSQL a trigger refuses UPDATE and DELETE on the events and on the signed checkpoints."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import DDL, ForeignKey, Index, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_object", "object_type", "object_id", "id"),
        # The trail filtered by a kind of object alone, newest first (migration 0029): the index above does not hold
        # one kind's events in id order, so SQLite sorted all of a kind's (~834k of 1M) for each page.
        Index("ix_audit_events_object_type", "object_type", "id"),
        Index("ix_audit_events_actor", "actor_id", "id"),
        # Failed logins carry only a username; filtering by actor reads it through this index.
        Index("ix_audit_events_actor_username", "actor_username", "id"),
        Index("ix_audit_events_action", "action", "id"),
        Index("ix_audit_events_created_at", "created_at"),
        Index("ix_audit_events_outcome", "outcome", "id"),  # "the refused actions" without scanning the trail
        # One position per chain: two writers can never both append after the same event (no fork), and the
        # verification walks a chain in this order.
        UniqueConstraint("chain", "seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_username: Mapped[str | None] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(60))
    outcome: Mapped[str] = mapped_column(String(20), default="ok")  # ok | refused | failed
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[int | None]
    data: Mapped[dict] = mapped_column(default=dict)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(Text)
    # "dept:<unit id>", "ministry", "system", or "legacy" (the single chain of events written before chains).
    chain: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int]  # 1, 2, 3 … within the chain
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # HMAC-SHA256 of `hash` under a key derived from AUDIT_SIGNING_KEY (notifications.audit): the application wrote
    # this event. NULL only in the legacy chain.
    mac: Mapped[str | None] = mapped_column(String(64))


class AuditChainHead(Base):
    """The newest event of each chain. An append locks its chain's row (SELECT … FOR UPDATE), so appends in one
    department wait only for that department's open transactions; a checkpoint signs these heads."""

    __tablename__ = "audit_chain_heads"

    chain: Mapped[str] = mapped_column(String(40), primary_key=True)
    seq: Mapped[int] = mapped_column(default=0)
    prev_hash: Mapped[str] = mapped_column(String(64))  # the hash before `hash` (lets one UPDATE hand back both)
    hash: Mapped[str] = mapped_column(String(64))


class AuditCount(Base):
    """How many events each chain holds per bucket of ids and kind (object type, action, outcome): what a filter of
    the trail by kind counts and where page N of it starts, without walking the events (issue 13's deep pages).

    Written only by a trigger on `audit_events` (COUNT_TRIGGER_STATEMENTS; migration 0024), in the insert's own
    transaction, whoever inserts: a rolled-back append leaves no count. The append is serialised per chain by the
    chain's head (`audit_chain_heads`, FOR UPDATE), so a counter row, keyed by its chain, is only ever written by one
    transaction at a time: departments never wait for each other on it. Rows of events deleted behind the
    application's back stay counted: `notifications.audit_verify` compares the counts with the rows per chain."""

    __tablename__ = "audit_counts"

    chain: Mapped[str] = mapped_column(String(40), primary_key=True)
    bucket: Mapped[int] = mapped_column(primary_key=True)  # id // COUNT_BUCKET
    object_type: Mapped[str] = mapped_column(String(40), primary_key=True)  # '' for none
    action: Mapped[str] = mapped_column(String(60), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(20), primary_key=True)
    n: Mapped[int]


# Ids per bucket of `audit_counts`: a deep page walks at most this many events of the filter's index. Baked into the
# trigger (and into the migration that backfilled the counts): changing it needs a migration that recounts.
COUNT_BUCKET = 8192

# One upsert per row, on both databases: a row trigger costs less per single append (the transition's) than a
# statement trigger with its transition table (+35-40 against +55-80 µs of the backend's CPU, bench/README.md,
# "Seventh increment").
COUNT_FUNCTION = f"""
CREATE OR REPLACE FUNCTION audit_counts_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_counts AS c (chain, bucket, object_type, action, outcome, n)
    VALUES (NEW.chain, NEW.id / {COUNT_BUCKET}, coalesce(NEW.object_type, ''), NEW.action, NEW.outcome, 1)
    ON CONFLICT (chain, bucket, object_type, action, outcome) DO UPDATE SET n = c.n + 1;
    RETURN NULL;
END
$$
"""
COUNT_TRIGGER_STATEMENTS = {
    "postgresql": [COUNT_FUNCTION,
                   "CREATE TRIGGER audit_events_count AFTER INSERT ON audit_events FOR EACH ROW "
                   "EXECUTE FUNCTION audit_counts_add()"],
    "sqlite": [f"CREATE TRIGGER audit_events_count AFTER INSERT ON audit_events BEGIN "
               f"INSERT INTO audit_counts (chain, bucket, object_type, action, outcome, n) "
               f"VALUES (NEW.chain, NEW.id / {COUNT_BUCKET}, coalesce(NEW.object_type, ''), NEW.action, "
               f"NEW.outcome, 1) "
               f"ON CONFLICT (chain, bucket, object_type, action, outcome) DO UPDATE SET n = n + 1; END"],
}


@event.listens_for(Base.metadata, "after_create")
def _counts_after_create(target, connection, **kw) -> None:
    """A database built from the metadata (tests) gets the migration's trigger."""
    tables = kw.get("tables")
    if tables is not None and AuditCount.__table__ not in tables:
        return
    for statement in COUNT_TRIGGER_STATEMENTS.get(connection.dialect.name, ()):
        connection.execute(DDL(statement))


def department_chain(department_id: int) -> str:
    """The name of a department's chain (`notifications.audit.chain_for` decides which chain an event belongs to)."""
    return f"dept:{department_id}"


# session.info: {chain: (seq, prev_hash)}, a position a write statement took for the next append to its chain (the
# API's transition takes it with its step: one round trip fewer), consumed by that append
# (`notifications.audit._append`). A position taken and not consumed would leave a gap in the chain: the commit
# refuses it (below), and the end of the transaction forgets it.
TAKEN = "dienhinh.audit.taken"


class PositionNotAppended(RuntimeError):
    """A chain position was taken in this transaction and no event was appended at it."""


@event.listens_for(Session, "before_commit")
def _no_position_left(session: Session) -> None:
    if session.info.get(TAKEN):
        raise PositionNotAppended(f"audit chain positions taken and not appended: {session.info[TAKEN]}")


@event.listens_for(Session, "after_transaction_end")
def _forget_positions(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(TAKEN, None)


class AuditCheckpoint(Base):
    """A signed head of one chain (`dienhinh audit checkpoint`). The same lines are appended to files outside the
    database; verification trusts the signature (Ed25519, key outside the database), not this table."""

    __tablename__ = "audit_checkpoints"
    __table_args__ = (Index("ix_audit_checkpoints_chain", "chain", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chain: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int]
    hash: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    key_id: Mapped[str] = mapped_column(String(16))  # first 16 hex digits of SHA-256 of the raw public key
    signature: Mapped[str] = mapped_column(String(100))  # base64 of the 64-byte Ed25519 signature


class AuditVerification(Base):
    """The result of one check of the chain (`dienhinh audit verify`, or the audit page's button).

    Checking a million events takes tens of seconds, too long for a page: the page shows the latest result, and
    a new check starts from the last event an intact check reached (`last_event_id`, `last_hash`), so it reads only
    what was appended since. A full check (`full=True`) starts again from the first event."""

    __tablename__ = "audit_verifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    checked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    checked_by: Mapped[str | None] = mapped_column(String(80))  # a username, or "cli"
    full: Mapped[bool] = mapped_column(default=False)
    ok: Mapped[bool]
    events_checked: Mapped[int] = mapped_column(default=0)
    last_event_id: Mapped[int | None]  # the last event known intact
    last_hash: Mapped[str | None] = mapped_column(String(64))
    first_bad_id: Mapped[int | None]
    message: Mapped[str] = mapped_column(Text, default="")
    # NULL: the summary of one check (every chain and every checkpoint); otherwise the result for that chain.
    chain: Mapped[str | None] = mapped_column(String(40))
    last_seq: Mapped[int | None]  # in `chain`: the last position known intact
    first_bad_seq: Mapped[int | None]


# PostgreSQL refuses UPDATE and DELETE of audit events and checkpoints, whoever asks (the application's role should
# not even hold those privileges: README "Least-privilege database role"). The same statements are in migration
# 0010; tests build the schema from the metadata, hence these listeners. TRUNCATE is a separate privilege.
APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
        MESSAGE = 'audit trail is append-only: ' || TG_OP || ' on ' || TG_TABLE_NAME || ' refused';
END
$$
"""


def _append_only(table: str) -> None:
    target = Base.metadata.tables[table]
    event.listen(target, "after_create", DDL(APPEND_ONLY_FUNCTION).execute_if(dialect="postgresql"))
    event.listen(target, "after_create", DDL(
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION audit_append_only()").execute_if(dialect="postgresql"))


_append_only("audit_events")
_append_only("audit_checkpoints")
