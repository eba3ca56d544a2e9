"""secret ballot: fixed slots while open, anonymous ballots after close

Revision ID: 0009_secret_ballot
Revises: 0008_audit_outcome
Create Date: 2026-11-29 09:30:00

The first design kept one sealed row per vote (`ballots`), written with the member's receipt. This revision moves
those rows, then drops the table:
- ballots of CLOSED sessions are opened and stored as anonymous ballots (item, choice), in a shuffled order;
- ballots of OPEN sessions are opened and re-sealed into fixed-length slots (with empty slots for the members who
  have not voted yet), in a shuffled order, under the new BALLOT_KEY.
Opening needs the legacy key, exactly as the first design's `workflow.council.ballots.configure` derived it: the environment's
BALLOT_KEY, else the application's SECRET_KEY (which `dienhinh init-db` passes, with the new BALLOT_KEY). Without it
the upgrade stops, naming the variable, rather than lose a ballot. The crypto is copied here on purpose: a migration
must not change when the application's code does.
"""
import base64
import os
import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

revision: str = '0009_secret_ballot'
down_revision: str | Sequence[str] | None = '0008_audit_outcome'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHOICES = ("agree", "disagree", "abstain")
WIDTH = 16


def _hkdf(secret: str, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"dienhinh", info=info).derive(secret.encode())


def _attribute(name: str) -> str | None:
    try:
        value = context.config.attributes.get(name)
    except Exception:  # noqa: BLE001 - no Alembic Config (a bare MigrationContext): the environment decides
        value = None
    return (value or "").strip() or None


def _legacy_unseal(key: bytes, item_id: int, sealed: str) -> str:
    raw = base64.urlsafe_b64decode(sealed.encode())
    try:
        choice = AESGCM(key).decrypt(raw[:12], raw[12:], str(item_id).encode()).decode()
    except InvalidTag as exc:
        raise RuntimeError(
            f"0009_secret_ballot: a ballot of agenda item {item_id} cannot be opened with the legacy key "
            "(BALLOT_KEY, else SECRET_KEY, of the previous version); set the key it was sealed with and migrate again"
        ) from exc
    if choice not in CHOICES:
        raise RuntimeError(f"0009_secret_ballot: a ballot of agenda item {item_id} holds an unknown choice")
    return choice


def _seal_slot(key: bytes, item_id: int, slot_key: str, content: str) -> str:
    nonce = os.urandom(12)
    data = AESGCM(key).encrypt(nonce, content.encode().ljust(WIDTH, b"\0"), f"ballot-slot:{item_id}:{slot_key}".encode())
    return base64.urlsafe_b64encode(nonce + data).decode()


def upgrade() -> None:
    op.create_table('anonymous_ballots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('choice', sa.String(length=10), nullable=False),
    sa.CheckConstraint("choice IN ('agree', 'disagree', 'abstain')", name=op.f('ck_anonymous_ballots_choice')),
    sa.ForeignKeyConstraint(['item_id'], ['agenda_items.id'], name=op.f('fk_anonymous_ballots_item_id_agenda_items'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_anonymous_ballots'))
    )
    with op.batch_alter_table('anonymous_ballots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_anonymous_ballots_item_id'), ['item_id'], unique=False)

    op.create_table('ballot_slots',
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('sealed', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['agenda_items.id'], name=op.f('fk_ballot_slots_item_id_agenda_items'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_ballot_slots'))
    )
    with op.batch_alter_table('ballot_slots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballot_slots_item_id'), ['item_id'], unique=False)

    _move_ballots(op.get_bind())

    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballots_item_id'))
    op.drop_table('ballots')


def _move_ballots(conn) -> None:
    rows = conn.execute(sa.text(
        "SELECT b.item_id, b.sealed_choice, s.state FROM ballots b "
        "JOIN agenda_items i ON i.id = b.item_id JOIN council_sessions s ON s.id = i.session_id")).all()
    open_items = conn.execute(sa.text(
        "SELECT i.id, (SELECT count(*) FROM council_members m WHERE m.council_id = s.council_id AND m.active = :t) "
        "FROM agenda_items i JOIN council_sessions s ON s.id = i.session_id WHERE s.state = 'open'"), {"t": True}).all()
    opened: dict[int, list[str]] = {}
    if rows:
        legacy = _attribute("legacy_ballot_secret") or os.environ.get("BALLOT_KEY", "").strip() \
            or os.environ.get("SECRET_KEY", "").strip()
        if not legacy:
            raise RuntimeError(
                f"0009_secret_ballot: {len(rows)} sealed ballots must be opened to be moved, but no key is set: run "
                "`dienhinh init-db` with the SECRET_KEY (or BALLOT_KEY) the application used until now")
        legacy_key = _hkdf(legacy, b"ballot-v1")
        for item_id, sealed, _state in rows:
            opened.setdefault(item_id, []).append(_legacy_unseal(legacy_key, item_id, sealed))
    rng = secrets.SystemRandom()
    open_ids = {item_id for item_id, _ in open_items}
    anonymous = [{"item_id": item_id, "choice": c} for item_id, choices in opened.items() if item_id not in open_ids
                 for c in choices]
    if anonymous:
        rng.shuffle(anonymous)
        conn.execute(sa.text("INSERT INTO anonymous_ballots (item_id, choice) VALUES (:item_id, :choice)"), anonymous)
    if not open_items:
        return
    new = _attribute("ballot_key") or os.environ.get("BALLOT_KEY", "").strip()
    if not new:
        if any(item_id in opened for item_id in open_ids):
            raise RuntimeError(
                "0009_secret_ballot: open council sessions hold ballots, which move into slots sealed with the new "
                "BALLOT_KEY, but none is set: set BALLOT_KEY (or BALLOT_KEY_FILE) and migrate again")
        return  # open sessions without a vote yet: their slots are made at the first vote
    key = _hkdf(new, b"ballot-slot-v2")
    slots = []
    for item_id, members in open_items:
        choices = opened.get(item_id, [])
        for content in choices + ["empty"] * max(members - len(choices), 0):
            slot_key = secrets.token_hex(16)
            slots.append({"key": slot_key, "item_id": item_id, "sealed": _seal_slot(key, item_id, slot_key, content)})
    rng.shuffle(slots)
    if slots:
        conn.execute(sa.text("INSERT INTO ballot_slots (key, item_id, sealed) VALUES (:key, :item_id, :sealed)"),
                     slots)


def downgrade() -> None:
    """Lossy: the first design's table comes back empty (its rows cannot be rebuilt without linking them)."""
    op.create_table('ballots',
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('sealed_choice', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['agenda_items.id'], name=op.f('fk_ballots_item_id_agenda_items'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_ballots'))
    )
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballots_item_id'), ['item_id'], unique=False)
    with op.batch_alter_table('ballot_slots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballot_slots_item_id'))
    op.drop_table('ballot_slots')
    with op.batch_alter_table('anonymous_ballots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_anonymous_ballots_item_id'))
    op.drop_table('anonymous_ballots')
