"""Checks of the audit chains with a stored result (models.AuditVerification), for the audit page and the CLI.

One check walks every chain and holds the database against every signed checkpoint it can find (the checkpoint
directory, files given on the command line, and the copies in `audit_checkpoints`, whose signatures are what counts).
It records one AuditVerification per chain (`chain` set) and a summary (`chain` NULL) whose `ok` is the verdict.

A full check walks each chain from its first event. An incremental check starts each chain from the last position an
intact check of that chain reached (`last_seq`, `last_hash`): it re-checks that anchor event (still there, same
hash, its own hash still matching its content), then walks only what was appended since. Each complete walk ends at
the chain's head (`audit_chain_heads`), so a truncated tail is caught even before a checkpoint covers it.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import Session

from models import AuditChainHead, AuditCheckpoint, AuditCount, AuditEvent, AuditVerification, Unit
from models.audit import COUNT_BUCKET
from notifications import audit
from notifications import audit_checkpoints as cps
from notifications.audit import GENESIS, LEGACY, MINISTRY, SYSTEM, ChainWalk, chains, walk_chain, walk_chains_pg
from workflow.context import CLI, Context

TRUNCATED = "mất sự kiện cuối chuỗi (đầu chuỗi ghi nhận #{head}, cơ sở dữ liệu chỉ còn đến #{last})"
HEAD_MISMATCH = "đầu chuỗi ghi nhận #{head} với hash khác sự kiện cuối cùng"
COUNTS_DISAGREE = ("số sự kiện đã ghi nhận khi ghi ({counted}) khác số sự kiện còn trong cơ sở dữ liệu ({held}): "
                   "có sự kiện bị xóa hoặc chèn ngoài ứng dụng")
ANCHOR_GONE = "sự kiện đã được xác nhận toàn vẹn ở lần kiểm tra trước không còn hoặc đã bị sửa"


def latest(session: Session) -> AuditVerification | None:
    """The summary of the latest check."""
    return session.scalar(select(AuditVerification).where(AuditVerification.chain.is_(None))
                          .order_by(AuditVerification.id.desc()).limit(1))


def latest_per_chain(session: Session) -> list[AuditVerification]:
    """The latest result of each chain, sorted by chain."""
    newest = (select(func.max(AuditVerification.id)).where(AuditVerification.chain.is_not(None))
              .group_by(AuditVerification.chain))
    return list(session.scalars(select(AuditVerification).where(AuditVerification.id.in_(newest))
                                .order_by(AuditVerification.chain)))


def latest_for_chain(session: Session, chain: str) -> AuditVerification | None:
    return session.scalar(select(AuditVerification).where(AuditVerification.chain == chain)
                          .order_by(AuditVerification.id.desc()).limit(1))


def newest_checkpoint(session: Session) -> AuditCheckpoint | None:
    return session.scalar(select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1))


def chain_label(session: Session, chain: str) -> str:
    """Vietnamese name of a chain for pages and messages, e.g. "dept:3" → "Sở Tư pháp tỉnh An Giang"."""
    if chain.startswith("dept:") and chain[5:].isdigit():
        unit = session.get(Unit, int(chain[5:]))
        return unit.name if unit is not None else f"Đơn vị #{chain[5:]}"
    return {MINISTRY: "Bộ Tư pháp", SYSTEM: "Toàn hệ thống", LEGACY: "Chuỗi cũ (trước khi tách theo Sở)"}.get(
        chain, chain)


def _anchor(session: Session, chain: str) -> AuditVerification | None:
    return session.scalar(
        select(AuditVerification)
        .where(AuditVerification.chain == chain, AuditVerification.ok.is_(True),
               AuditVerification.last_seq.is_not(None), AuditVerification.last_seq > 0)
        .order_by(AuditVerification.id.desc()).limit(1)
    )


def _vn(n: int) -> str:
    return f"{n:,}".replace(",", ".")


@dataclass
class ChainResult:
    chain: str
    walk: ChainWalk
    incremental: bool
    base: int = 0  # events known intact before this walk (incremental)
    problems: list[cps.Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.walk.ok and not self.problems


def _start(session: Session, chain: str, full: bool):
    """Where a check of `chain` starts: (after_seq, prev_hash, the incremental anchor or None), or a failed result
    when the anchor event an earlier check found intact is gone or changed."""
    anchor = None if full else _anchor(session, chain)
    if anchor is None:
        return 0, GENESIS, None, None
    row = session.execute(select(AuditEvent.id, AuditEvent.prev_hash, AuditEvent.hash)
                          .where(AuditEvent.chain == chain, AuditEvent.seq == anchor.last_seq)).first()
    if row is None or row.hash != anchor.last_hash:
        w = ChainWalk(chain, False, 0, None, 0, "", anchor.last_event_id, anchor.last_seq, ANCHOR_GONE)
        return None, None, anchor, ChainResult(chain, w, True)
    # Re-walk the anchor event itself (its content must still give its hash), then what follows.
    return anchor.last_seq - 1, row.prev_hash, anchor, None


def _result(chain: str, w: ChainWalk, anchor) -> ChainResult:
    if anchor is None:
        return ChainResult(chain, w, False)
    w.checked = max(w.checked - 1, 0)  # the anchor event, re-checked, was counted by the earlier check
    return ChainResult(chain, w, True, base=anchor.events_checked or 0)


def _head_check(session: Session, result: ChainResult) -> None:
    """A complete walk must end at the chain's head: fewer events means a truncated tail."""
    w, chain = result.walk, result.chain
    if not (w.ok and w.complete):
        return
    head = session.execute(select(AuditChainHead.seq, AuditChainHead.hash)
                           .where(AuditChainHead.chain == chain)).first()
    head_seq, head_hash = (head.seq, head.hash) if head is not None else (0, None)
    if w.last_seq < head_seq:
        result.problems.append(cps.Problem(chain, w.last_seq + 1, TRUNCATED.format(head=head_seq, last=w.last_seq)))
    elif w.last_seq > 0 and (w.last_seq > head_seq or w.last_hash != head_hash):
        result.problems.append(cps.Problem(chain, w.last_seq, HEAD_MISMATCH.format(head=head_seq)))


def _walk_all(session: Session, *, full: bool, batch: int, max_events: int | None,
              mac_key: bytes | None, jobs: int = 1) -> dict[str, ChainResult]:
    """Every chain: on PostgreSQL the department chains in one pass over the table (walk_chains_pg), the legacy
    chain on its own; on SQLite chain by chain."""
    results: dict[str, ChainResult] = {}
    one_pass = session.get_bind().dialect.name == "postgresql"
    starts, anchors, from_ids = {}, {}, []
    budget = max_events
    for chain in chains(session):
        after, prev, anchor, failed = _start(session, chain, full)
        if failed is not None:
            results[chain] = failed
        elif one_pass and chain != LEGACY:
            starts[chain], anchors[chain] = (after, prev), anchor
            from_ids.append(0 if anchor is None else (anchor.last_event_id or 1) - 1)
        else:
            w = walk_chain(session, chain, after_seq=after, prev_hash=prev, batch=batch,
                           max_events=None if budget is None else budget + (anchor is not None), mac_key=mac_key)
            results[chain] = _result(chain, w, anchor)
            if budget is not None:
                budget = max(budget - results[chain].walk.checked, 0)
    if starts:
        rechecked = sum(a is not None for a in anchors.values())  # anchor events walked again
        walks = walk_chains_pg(session, starts, from_id=min(from_ids), batch=batch,
                               max_events=None if budget is None else budget + rechecked, mac_key=mac_key,
                               jobs=jobs)
        for chain, w in walks.items():
            results[chain] = _result(chain, w, anchors[chain])
    for r in results.values():
        _head_check(session, r)
    return dict(sorted(results.items()))


def check(session: Session, *, checked_by: str | None, full: bool = False, batch: int = 10000,
          max_events: int | None = None, actor=None, context: Context = CLI, public_key=None,
          checkpoint_paths: Iterable = (), check_macs: bool = True, jobs: int = 1) -> AuditVerification:
    """Checks every chain (incrementally unless `full`) and, with `public_key`, every checkpoint of
    `checkpoint_paths` (directories or files) and of the database; with `check_macs` and the audit key configured
    (notifications.audit.configure), the MAC of every event outside the legacy chain. Records the results and
    audits the check itself (action "audit.verify"). `jobs` > 1: a full check of a large trail on PostgreSQL hashes
    in that many processes (the command line; never a web request). Returns the summary. Flushes; the caller
    commits."""
    mac_key = audit.mac_key() if check_macs else None
    results = _walk_all(session, full=full, batch=batch, max_events=max_events, mac_key=mac_key, jobs=jobs)

    checkpoints_checked, stray = 0, []
    if public_key is not None:
        found, stray = cps.read_files(checkpoint_paths)
        checkpoints_checked, problems = cps.check_checkpoints(session, public_key, [*found, *cps.stored(session)])
        for p in problems:
            if p.chain not in results:
                stray.append(p)
            else:
                results[p.chain].problems.append(p)

    for p in count_problems(session):
        (results[p.chain].problems if p.chain in results else stray).append(p)

    records = [_chain_record(session, r, checked_by) for r in results.values()]
    complete = all(r.walk.complete for r in results.values())
    bad = [rec for rec in records if not rec.ok]
    total = sum(rec.events_checked for rec in records)
    checked_now = sum(r.walk.checked for r in results.values())
    if bad or stray:
        parts = [rec.message for rec in bad] + [f"chuỗi {p.chain}: {p.message}." for p in stray]
        message = "Nhật ký KHÔNG toàn vẹn. " + " ".join(parts)
    else:
        message = (f"Nhật ký toàn vẹn: {len(records)} chuỗi, {_vn(total)} sự kiện "
                   f"(kiểm tra lần này {_vn(checked_now)}), ")
        if public_key is None:
            message += "các điểm kiểm tra chưa được đối chiếu (không có khóa kiểm tra chữ ký)."
        elif checkpoints_checked:
            message += f"{_vn(checkpoints_checked)} điểm kiểm tra đã ký khớp."
        else:
            message += "chưa có điểm kiểm tra đã ký để đối chiếu."
        if mac_key is None:
            message += (" Chưa kiểm tra được mã xác thực (MAC) của từng sự kiện (cần khóa ký của ứng dụng, "
                        "AUDIT_SIGNING_KEY): sự kiện giả mạo ghi thêm sau điểm kiểm tra mới nhất chưa bị loại trừ.")
        if not complete:
            message += " Còn sự kiện mới hơn chưa kiểm tra; bấm Kiểm tra lại để tiếp tục."
    first_bad = bad[0] if bad else None
    summary = AuditVerification(
        checked_by=checked_by, full=full or all(not r.incremental for r in results.values()),
        ok=not bad and not stray, events_checked=total, last_event_id=None, last_hash=None,
        first_bad_id=first_bad.first_bad_id if first_bad else None,
        first_bad_seq=first_bad.first_bad_seq if first_bad else None, message=message, chain=None,
    )
    session.add(summary)
    session.flush()
    # The trail records its own check directly: this is the receiving side, not an event of the workflow.
    audit.append(
        session, actor=actor, action="audit.verify", object_type="audit_verification", object_id=summary.id,
        data={"ok": summary.ok, "full": summary.full, "events_checked": total, "checked_now": checked_now,
              "chains": len(records), "checkpoints": checkpoints_checked, "complete": complete,
              "macs_checked": mac_key is not None,
              "bad_chains": [rec.chain for rec in bad]},
        context=context,
    )
    return summary


def count_problems(session: Session) -> list[cps.Problem]:
    """The chains whose events, counted by the insert trigger (`audit_counts`, what the audit list's totals and deep
    pages read), are not the rows the table holds: events deleted (or inserted with the trigger disabled) behind the
    application's back. One problem per chain, naming the first bucket of ids where they disagree. Each comparison is
    one statement (one snapshot: an append committed meanwhile is in both sides or in neither)."""
    problems = []
    for chain, held, counted in session.execute(_disagreeing(AuditEvent.chain, AuditCount.chain)).all():
        buckets = _disagreeing(AuditEvent.id // COUNT_BUCKET, AuditCount.bucket, chain=chain).subquery()
        first = session.scalar(select(func.min(buckets.c.key)))
        where = (f"; khác từ khoảng id {_vn(first * COUNT_BUCKET)}–{_vn((first + 1) * COUNT_BUCKET - 1)}"
                 if first is not None else "")
        problems.append(cps.Problem(chain, None, COUNTS_DISAGREE.format(counted=_vn(int(counted)), held=_vn(int(held)))
                                    + where))
    return problems


def _disagreeing(event_key, count_key, chain: str | None = None):
    """(key, rows held, rows counted) for each key (a chain, or a bucket of one chain) where the two differ."""
    held = select(event_key.label("key"), func.count().label("held"), literal(0).label("counted"))
    counted = select(count_key.label("key"), literal(0).label("held"), func.sum(AuditCount.n).label("counted"))
    if chain is not None:
        held, counted = held.where(AuditEvent.chain == chain), counted.where(AuditCount.chain == chain)
    both = union_all(held.group_by(event_key), counted.group_by(count_key)).subquery()
    return (select(both.c.key, func.sum(both.c.held), func.sum(both.c.counted)).group_by(both.c.key)
            .having(func.sum(both.c.held) != func.sum(both.c.counted)).order_by(both.c.key))


def _chain_record(session: Session, r: ChainResult, checked_by: str | None) -> AuditVerification:
    w = r.walk
    total = r.base + w.checked
    name = f"chuỗi {r.chain} ({chain_label(session, r.chain)})"
    scope = "phần ghi thêm từ lần kiểm tra trước" if r.incremental else "toàn bộ chuỗi"
    if not w.ok:
        message = (f"{name} bị phá vỡ tại #{w.bad_seq} (sự kiện id {w.bad_id}): {w.problem} "
                   f"(kiểm tra {scope}, {_vn(w.checked)} sự kiện trước đó toàn vẹn).")
        if r.problems:  # what the signed checkpoints say too
            message += " Đối chiếu điểm kiểm tra: " + "; ".join(f"#{p.seq}: {p.message}" for p in r.problems) + "."
        bad_seq, bad_id = w.bad_seq, w.bad_id
    elif r.problems:
        first = r.problems[0]
        at = f" tại #{first.seq}" if first.seq is not None else ""
        message = f"{name} không khớp{at}: " + "; ".join(p.message for p in r.problems) + "."
        bad_seq, bad_id = first.seq, None
    elif not w.complete:
        message = f"{name}: đã kiểm tra đến #{w.last_seq} ({_vn(w.checked)} sự kiện): toàn vẹn, còn sự kiện mới hơn."
        bad_seq = bad_id = None
    else:
        message = f"{name} toàn vẹn: {_vn(total)} sự kiện, đến #{w.last_seq} (kiểm tra {scope})."
        bad_seq = bad_id = None
    ok = r.ok
    rec = AuditVerification(
        checked_by=checked_by, full=not r.incremental, ok=ok, events_checked=total,
        last_event_id=w.last_id if ok else None, last_hash=w.last_hash if ok else None, last_seq=w.last_seq if ok
        else None, first_bad_id=bad_id, first_bad_seq=bad_seq, message=message, chain=r.chain,
    )
    session.add(rec)
    return rec
