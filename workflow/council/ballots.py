"""Sealing ballot slots: AES-GCM with a random nonce under BALLOT_KEY, every sealed value of one fixed length.

While a session is open each agenda item has a pool of ballot slots (`models.BallotSlot`), one per member at the
opening; each slot holds a sealed "empty" marker or a sealed choice. The plaintext is padded to a fixed width before
sealing, so every sealed value — empty, agree, disagree, abstain — has the same length (`SEALED_LENGTH`), and a fresh
nonce makes two seals of the same content differ. The associated data binds a sealed value to its agenda item and its
slot, so it cannot be moved to another item, nor copied over another slot (someone without the key could otherwise
turn a "disagree" into a copy of an "agree" unseen). workflow/council/operations.py rewrites every slot of an item at
each vote and opens them into anonymous ballots at the close: see the README, "Secret ballot: threat model".

BALLOT_KEY is its own secret, never SECRET_KEY: `configure(None)` leaves the ballot unconfigured, and a session
cannot be opened then (council.open_session refuses).
"""
from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

CHOICES = ("agree", "disagree", "abstain")
EMPTY = "empty"
CONTENTS = (EMPTY, *CHOICES)
WIDTH = 16  # plaintext bytes after padding: longer than any content
NONCE, TAG = 12, 16
SEALED_LENGTH = len(base64.urlsafe_b64encode(bytes(NONCE + WIDTH + TAG)))  # 60 characters
_STATE: dict[str, object] = {}
_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")


class KeyMissing(RuntimeError):
    """No BALLOT_KEY is configured."""


def derive(secret: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"dienhinh", info=b"ballot-slot-v2").derive(secret.encode())


def configure(secret: str | None) -> None:
    """Called by the app (and so the CLI) with BALLOT_KEY; None or "" leaves the ballot unconfigured. Changing the key
    while a session is open makes its slots unreadable: votes and the close then refuse, naming the cause."""
    _STATE.clear()
    if secret is not None and secret.strip():
        _STATE["key"] = derive(secret.strip())
        # Built once: a close opens every slot of its session (500 items x 25 members is 12,500 slots) and a vote
        # re-seals all of its item's; the cipher object holds no per-message state, so one serves every call.
        _STATE["aead"] = AESGCM(_STATE["key"])


def is_configured() -> bool:
    return "key" in _STATE


def _key() -> bytes:
    if "key" not in _STATE:
        raise KeyMissing("ballot key not configured (BALLOT_KEY)")
    return _STATE["key"]


def _aead() -> AESGCM:
    if "aead" not in _STATE:
        raise KeyMissing("ballot key not configured (BALLOT_KEY)")
    return _STATE["aead"]


def _aad(item_id: int, slot_key: str) -> bytes:
    return f"ballot-slot:{int(item_id)}:{slot_key}".encode()


def seal_slot(item_id: int, slot_key: str, content: str) -> str:
    """`content` is a choice or EMPTY; the result is SEALED_LENGTH characters whatever it is."""
    if content not in CONTENTS:  # an unknown choice sealed now would only surface at the close
        raise ValueError(f"unknown ballot content: {content!r}")
    nonce = os.urandom(NONCE)
    data = _aead().encrypt(nonce, content.encode().ljust(WIDTH, b"\0"), _aad(item_id, slot_key))
    return base64.urlsafe_b64encode(nonce + data).decode()


def open_slot(item_id: int, slot_key: str, sealed: str) -> str:
    """The content of slot `slot_key` of `item_id`; ValueError if it was sealed for another item or slot, with another
    key, tampered with, or holds something else."""
    try:  # base64.urlsafe_b64decode's own steps, without its wrappers (a close opens 12,500 slots)
        raw = binascii.a2b_base64(sealed.encode().translate(_FROM_URLSAFE))
    except (ValueError, TypeError) as exc:
        raise ValueError("ballot slot is not a sealed value") from exc
    if len(raw) != NONCE + WIDTH + TAG:
        raise ValueError("ballot slot has the wrong length")
    try:
        plain = _aead().decrypt(raw[:NONCE], raw[NONCE:], _aad(item_id, slot_key))
    except InvalidTag as exc:
        raise ValueError("ballot slot cannot be opened with the configured key") from exc
    content = plain.rstrip(b"\0").decode(errors="replace")
    if content not in CONTENTS or plain != content.encode().ljust(WIDTH, b"\0"):
        raise ValueError("ballot slot holds an unknown choice")
    return content
