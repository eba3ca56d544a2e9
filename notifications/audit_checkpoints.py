"""Signed checkpoints of the audit chains, kept outside the database (the model: Certificate Transparency's signed
tree heads, RFC 9162, at the scale of a department).

`write_checkpoints` signs the head (chain, seq, hash, time) of every chain with an Ed25519 key that the database
never sees, appends one JSON line per chain to `<dir>/<chain>.jsonl` and records the same checkpoint in
`audit_checkpoints`. `check_checkpoints` holds the database against every checkpoint it is given: the event at the
signed position must still be there with the signed hash (and the in-chain walk proves everything before it).

The signed message is the UTF-8 JSON object `{"chain":…,"hash":…,"seq":…,"time":…}` with sorted keys and no spaces
(`message`); `time` is ISO 8601 UTC. The public key is served as PEM (SubjectPublicKeyInfo) and as raw base64.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AuditChainHead, AuditCheckpoint, AuditEvent
from workflow import clock


class KeyMissing(Exception):
    """AUDIT_SIGNING_KEY names a file that does not exist (production never generates one)."""


# ------------------------------------------------------------------------------------------------ the key
def load_signing_key(path: str, generate: bool = False) -> Ed25519PrivateKey:
    """The private key from a PEM (PKCS#8) file; in development (`generate`) a missing file is created, mode 0600."""
    p = Path(path)
    if not p.exists():
        if not generate:
            raise KeyMissing(f"Không tìm thấy khóa ký nhật ký AUDIT_SIGNING_KEY: {path}")
        p.parent.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        try:
            fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            return load_signing_key(path)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        return key
    key = serialization.load_pem_private_key(p.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyMissing(f"AUDIT_SIGNING_KEY không phải khóa Ed25519: {path}")
    return key


def load_public_key(path: str) -> Ed25519PublicKey:
    """A verification key from a file: PEM (SubjectPublicKeyInfo, as `GET /api/v1/audit/public-key` gives in `pem`)
    or the base64 of the 32 raw bytes (`raw_base64`)."""
    data = Path(path).read_bytes()
    if data.lstrip().startswith(b"-----BEGIN"):
        key = serialization.load_pem_public_key(data)
        if not isinstance(key, Ed25519PublicKey):
            raise KeyMissing(f"{path} không phải khóa công khai Ed25519")
        return key
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(data.strip(), validate=True))


def public_raw(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def key_id(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    return hashlib.sha256(public_raw(key)).hexdigest()[:16]


# ------------------------------------------------------------------------------------------------ writing
def message(chain: str, seq: int, hash_: str, time: str) -> bytes:
    return json.dumps({"chain": chain, "hash": hash_, "seq": seq, "time": time}, sort_keys=True,
                      separators=(",", ":")).encode()


def file_for(directory: str | Path, chain: str) -> Path:
    """One append-only file per chain: "dept:3" → dept-3.jsonl."""
    return Path(directory) / (chain.replace(":", "-").replace("/", "-") + ".jsonl")


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_checkpoints(session: Session, key: Ed25519PrivateKey, directory: str | Path) -> list[AuditCheckpoint]:
    """Signs the head of every chain, appends it to the chain's file and to `audit_checkpoints`. Flushes; the
    caller commits. The heads are committed state: a checkpoint never covers an event that could roll back."""
    Path(directory).mkdir(parents=True, exist_ok=True)
    kid = key_id(key)
    now = clock.now().replace(microsecond=0)
    written = []
    for head in session.execute(select(AuditChainHead.chain, AuditChainHead.seq, AuditChainHead.hash)
                                .where(AuditChainHead.seq > 0).order_by(AuditChainHead.chain)):
        time = iso(now)
        signature = base64.b64encode(key.sign(message(head.chain, head.seq, head.hash, time))).decode()
        line = {"chain": head.chain, "seq": head.seq, "hash": head.hash, "time": time, "key_id": kid,
                "signature": signature}
        with open(file_for(directory, head.chain), "a", encoding="utf-8") as fh:
            fh.write(json.dumps(line, sort_keys=True) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        cp = AuditCheckpoint(chain=head.chain, seq=head.seq, hash=head.hash, signed_at=now, key_id=kid,
                             signature=signature)
        session.add(cp)
        written.append(cp)
    session.flush()
    return written


# ------------------------------------------------------------------------------------------------ checking
@dataclass(frozen=True)
class Checkpoint:
    chain: str
    seq: int
    hash: str
    time: str
    key_id: str
    signature: str
    source: str  # a file path, or "cơ sở dữ liệu"


@dataclass
class Problem:
    chain: str
    seq: int | None
    message: str


def read_files(paths: Iterable[str | Path]) -> tuple[list[Checkpoint], list[Problem]]:
    """Checkpoints of every *.jsonl file among `paths` (a directory is read whole). An unreadable line is a
    problem, never skipped silently."""
    found, problems = [], []
    files: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            files.extend(sorted(p.glob("*.jsonl")))
        elif p.exists():
            files.append(p)
        else:
            problems.append(Problem("?", None, f"không đọc được tệp điểm kiểm tra {p}"))
    for f in files:
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
                found.append(Checkpoint(d["chain"], int(d["seq"]), d["hash"], d["time"], d.get("key_id", ""),
                                        d["signature"], f"{f}:{n}"))
            except (ValueError, KeyError, TypeError):
                problems.append(Problem("?", None, f"dòng {n} của {f} không phải một điểm kiểm tra"))
    return found, problems


def stored(session: Session) -> list[Checkpoint]:
    return [Checkpoint(c.chain, c.seq, c.hash, iso(c.signed_at), c.key_id, c.signature, "cơ sở dữ liệu")
            for c in session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id))]


def signature_ok(public: Ed25519PublicKey, cp: Checkpoint) -> bool:
    try:
        public.verify(base64.b64decode(cp.signature, validate=True), message(cp.chain, cp.seq, cp.hash, cp.time))
    except (InvalidSignature, ValueError):
        return False
    return True


def check_checkpoints(session: Session, public: Ed25519PublicKey, checkpoints: Iterable[Checkpoint]) -> tuple[
        int, list[Problem]]:
    """Holds the database against each checkpoint; returns (checkpoints checked, problems). Identical copies (the
    file's and the database's) are checked once; the stored hashes are read per chain in batches. The walk of each
    chain (notifications.audit.walk_chain) proves the events before a covered one."""
    problems: list[Problem] = []
    unique: dict[tuple, Checkpoint] = {}
    for cp in checkpoints:
        unique.setdefault((cp.chain, cp.seq, cp.hash, cp.time, cp.signature), cp)
    signed: dict[str, list[Checkpoint]] = {}
    for cp in unique.values():
        if signature_ok(public, cp):
            signed.setdefault(cp.chain, []).append(cp)
        else:
            problems.append(Problem(cp.chain, cp.seq, f"chữ ký của điểm kiểm tra không hợp lệ ({cp.source})"))
    heads = {c: s for c, s in session.execute(select(AuditChainHead.chain, AuditChainHead.seq))}
    for chain, cps_ in signed.items():
        seqs = sorted({cp.seq for cp in cps_})
        stored: dict[int, str] = {}
        for i in range(0, len(seqs), 1000):
            stored.update((seq, h) for seq, h in session.execute(select(AuditEvent.seq, AuditEvent.hash).where(
                AuditEvent.chain == chain, AuditEvent.seq.in_(seqs[i:i + 1000]))))
        last = None
        for cp in sorted(cps_, key=lambda c: (c.seq, c.time)):
            stored_hash = stored.get(cp.seq)
            if stored_hash is None:
                if last is None:
                    last = session.scalar(select(AuditEvent.seq).where(AuditEvent.chain == chain)
                                          .order_by(AuditEvent.seq.desc()).limit(1)) or 0
                problems.append(Problem(chain, cp.seq, (
                    f"mất sự kiện: điểm kiểm tra ký lúc {cp.time} phủ đến #{cp.seq} nhưng cơ sở dữ liệu chỉ còn "
                    f"{'đến #' + str(last) if last else 'không sự kiện nào'} ({cp.source})")))
            elif stored_hash != cp.hash:
                problems.append(Problem(chain, cp.seq, (
                    f"sự kiện #{cp.seq} khác với bản đã ký lúc {cp.time}: chuỗi đã bị sửa hoặc dựng lại sau điểm "
                    f"kiểm tra ({cp.source})")))
            elif heads.get(chain, 0) < cp.seq:
                problems.append(Problem(chain, cp.seq, (
                    f"đầu chuỗi (#{heads.get(chain, 0)}) lùi về trước điểm kiểm tra #{cp.seq} ({cp.source})")))
    return len(unique), problems
