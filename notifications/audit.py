"""The hash-chained audit trail: one chain per department, one for the Ministry and one system-wide.

Every event stores SHA-256(previous hash in its chain + canonical form of the event), its position `seq` in its
chain, and `mac` = HMAC-SHA256(K, hash) with K derived (HKDF) from the audit signing key (AUDIT_SIGNING_KEY) that the
application hosts hold and the database never sees: the hash chain shows that nothing was changed in between, the MAC
that the application wrote each event (a DBA can recompute hashes, not MACs). The MAC is computed here, in Python;
the key never travels to the database (statement logs, pg_stat_activity).

Rows are appended inside the caller's transaction. The append's UPDATE of its chain's head row (`audit_chain_heads`)
locks that row until commit (PostgreSQL; SQLite serialises every writer with BEGIN IMMEDIATE), so an append waits
only for open transactions that appended to the same chain, i.e. in the same department — never for another
department's.

The canonical form (version 2) is cheap to rebuild from raw rows: a fixed order of length-prefixed fields, among
them the chain, the position and the exact JSON text stored in `data`. Events written before chains existed stay
in the chain "legacy", checked with the canonical JSON they were written with (`legacy_canonical`).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Text, bindparam, cast, insert, select, text, type_coerce, update
from sqlalchemy.orm import Session

from models import AuditChainHead, AuditEvent, Unit, User, plain
from models.audit import TAKEN, department_chain
from models.base import json_text
from workflow import clock
from workflow import events as ev
from workflow.context import CLI, Context

GENESIS = "0" * 64
LEGACY = "legacy"
MINISTRY = "ministry"
SYSTEM = "system"


def chain_for(session: Session, *, actor=None, department_id: int | None = None, unit: Unit | None = None) -> str:
    """The one place that decides which chain an event belongs to.

    The object's department when the receiver knows it (`department_id` of a nomination, council session or
    proposal: always a department; or the issuing `unit` of a decision), else the actor's department, else "system"
    (failed logins, the CLI, accounts without a unit). A unit of the Ministry (a ngành decision, a Ministry
    reviewer) gives "ministry". Reads only what the request has usually loaded already (the user's units)."""
    if department_id is not None:
        return department_chain(department_id)
    if unit is not None:
        return _unit_chain(unit)
    who = getattr(actor, "who", None)
    if who is not None and session.identity_map.get(session.identity_key(User, who.id)) is None:
        # An Actor of a caller's columns (`policy.Who`: every API and page request's) whose User this session never
        # loaded: its department and unit by their ids, the ones the User holds. Asking `actor.user` loaded the User
        # and its roles only to reach them (issue 13: a refused transition ran four statements for its chain, now
        # one, none when the unit is in the session already). A User the session holds may carry changes of this
        # transaction: it is asked as before.
        ids = (who.department_id, who.unit_id)
        owns = (session.get(Unit, unit_id) for unit_id in ids if unit_id is not None)
    else:
        user = getattr(actor, "user", actor)
        owns = (getattr(user, name, None) for name in ("department", "unit"))
    for own in owns:
        if own is not None:
            return _unit_chain(own)
    return SYSTEM


def _unit_chain(unit: Unit) -> str:
    if unit.kind == "ministry":
        return MINISTRY
    return department_chain(unit.department_id or unit.id)


# ------------------------------------------------------------------------------------------------ the MAC key
_MAC_INFO = b"dienhinh audit event MAC v1"
_STATE: dict[str, bytes] = {}


class MacKeyMissing(RuntimeError):
    """An append without the audit key (`configure` was not called: AUDIT_SIGNING_KEY)."""


def mac_key_from(signing_key) -> bytes:
    """K = HKDF-SHA256(the 32 raw bytes of the Ed25519 private key, info "dienhinh audit event MAC v1"): a separate
    key for a separate purpose, derived from the one secret the application hosts already keep."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_MAC_INFO).derive(signing_key.private_bytes_raw())


def configure(signing_key) -> None:
    """Called by the app (so the CLI and the worker) with the AUDIT_SIGNING_KEY private key (Ed25519); None leaves
    the trail unconfigured, and appends then refuse (MacKeyMissing)."""
    _STATE.clear()
    if signing_key is not None:
        _STATE["key"] = mac_key_from(signing_key)


def is_configured() -> bool:
    return "key" in _STATE


def mac_key() -> bytes | None:
    return _STATE.get("key")


def mac_of(key: bytes, hash_: str) -> str:
    return hmac.digest(key, hash_.encode(), "sha256").hex()


def hmac_states(key: bytes):
    """HMAC-SHA256 (RFC 2104) with its two keyed SHA-256 states computed once: per message, copy both, update, done.
    The same MAC as `mac_of`, about twice as fast as `hmac.digest` (which sets the key up on every call)."""
    block = key.ljust(64, b"\0") if len(key) <= 64 else hashlib.sha256(key).digest().ljust(64, b"\0")
    return (hashlib.sha256(bytes(c ^ 0x36 for c in block)), hashlib.sha256(bytes(c ^ 0x5C for c in block)))


# The key of the last `_mac` and its two keyed SHA-256 states (`hmac_states`): one key is configured at a time.
_KEYED: tuple[bytes | None, Any, Any] = (None, None, None)


def _mac(key: bytes, hash_: str) -> str:
    """`mac_of(key, hash_)`, from the key's states computed once (`hmac_states`) instead of on every call: every
    audited event is signed by the same key, and OpenSSL's one-shot HMAC sets the key up each time (issue 13: the
    receiver's MAC was ~2 µs of ~0.7 in a loop, more in a request)."""
    global _KEYED
    known, inner, outer = _KEYED
    if known != key:
        inner, outer = hmac_states(key)
        _KEYED = (key, inner, outer)
    inner = inner.copy()
    inner.update(hash_.encode())
    outer = outer.copy()
    outer.update(inner.digest())
    return outer.hexdigest()


def _require_key() -> bytes:
    key = _STATE.get("key")
    if key is None:
        raise MacKeyMissing("audit MAC key not configured (AUDIT_SIGNING_KEY): events cannot be appended")
    return key


# ------------------------------------------------------------------------------------------------ canonical forms
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)


def _field(value) -> str:
    if value is None:
        return "~"
    text = value if isinstance(value, str) else str(value)
    return f"{len(text)}:{text}"


def canonical_fields(chain, seq, created_at, actor_id, actor_username, action, outcome, object_type, object_id, ip,
                     user_agent, data_text) -> str:
    """Version 2: fixed order, each field as `<length>:<text>` (None as `~`), so no two events share a form;
    `created_at` as integer microseconds since 1970-01-01 UTC, `data_text` the exact JSON text stored."""
    return "".join((
        _field(chain), _field(seq), _field((created_at - _EPOCH) // _MICROSECOND), _field(actor_id),
        _field(actor_username), _field(action), _field(outcome), _field(object_type), _field(object_id), _field(ip),
        _field(user_agent), _field(data_text),
    ))


def hash_of(prev_hash: str, form: str) -> str:
    return hashlib.sha256((prev_hash + form).encode()).hexdigest()


def legacy_canonical(event) -> str:
    """The canonical JSON of the events written before chains (chain "legacy"); `event.data` parsed."""
    return json.dumps(
        {
            "created_at": event.created_at.isoformat(),
            "actor_id": event.actor_id,
            "actor_username": event.actor_username,
            "action": event.action,
            "outcome": event.outcome,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "data": event.data,
            "ip": event.ip,
            "user_agent": event.user_agent,
        },
        sort_keys=True, ensure_ascii=False, separators=(",", ":"),
    )


def compute_hash(prev_hash: str, event: AuditEvent) -> str:
    """The hash an ORM event (or any object with its attributes) should carry, whatever its chain."""
    if event.chain == LEGACY:
        return hash_of(prev_hash, legacy_canonical(event))
    return hash_of(prev_hash, canonical_fields(
        event.chain, event.seq, event.created_at, event.actor_id, event.actor_username, event.action, event.outcome,
        event.object_type, event.object_id, event.ip, event.user_agent, json_text(event.data)))


def _jsonable(data) -> dict:
    """Plain JSON values with keys sorted, so the stored text is the same however the caller built the dict."""
    return json.loads(json.dumps(data or {}, default=str, ensure_ascii=False, sort_keys=True))


def data_text(data) -> str:
    """The text an event's `data` is stored and hashed as, `json_text(_jsonable(data))`, in one pass instead of
    three: the keys sorted at every level, what JSON cannot hold as its `str()`, non-ASCII escaped as `json_text`
    escapes it (`tests/platform/test_audit_chain.py` compares the two over many shapes of data). Issue 13: the
    transition's append serialised its data three times."""
    return json.dumps(data or {}, default=str, sort_keys=True)


# ------------------------------------------------------------------------------------------------ append
def _ensure_head(session: Session, chain: str) -> None:
    """The first append to a new chain inserts its head; a concurrent first append waits on that insert (ON CONFLICT
    DO NOTHING) and then updates the row the winner made."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        session.execute(pg_insert(_HEADS).values(chain=chain, seq=0, prev_hash=GENESIS, hash=GENESIS)
                        .on_conflict_do_nothing(index_elements=["chain"]))
    else:
        session.execute(insert(_HEADS).values(chain=chain, seq=0, prev_hash=GENESIS, hash=GENESIS))


# PostgreSQL: two statements (two round trips), and no fewer: the first takes the chain's next position and hands
# back the hash before it; its UPDATE locks the chain's head row until the end of the transaction, so appenders of
# one chain queue there and nowhere else. Python then computes the hash and the MAC (the key never goes to the
# database, so the MAC cannot be computed by the statement that learns the previous hash), and the second statement
# inserts the event and sets the head in one go. Both are plain SQL text run as the driver's own (psycopg's
# `%(name)s` parameters, no SQLAlchemy types to apply; `models.plain.execute`): they go through the connection's
# execution events as any statement does (counted, logged), without the session's ORM execution path, the compiled
# cache's lookup or SQLAlchemy's execution context and result, which cost more than the statements' own work in
# Python (psycopg prepares both after their fifth run on a connection, and PostgreSQL keeps their generic plans: no
# planning per append).
_TAKE_PG = "UPDATE audit_chain_heads SET seq = seq + 1 WHERE chain = %(head)s RETURNING seq, hash"
_PUT_PG = """
WITH ev AS (
    INSERT INTO audit_events (created_at, actor_id, actor_username, action, outcome, object_type, object_id, data, ip,
                              user_agent, chain, seq, prev_hash, hash, mac)
    VALUES (%(created_at)s, %(actor_id)s, %(actor_username)s, %(action)s, %(outcome)s, %(object_type)s,
            %(object_id)s, CAST(%(data)s AS json), %(ip)s, %(user_agent)s, %(chain)s, %(seq)s, %(prev_hash)s,
            %(hash)s, %(mac)s)
    RETURNING id
)
UPDATE audit_chain_heads SET prev_hash = %(prev_hash)s, hash = %(hash)s FROM ev WHERE chain = %(chain)s RETURNING ev.id
"""


def append(
    session: Session, *, action: str, actor=None, actor_username: str | None = None, object_type: str | None = None,
    object_id: int | None = None, data: dict | None = None, outcome: str = "ok", context: Context = CLI,
    chain: str | None = None,
) -> AuditEvent:
    """Appends one event to `chain` (default: `chain_for` the actor) in the caller's transaction and returns it as
    written (not attached to the session): take the position (locks the chain's head), hash and MAC in Python, insert
    and set the head (PostgreSQL: one statement; SQLite, one writer at a time with BEGIN IMMEDIATE: two)."""
    written = _append(session, action=action, actor=actor, actor_username=actor_username, object_type=object_type,
                      object_id=object_id, data=data, outcome=outcome, context=context, chain=chain)
    return AuditEvent(**written | {"data": json.loads(written["data"])})


def _append(session: Session, *, action: str, actor, actor_username: str | None, object_type: str | None,
            object_id: int | None, data: dict | None, outcome: str, context: Context, chain: str | None) -> dict:
    """`append`'s work, giving the event's columns as written (a dict, `data` as its stored text): the receiver of
    every audited event (`on_event`) has no use for the ORM object, whose construction cost as much as hashing and
    signing the event."""
    key = _require_key()
    user = getattr(actor, "profile", actor)  # an Actor's own columns (no ORM User loaded for them), or a User
    chain = chain or chain_for(session, actor=actor)
    created_at = clock.now()
    actor_id, actor_username = getattr(user, "id", None), actor_username or getattr(user, "username", None)
    text = data_text(dict(data or {}, via=context.via))
    ip, user_agent = context.ip, (context.user_agent or None) and context.user_agent[:500]
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        connection = session.connection()
        taken = session.info.get(TAKEN)
        # The position a statement of this transaction took already (the API's transition, with its step), else
        # taken here.
        row = taken.pop(chain, None) if taken else None
        if row is None:
            row = next(iter(plain.execute(connection, _TAKE_PG, {"head": chain})), None)
        if row is None:
            _ensure_head(session, chain)
            row = next(iter(plain.execute(connection, _TAKE_PG, {"head": chain})), None)
    else:
        row = session.execute(_TAKE, {"head": chain}).first()
        if row is None:
            _ensure_head(session, chain)
            row = session.execute(_TAKE, {"head": chain}).first()
    seq, prev_hash = row
    hash_ = hash_of(prev_hash, canonical_fields(chain, seq, created_at, actor_id, actor_username, action, outcome,
                                                object_type, object_id, ip, user_agent, text))
    params = {"created_at": created_at, "actor_id": actor_id, "actor_username": actor_username, "action": action,
              "outcome": outcome, "object_type": object_type, "object_id": object_id, "data": text, "ip": ip,
              "user_agent": user_agent, "chain": chain, "seq": seq, "prev_hash": prev_hash, "hash": hash_,
              "mac": _mac(key, hash_)}
    if postgres:
        (event_id,), = plain.execute(
            connection, _PUT_PG, params | {"created_at": created_at.astimezone(dt.UTC).replace(tzinfo=None)})
    else:
        event_id = session.execute(_PUT, params).scalar_one()
        session.execute(_SET_HEAD, {"head": chain, "new_prev_hash": prev_hash, "new_hash": hash_})
    return params | {"id": event_id}


@dataclass(frozen=True)
class Entry:
    """One event for `append_many`: the arguments `append` takes, the chain already chosen."""

    action: str
    chain: str
    actor: Any = None
    actor_username: str | None = None
    object_type: str | None = None
    object_id: int | None = None
    data: dict | None = None
    outcome: str = "ok"
    context: Context = CLI


def append_many(session: Session, entries: list[Entry]) -> list[AuditEvent]:
    """Appends `entries` in this order, as consecutive calls of `append` would — the same fields, positions, hashes
    and MACs, one `clock.now()` each — in a few statements whatever their number: per chain (in the order the
    entries first name them) one UPDATE of its head takes all its positions at once (and locks the head, as
    `append` does), then one multi-row INSERT writes the events and one UPDATE sets the head. Returns the events
    as written, in the order of `entries`, without their ids (not attached to the session). A batch of operations
    such as a council's close (hundreds of rejections) appends through here; a single action goes through `append`."""
    if not entries:
        return []
    key = _require_key()
    by_chain: dict[str, list[AuditEvent]] = {}
    written = []
    for e in entries:
        user = getattr(e.actor, "user", e.actor)
        ctx = e.context
        written.append(AuditEvent(
            created_at=clock.now(), actor_id=getattr(user, "id", None),
            actor_username=e.actor_username or getattr(user, "username", None), action=e.action, outcome=e.outcome,
            object_type=e.object_type, object_id=e.object_id, data=_jsonable(dict(e.data or {}, via=ctx.via)),
            ip=ctx.ip, user_agent=(ctx.user_agent or None) and ctx.user_agent[:500], chain=e.chain))
        by_chain.setdefault(e.chain, []).append(written[-1])
    for chain, events in by_chain.items():
        take = (update(_HEADS).where(_HEADS.c.chain == chain).values(seq=_HEADS.c.seq + len(events))
                .returning(_HEADS.c.seq, _HEADS.c.hash))
        row = session.execute(take).first()
        if row is None:
            _ensure_head(session, chain)
            row = session.execute(take).first()
        last_seq, prev = row
        for seq, event in enumerate(events, start=last_seq - len(events) + 1):
            event.seq, event.prev_hash = seq, prev
            event.hash = hash_of(prev, canonical_fields(
                chain, seq, event.created_at, event.actor_id, event.actor_username, event.action, event.outcome,
                event.object_type, event.object_id, event.ip, event.user_agent, json_text(event.data)))
            event.mac = mac_of(key, event.hash)
            prev = event.hash
        # The JSON column writes `data` with the engine's serializer, models.base.json_text: the text hashed above.
        session.execute(insert(_EVENTS), [{c: getattr(event, c) for c in _INSERTED} for event in events])
        session.execute(update(_HEADS).where(_HEADS.c.chain == chain)
                        .values(prev_hash=events[-1].prev_hash, hash=events[-1].hash))
    return written


# Core tables (not the ORM entities): the statements skip the ORM's bulk-persistence path.
_HEADS = AuditChainHead.__table__
_EVENTS = AuditEvent.__table__
_INSERTED = ("created_at", "actor_id", "actor_username", "action", "outcome", "object_type", "object_id", "data", "ip",
             "user_agent", "chain", "seq", "prev_hash", "hash", "mac")
# SQLite's three statements, built once (building and caching a statement per append cost more than running it):
# the chain's next position, the event (its `data` the exact text hashed above, as _PUT_PG stores it), the new head.
_TAKE = (update(_HEADS).where(_HEADS.c.chain == bindparam("head")).values(seq=_HEADS.c.seq + 1)
         .returning(_HEADS.c.seq, _HEADS.c.hash))
_PUT = insert(_EVENTS).values(data=bindparam("data", type_=Text)).returning(_EVENTS.c.id)
_SET_HEAD = (update(_HEADS).where(_HEADS.c.chain == bindparam("head"))
             .values(prev_hash=bindparam("new_prev_hash"), hash=bindparam("new_hash")))


# ------------------------------------------------------------------------------------------------ walking a chain
BROKEN_LINK = "liên kết với sự kiện trước bị đứt (prev_hash không khớp)"
EDITED = "nội dung sự kiện đã bị sửa (hash không khớp)"
GAP = "thiếu sự kiện (số thứ tự trong chuỗi không liên tục)"
FORGED = ("mã xác thực (MAC) của sự kiện không khớp: sự kiện không do ứng dụng ghi (bị giả mạo, hoặc bị sửa rồi "
          "tính lại hash)")


def data_text_column(session: Session):
    """`audit_events.data` as the exact text stored (PostgreSQL `json` keeps it verbatim; SQLite stores text)."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(AuditEvent.data, Text)
    return type_coerce(AuditEvent.data, Text)


@dataclass
class ChainWalk:
    chain: str
    ok: bool
    checked: int  # events checked in this walk
    last_id: int | None  # the last event found intact
    last_seq: int
    last_hash: str
    bad_id: int | None = None
    bad_seq: int | None = None
    problem: str = ""
    complete: bool = True  # False when `max_events` stopped the walk before the end of the chain


def walk_chain(session: Session, chain: str, *, after_seq: int = 0, prev_hash: str = GENESIS,
               after_id: int | None = None, batch: int = 10000, max_events: int | None = None,
               mac_key: bytes | None = None) -> ChainWalk:
    """Checks `chain` after position `after_seq` (whose hash is `prev_hash`): contiguous positions, each event
    linked to the one before, hashing to its stored hash and, with `mac_key`, carrying the MAC of that hash (not the
    legacy chain, which has none). Reads plain rows in batches (a million events never sit in memory, and the
    caller's session keeps its own objects)."""
    if chain != LEGACY and session.get_bind().dialect.name == "postgresql":
        walks = walk_chains_pg(session, {chain: (after_seq, prev_hash)}, from_id=0, batch=batch,
                               max_events=max_events, mac_key=mac_key)
        w = walks[chain]
        if w.last_id is None:
            w.last_id = after_id
        return w
    legacy = chain == LEGACY
    if legacy:
        mac_key = None
    cols = [AuditEvent.id, AuditEvent.seq, AuditEvent.created_at, AuditEvent.actor_id, AuditEvent.actor_username,
            AuditEvent.action, AuditEvent.outcome, AuditEvent.object_type, AuditEvent.object_id, AuditEvent.ip,
            AuditEvent.user_agent, AuditEvent.data if legacy else data_text_column(session),
            AuditEvent.prev_hash, AuditEvent.hash, AuditEvent.mac]
    checked, last_id, last_seq, prev = 0, after_id, after_seq, prev_hash
    sha = hashlib.sha256
    if mac_key is not None:
        inner, outer = hmac_states(mac_key)
    while True:
        size = batch if max_events is None else min(batch, max_events - checked)
        if size <= 0:
            more = session.scalar(select(AuditEvent.id).where(AuditEvent.chain == chain, AuditEvent.seq > last_seq)
                                  .limit(1)) is not None
            return ChainWalk(chain, True, checked, last_id, last_seq, prev, complete=not more)
        rows = session.execute(
            select(*cols).where(AuditEvent.chain == chain, AuditEvent.seq > last_seq).order_by(AuditEvent.seq)
            .limit(size)
        ).all()
        if not rows:
            return ChainWalk(chain, True, checked, last_id, last_seq, prev)
        for r in rows:
            (id_, seq, created_at, actor_id, actor_username, action, outcome, object_type, object_id, ip, user_agent,
             data, prev_hash_, hash_, mac_) = r
            problem = None
            if seq != last_seq + 1:
                problem = GAP
            elif prev_hash_ != prev:
                problem = BROKEN_LINK
            else:
                if legacy:
                    form = legacy_canonical(_LegacyRow(r))
                else:
                    form = canonical_fields(chain, seq, created_at, actor_id, actor_username, action, outcome,
                                            object_type, object_id, ip, user_agent, data)
                if sha((prev + form).encode()).hexdigest() != hash_:
                    problem = EDITED
                elif mac_key is not None:
                    i, o = inner.copy(), outer.copy()
                    i.update(hash_.encode())
                    o.update(i.digest())
                    if o.hexdigest() != mac_:
                        problem = FORGED
            if problem:
                return ChainWalk(chain, False, checked, last_id, last_seq, prev, id_, seq, problem)
            prev, last_id, last_seq = hash_, id_, seq
            checked += 1


def _sql_field(expr: str) -> str:
    """`_field` in SQL: `<length>:<text>`, or `~` for NULL (length(NULL) makes the whole concatenation NULL)."""
    return f"COALESCE(length({expr})::text || ':' || {expr}, '~')"


# `canonical_fields` built by PostgreSQL, so the verifier hashes one text per event instead of rebuilding it from
# twelve columns in Python (the hash is still computed here, not trusted from the database). `created_at` (naive
# UTC) as microseconds since the epoch (exact: extract() returns numeric since PostgreSQL 14); `data` as stored.
_MICROS = "((extract(epoch from created_at) * 1000000)::bigint)::text"
_FORM_SQL = " || ".join(_sql_field(e) for e in (
    "chain", "seq::text", _MICROS, "actor_id::text", "actor_username", "action", "outcome", "object_type",
    "object_id::text", "ip", "user_agent", "data::text"))
_WALK_PG = text(f"SELECT id, seq, prev_hash, hash, {_FORM_SQL} FROM audit_events "
                "WHERE chain = :chain AND seq > :after ORDER BY seq LIMIT :size")

# The verifier's one pass over the non-legacy events in id order, streamed with COPY … TO STDOUT (text format): raw
# blocks of tab-separated lines, far cheaper than fetching rows, and PostgreSQL produces the next blocks while Python
# hashes (two processes, two cores). Every field but `form` is plain ASCII, never escaped; `mac` may be \N (NULL).
_COPY_ALL_PG = ("COPY (SELECT id, chain, seq, prev_hash, hash, mac, {form} FROM audit_events "
                "WHERE id > {after}{upto} AND chain <> 'legacy'{only} ORDER BY id{limit}) TO STDOUT")
_UNESCAPE = {b"b": b"\b", b"f": b"\f", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"v": b"\v", b"\\": b"\\"}
_ESCAPED = re.compile(rb"\\(.)", re.S)


def _unescape(field: bytes) -> bytes:
    """A COPY text-format field as stored: backslash escapes of control characters and of the backslash."""
    return _ESCAPED.sub(lambda m: _UNESCAPE.get(m.group(1), m.group(1)), field)


def raw_connection(session: Session):
    """The psycopg connection under the session (in its transaction)."""
    return session.connection().connection.driver_connection


def copy_lines(raw, *, after_id: int, upto: int | None = None, limit: int | None = None, only: str | None = None):
    """The COPY stream of `_COPY_ALL_PG` on the psycopg connection `raw` (events with after_id < id <= upto), cut into
    lists of lines (about a block's worth each), each line one event's fields as bytes."""
    from psycopg import sql

    stmt = sql.SQL(_COPY_ALL_PG.format(
        form=_FORM_SQL, after="{after}", upto=" AND id <= {upto}" if upto is not None else "",
        only=" AND chain = {only}" if only else "", limit=" LIMIT {limit}" if limit is not None else "",
    )).format(after=sql.Literal(after_id), upto=sql.Literal(upto), only=sql.Literal(only), limit=sql.Literal(limit))
    buf = bytearray()
    with raw.cursor() as cur, cur.copy(stmt) as copy:
        for block in copy:  # libpq hands over one CopyData message, i.e. one row, at a time: gather ~256 kB
            buf += block
            if len(buf) >= 262144:
                end = buf.rindex(b"\n") + 1
                yield bytes(buf[:end]).split(b"\n")[:-1]
                del buf[:end]
    if buf:
        lines = bytes(buf).split(b"\n")
        yield lines[:-1] if not lines[-1] else lines


def _scan(blocks, state: dict, mac_key: bytes | None, firsts: dict | None = None) -> int:
    """The verifier's inner loop over COPY lines; returns the number of rows read. `state[chain bytes]` is [checked,
    last id, last seq, last hash (bytes), first problem or None, positions at or before which rows are skipped]; a
    chain without state is skipped, unless `firsts` is given (a segment of a parallel walk): then the chain starts at
    its first row met, taken as it is and recorded in `firsts[chain] = (id, seq, prev_hash)` for the caller to link to
    the segment before."""
    sha = hashlib.sha256
    inner, outer = hmac_states(mac_key) if mac_key is not None else (None, None)
    get = state.get
    read = 0
    for lines in blocks:
        read += len(lines)
        for line in lines:
            id_, chain, seq, prev_hash_, hash_, mac_, form = line.split(b"\t")
            st = get(chain)
            seq = int(seq)
            if st is None:
                if firsts is None:
                    continue
                firsts[chain] = (int(id_), seq, prev_hash_)
                st = state[chain] = [0, None, seq - 1, prev_hash_, None, 0]
            elif st[4] is not None or seq <= st[5]:
                continue
            if seq != st[2] + 1:
                st[4] = (int(id_), seq, GAP)
                continue
            if prev_hash_ != st[3]:
                st[4] = (int(id_), seq, BROKEN_LINK)
                continue
            if b"\\" in form:
                form = _unescape(form)
            if sha(prev_hash_ + form).hexdigest().encode() != hash_:
                st[4] = (int(id_), seq, EDITED)
                continue
            if inner is not None:
                i = inner.copy()
                i.update(hash_)
                o = outer.copy()
                o.update(i.digest())
                if o.hexdigest().encode() != mac_:
                    st[4] = (int(id_), seq, FORGED)
                    continue
            st[0] += 1
            st[1] = id_
            st[2] = seq
            st[3] = hash_
    return read


def _walks(session: Session, state: dict, stopped: bool) -> dict[str, ChainWalk]:
    walks = {}
    for chain_b, (checked, last_id, last_seq, last_hash, bad, *_) in state.items():
        chain = chain_b.decode()
        last_id = int(last_id) if last_id is not None else None
        if bad is not None:
            walks[chain] = ChainWalk(chain, False, checked, last_id, last_seq, last_hash.decode(), *bad)
            continue
        more = stopped and session.scalar(select(AuditEvent.id).where(
            AuditEvent.chain == chain, AuditEvent.seq > last_seq).limit(1)) is not None
        walks[chain] = ChainWalk(chain, True, checked, last_id, last_seq, last_hash.decode(), complete=not more)
    return walks


def walk_chains_pg(session: Session, starts: dict[str, tuple[int, str]], *, from_id: int = 0, batch: int = 10000,
                   max_events: int | None = None, mac_key: bytes | None = None, jobs: int = 1,
                   min_parallel: int = 100_000) -> dict[str, ChainWalk]:
    """PostgreSQL: checks the chains of `starts` (chain → (after_seq, prev_hash)) in ONE pass over the events in id
    order, which reads the table once instead of once per chain (the chains' events are interleaved on disk). Within
    a chain ids grow with positions (an append takes its position under the head's lock, then its id), so an event
    met out of order is a problem like a missing one. A chain's first problem ends its walk; the others go on.
    `batch` is unused (the rows stream); `max_events` bounds the rows read. With `jobs` > 1, a full walk of at least
    `min_parallel` events is split by id into `jobs` segments checked in parallel processes (walk_chains_parallel)."""
    full = from_id == 0 and all(after == 0 and prev == GENESIS for after, prev in starts.values())
    if jobs > 1 and full and max_events is None and len(starts) > 0:
        walks = walk_chains_parallel(session, starts, mac_key=mac_key, jobs=jobs, min_events=min_parallel)
        if walks is not None:
            return walks
    state = {c.encode(): [0, None, after, prev.encode(), None, after] for c, (after, prev) in starts.items()}
    only = next(iter(starts)) if len(starts) == 1 else None
    read = _scan(copy_lines(raw_connection(session), after_id=from_id, limit=max_events, only=only), state, mac_key)
    return _walks(session, state, stopped=max_events is not None and read >= max_events)


def _segment(url: str, snapshot: str, after_id: int, upto: int | None, mac_key: bytes | None):
    """One segment of a parallel walk, in its own process and connection, in the exported snapshot."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(url) as raw:
        raw.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        raw.read_only = True
        raw.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot)))
        state: dict = {}
        firsts: dict = {}
        _scan(copy_lines(raw, after_id=after_id, upto=upto), state, mac_key, firsts)
        raw.rollback()
    return {chain: (firsts[chain], st[:5]) for chain, st in state.items()}


def walk_chains_parallel(session: Session, starts: dict[str, tuple[int, str]], *, mac_key: bytes | None, jobs: int,
                         min_events: int = 0) -> dict[str, ChainWalk] | None:
    """A full walk of the chains of `starts` split by id into `jobs` segments, each streamed and hashed by its own
    process on its own connection; every segment reads the same snapshot (pg_export_snapshot of the caller's
    transaction), so together they see exactly one consistent table. A segment starts each chain at its first event
    there, as stored; joining the segments in order then checks that this event follows the previous segment's last
    event of the chain (position and hash), so the links across segment boundaries are checked like any other. None
    (the caller walks in one pass) when there are fewer than `min_events` events."""
    import concurrent.futures
    import multiprocessing

    conn = session.connection()
    snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
    lo, hi = conn.execute(text("SELECT min(id), max(id) FROM audit_events")).one()
    if lo is None or hi - lo < max(min_events, jobs):
        return None
    bounds = [0] + [lo + (hi - lo) * k // jobs for k in range(1, jobs)] + [None]
    url = session.get_bind().url.set(drivername="postgresql").render_as_string(hide_password=False)
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs,
                                                mp_context=multiprocessing.get_context("fork")) as pool:
        segments = list(pool.map(_segment, [url] * jobs, [snapshot] * jobs, bounds[:-1], bounds[1:],
                                 [mac_key] * jobs))
    state = {c.encode(): [0, None, after, prev.encode(), None] for c, (after, prev) in starts.items()}
    for segment in segments:
        for chain, ((first_id, first_seq, first_prev), (checked, last_id, last_seq, last_hash, bad)) in \
                segment.items():
            acc = state.get(chain)
            if acc is None or acc[4] is not None:
                continue
            if first_seq != acc[2] + 1:
                acc[4] = (first_id, first_seq, GAP)
            elif first_prev != acc[3]:
                acc[4] = (first_id, first_seq, BROKEN_LINK)
            else:
                acc[0] += checked
                if last_id is not None:
                    acc[1], acc[2], acc[3] = last_id, last_seq, last_hash
                acc[4] = bad
    return _walks(session, state, stopped=False)


class _LegacyRow:
    __slots__ = ("created_at", "actor_id", "actor_username", "action", "outcome", "object_type", "object_id", "data",
                 "ip", "user_agent")

    def __init__(self, r):
        (_, _, self.created_at, self.actor_id, self.actor_username, self.action, self.outcome, self.object_type,
         self.object_id, self.ip, self.user_agent, self.data) = r[:12]


# The distinct chains of the events by a "loose index scan" of the (chain, seq) index: one probe per chain instead of
# reading a million index entries (SELECT DISTINCT did, on both backends).
_EVENT_CHAINS = text("""
WITH RECURSIVE c(chain) AS (
    SELECT min(chain) FROM audit_events
    UNION ALL
    SELECT (SELECT min(chain) FROM audit_events WHERE chain > c.chain) FROM c WHERE c.chain IS NOT NULL
)
SELECT chain FROM c WHERE chain IS NOT NULL
""")


def chains(session: Session) -> list[str]:
    """Every chain with a head or with events, sorted."""
    names = set(session.scalars(select(AuditChainHead.chain)))
    names.update(session.scalars(_EVENT_CHAINS))
    return sorted(names)


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    bad_id: int | None = None
    problem: str = ""
    chain: str | None = None
    bad_seq: int | None = None


def verify(session: Session, batch: int = 10000, mac_key: bytes | None = None) -> VerifyResult:
    """Walks every chain from its first event (with `mac_key`, checking the MACs too); the first problem found,
    naming the chain and the event."""
    checked = 0
    for chain in chains(session):
        w = walk_chain(session, chain, batch=batch, mac_key=mac_key)
        checked += w.checked
        if not w.ok:
            return VerifyResult(False, checked, w.bad_id, w.problem, chain, w.bad_seq)
    return VerifyResult(True, checked)


# ------------------------------------------------------------------------------------------------ receivers
@dataclass(frozen=True)
class Audited:
    """How one kind of event is written to the trail. Callables take the event; `chain` takes (session, event) and
    None means the actor's chain (`chain_for`)."""

    action: Callable[[Any], str]
    object_type: Callable[[Any], str | None]
    object_id: Callable[[Any], int | None]
    data: Callable[[Any], dict | None]
    chain: Callable[[Session, Any], str] | None = None
    outcome: str = "ok"
    actor_username: Callable[[Any], str | None] | None = None


def _fields(*names: str) -> Callable[[Any], dict]:
    return lambda e: {name: getattr(e, name) for name in names}


def _const(value):
    return lambda e: value


def _behalf(actor):
    behalf = getattr(actor, "on_behalf_of", None)
    return behalf.username if behalf is not None else None


def _nomination_chain(session, nomination) -> str:
    return chain_for(session, department_id=nomination.department_id)


def _of_nomination(session, e) -> str:
    return _nomination_chain(session, e.nomination)


def _of_session(session, e) -> str:
    return chain_for(session, department_id=e.council_session.department_id)


def _of_proposal(session, e) -> str:
    return chain_for(session, department_id=e.proposal.department_id)


def _nomination(action: str, data: Callable[[Any], dict]) -> Audited:
    return Audited(_const(action), _const("nomination"), lambda e: e.nomination.id, data, _of_nomination)


def _admin(action: str, object_type: str, id_field: str, *names: str, data=None) -> Audited:
    return Audited(_const(action), _const(object_type), lambda e: getattr(e, id_field), data or _fields(*names))


def _council_session(action: str, data: Callable[[Any], dict]) -> Audited:
    return Audited(_const(f"council_session.{action}"), _const("council_session"), lambda e: e.council_session.id,
                   data, _of_session)


def _proposal(action: str, *names: str) -> Audited:
    return Audited(_const(f"proposal.{action}"), _const("proposal"), lambda e: e.proposal.id,
                   lambda e: dict(_fields(*names)(e), on_behalf_of=_behalf(e.actor)), _of_proposal)


def _story(action: str, *names: str) -> Audited:
    """A story's entry; `revision` (the revision saved or published, since 0018) only when the event carries one, and
    `removed` (what the sanitiser dropped from the body sent: an attempt at a script is worth a trace) only when
    something was, so an event without them is recorded as it always was."""
    def data(e) -> dict:
        out = {"nomination_id": e.story.nomination_id, **_fields(*names)(e)}
        if out.get("revision", 0) is None:
            del out["revision"]
        if removed := getattr(e, "removed", ()):
            out["removed"] = list(removed)
        return out
    return Audited(_const(f"story.{action}"), _const("story"), lambda e: e.story.id, data)


def _calendar(action: str, *names: str) -> Audited:
    return Audited(_const(action), _const("calendar_day"), lambda e: e.day_number,
                   lambda e: {"day": e.day.isoformat(), **_fields(*names)(e)})


def _attachment_data(e) -> dict:
    a = e.attachment
    return {"item_id": a.id, "filename": a.filename, "sha256": a.sha256, "size": a.size, "kind": a.kind,
            "internal": bool(a.internal)}


def _refusal_data(e) -> dict:
    err = e.error
    return {"status": getattr(err, "status", None), "detail": getattr(err, "detail", str(err)),
            "reasons": getattr(err, "reasons", [])}


def _decision_data(e) -> dict:
    d = e.decision
    return {"level": d.level, "number": d.number, "date": d.date.isoformat(), "session_id": d.session_id,
            "signer_title": d.signer_title, "signed_by_name": d.signed_by_name, "signed_as_deputy": d.signed_as_deputy,
            "nomination_ids": [n.id for n in e.nominations], "on_behalf_of": _behalf(e.actor)}


def _of_delegation(session, e) -> str:
    return chain_for(session, department_id=e.delegation.department_id)


def _delegation_data(e) -> dict:
    d = e.delegation
    return {"granted_by": d.director.username, "deputy": d.deputy.username, "deputy_id": d.deputy_id,
            "starts_on": d.starts_on.isoformat(), "ends_on": d.ends_on.isoformat(), "deputy_title": d.deputy_title}


@dataclass(frozen=True)
class Each:
    """A batch event (e.g. NominationsTransitioned): its `field` holds single events, each written as the row its own
    class gives, all in one `append_many`."""

    field: str


# Every audited event: its class -> what the trail records. The actions, object types and data are those the trail
# has always written (the audit review, exports and verification depend on them).
AUDITED: dict[type[ev.Event], Audited | Each] = {
    ev.NominationCreated: _nomination("nomination.create", lambda e: {
        "state": e.nomination.state, "title": e.nomination.title, "unit_id": e.nomination.unit_id,
        "subject_type": e.nomination.subject_type, "campaign_id": e.nomination.campaign_id,
        "on_behalf_of": _behalf(e.actor)}),
    ev.NominationUpdated: _nomination("nomination.update",
                                      lambda e: {"changes": e.changes, "version": e.nomination.version}),
    ev.NominationTransitioned: Audited(
        lambda e: f"nomination.{e.change.action}", _const("nomination"), lambda e: e.nomination.id,
        lambda e: {"before": {"state": e.change.from_state}, "after": {"state": e.change.to_state},
                   "version": e.change.version, "comment": e.change.comment, "data": e.change.data,
                   "on_behalf_of": _behalf(e.actor)}, _of_nomination),
    ev.NominationsTransitioned: Each("steps"),
    ev.NominationAccepted: _nomination("nomination.accept", lambda e: {
        "state": e.nomination.state, "version": e.change.version, "comment": e.change.comment,
        "data": e.change.data, "via_agenda": e.via_agenda, "on_behalf_of": _behalf(e.actor)}),
    ev.CheckinAdded: _nomination("nomination.add_checkin", lambda e: {"item_id": e.checkin.id}),
    ev.AttachmentAdded: _nomination("nomination.add_attachment", _attachment_data),
    ev.ActionRefused: Audited(lambda e: e.action, lambda e: e.object_type, lambda e: e.object_id, _refusal_data,
                              outcome="refused"),
    ev.LoginSucceeded: Audited(_const("auth.login"), _const("user"), lambda e: e.user.id, _const(None)),
    ev.LoginFailed: Audited(_const("auth.login_failed"), _const(None), _const(None), _const(None), outcome="refused",
                            actor_username=lambda e: e.username),
    ev.AccountCreatedFromCli: _admin("user.create", "user", "user_id", "username", "roles", "unit"),
    ev.TokenIssued: _admin("account.token_issue", "user", "user_id", "username", "token_id", "name", "expires_at"),
    ev.TokenRevoked: _admin("account.token_revoke", "user", "user_id", "username", "token_id", "name"),
    ev.TokensRevokedAll: _admin("account.tokens_revoke_all", "user", "user_id", "username", "tokens_revoked"),
    ev.PasswordChanged: _admin("account.password_change", "user", "user_id",
                               data=lambda e: {"username": e.username, **e.signed_out}),
    ev.EmailPreferencesChanged: _admin("account.email_preferences", "user", "user_id", "changes"),
    ev.UnitCreated: _admin("admin.unit_create", "unit", "unit_id", "code", "name", "kind", "parent_id"),
    ev.UnitUpdated: _admin("admin.unit_update", "unit", "unit_id", "changes"),
    ev.UnitReorganised: Audited(lambda e: f"admin.unit_{e.kind}", _const("unit"), lambda e: e.unit_id,
                                lambda e: {"change_id": e.change.id, "effective_date": e.effective_date,
                                           **e.details}),
    ev.PersonCreated: _admin("admin.person_create", "person", "person_id", "full_name", "unit_id"),
    ev.PersonUpdated: _admin("admin.person_update", "person", "person_id", "changes"),
    ev.DisciplineRecorded: _admin("admin.discipline_add", "person", "person_id", "record_id", "form", "decided_on",
                                  "decision_number"),
    ev.AwardRecorded: Audited(_const("admin.award_add"), lambda e: e.subject_type, lambda e: e.subject_id,
                              _fields("record_id", "title", "level", "year", "decision_number")),
    ev.UserCreated: _admin("admin.user_create", "user", "user_id", "username", "roles", "unit_id", "active"),
    ev.UserUpdated: _admin("admin.user_update", "user", "user_id",
                           data=lambda e: {"changes": e.changes, **e.signed_out}),
    ev.UserPasswordReset: _admin("admin.user_password_reset", "user", "user_id",
                                 data=lambda e: {"username": e.username, **e.signed_out}),
    ev.DelegationGranted: Audited(_const("delegation.grant"), _const("delegation"), lambda e: e.delegation.id,
                                  _delegation_data, _of_delegation),
    ev.DelegationEnded: Audited(_const("delegation.end"), _const("delegation"), lambda e: e.delegation.id,
                                lambda e: {**_delegation_data(e), "ends_on_before": e.ends_on_before.isoformat(),
                                           "cancelled": e.cancelled}, _of_delegation),
    ev.CampaignCreated: _admin("campaign.create", "campaign", "campaign_id", data=lambda e: dict(e.campaign)),
    ev.CampaignUpdated: _admin("campaign.update", "campaign", "campaign_id", "changes", "campaign"),
    ev.CalendarDayCreated: _calendar("admin.calendar_day_create", "is_working", "name"),
    ev.CalendarDayUpdated: _calendar("admin.calendar_day_update", "changes"),
    ev.CalendarDayDeleted: _calendar("admin.calendar_day_delete", "is_working", "name"),
    ev.RecordsImported: Audited(lambda e: f"admin.import_{e.kind}", _const("import"), _const(None),
                                _fields("kind", "rows", "created", "filename")),
    ev.CouncilUpdated: _admin("council.update", "council", "council_id", "changes"),
    ev.CouncilMemberSet: _admin("council.member_set", "council", "council_id", "user_id", "function", "active"),
    ev.SessionScheduled: _council_session("scheduled", _fields("date", "campaign_id")),
    ev.SessionRescheduled: _council_session("rescheduled", _fields("changes", "version")),
    ev.SessionCancelled: _council_session("cancelled", _fields("reason", "nomination_ids")),
    ev.AgendaSet: _council_session("agenda_set", _fields("nomination_ids")),
    ev.ListPublished: _council_session("published", _fields("comments_until", "working_days")),
    ev.AttendanceRecorded: _council_session("attendance", _fields("present", "members")),
    ev.SessionOpened: _council_session("opened", _const({})),
    ev.SessionClosed: _council_session("closed", _fields("quorum_met", "present", "members", "not_voted", "results")),
    ev.TieResolved: _council_session("tie_resolved", _fields("chosen", "tied")),
    ev.CommentAdded: _council_session("comment", lambda e: {"nomination_id": e.comment.nomination_id,
                                                            "comment_id": e.comment.id}),
    # That a vote was cast on an item, by whom: never what was chosen.
    ev.VoteCast: _council_session("vote_cast", lambda e: {"nomination_id": e.item.nomination_id}),
    ev.DecisionIssued: Audited(_const("decision.issue"), _const("decision"), lambda e: e.decision.id, _decision_data,
                               lambda session, e: chain_for(session, unit=e.decision.issuer)),
    ev.ProposalCreated: _proposal("create", "nomination_ids"),
    ev.ProposalItemsSet: _proposal("set_items", "nomination_ids"),
    ev.ProposalSubmitted: _proposal("submit", "number", "date", "nomination_ids"),
    ev.StoryCreated: _story("create", "title", "channel"),
    ev.StoryUpdated: _story("update", "fields", "version", "revision"),
    ev.StoryRevised: _story("revise", "fields", "version", "revision"),
    ev.StoryPublished: _story("publish", "channel", "version", "revision"),
    ev.StoryRevisionPublished: _story("publish_revision", "version", "revision", "previous"),
    ev.StoryRevisionDiscarded: _story("discard_revision", "version", "revision"),
    ev.StoryUnpublished: _story("unpublish", "version", "revision"),
    ev.StoryImageAdded: _story("add_image", "image_id", "sha256", "size"),
    ev.StoryImageRemoved: _story("remove_image", "image_id"),
    ev.IntroductionCreated: _admin("introduction.create", "monthly_introduction", "introduction_id",
                                   data=lambda e: dict(e.introduction)),
    ev.IntroductionDeleted: _admin("introduction.delete", "monthly_introduction", "introduction_id",
                                   data=lambda e: dict(e.introduction)),
    ev.ThemesUpdated: _admin("themes.update", "propaganda_calendar", "department_id", "year", "changes"),
}
# Events that are not written to the trail: what they say is already recorded by another event (a recognition is
# the transition's event) or they change nothing (locks).
NOT_AUDITED = (ev.NominationsLocked, ev.ExampleRecognised)


def on_event(session, *, event, **_):
    """The one receiver of every audited event: appends what AUDITED says, in the sender's transaction."""
    spec = AUDITED[type(event)]
    if isinstance(spec, Each):
        append_many(session, [_entry(session, step) for step in getattr(event, spec.field)])
        return
    _append(session, action=spec.action(event), actor=event.actor,
            actor_username=spec.actor_username(event) if spec.actor_username else None,
            object_type=spec.object_type(event), object_id=spec.object_id(event), data=spec.data(event),
            outcome=spec.outcome, context=event.context,
            chain=spec.chain(session, event) if spec.chain else None)


def _entry(session, event) -> Entry:
    """The row a single event is written as (what `on_event` appends for it), for `append_many`."""
    spec = AUDITED[type(event)]
    return Entry(action=spec.action(event), actor=event.actor,
                 actor_username=spec.actor_username(event) if spec.actor_username else None,
                 object_type=spec.object_type(event), object_id=spec.object_id(event), data=spec.data(event),
                 outcome=spec.outcome, context=event.context,
                 chain=spec.chain(session, event) if spec.chain else chain_for(session, actor=event.actor))


def on_nominations_locked(session, *, event, **_):
    """An operation over nominations of several departments (a ngành decision) appends to several chains; two such
    operations appending in different orders would each hold one chain's head and wait for the other's. Their heads
    are locked here, sorted by chain, before any of them is written: every transaction takes head locks in one order
    ("dept:…" before "ministry" before "system", which appends reach later in any transaction). One chain only needs
    no early lock. SQLite's BEGIN IMMEDIATE already serialises writers."""
    if session.get_bind().dialect.name != "postgresql":
        return
    chains = sorted({_nomination_chain(session, n) for n in event.nominations})
    if len(chains) < 2:
        return
    for chain in chains:
        _ensure_head(session, chain)
    session.execute(select(_HEADS.c.chain).where(_HEADS.c.chain.in_(chains)).order_by(_HEADS.c.chain)
                    .with_for_update()).all()

