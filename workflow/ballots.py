"""Sealing ballot choices: AES-GCM with a random nonce under a key derived from the server's secret.

A database reader sees ciphertexts that differ for every vote (and carry no time, unlike Fernet tokens), so even the
order of rows or their transaction ids cannot tell which member chose what. The choice is bound to its agenda item
(associated data), so a sealed ballot cannot be moved to another item.
"""
from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

CHOICES = ("agree", "disagree", "abstain")
_STATE: dict[str, bytes] = {}


def configure(secret: str) -> None:
    """Called by the app and the CLI with BALLOT_KEY (default SECRET_KEY). Changing it between a vote and the close
    makes the ballots unreadable: the close then refuses, naming the cause."""
    _STATE["key"] = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"dienhinh", info=b"ballot-v1").derive(
        secret.encode()
    )


def _key() -> bytes:
    if "key" not in _STATE:
        raise RuntimeError("ballot key not configured (workflow.ballots.configure)")
    return _STATE["key"]


def seal(item_id: int, choice: str) -> str:
    if choice not in CHOICES:  # an unknown choice sealed now would only surface at the close, as an unreadable ballot
        raise ValueError(f"unknown ballot choice: {choice!r}")
    nonce = os.urandom(12)
    data = AESGCM(_key()).encrypt(nonce, choice.encode(), str(item_id).encode())
    return base64.urlsafe_b64encode(nonce + data).decode()


def unseal(item_id: int, sealed: str) -> str:
    raw = base64.urlsafe_b64decode(sealed.encode())
    try:
        choice = AESGCM(_key()).decrypt(raw[:12], raw[12:], str(item_id).encode()).decode()
    except InvalidTag as exc:
        raise ValueError("ballot cannot be opened with the configured key") from exc
    if choice not in CHOICES:
        raise ValueError("ballot holds an unknown choice")
    return choice
