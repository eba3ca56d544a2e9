"""Sealed ballot slots (workflow.council.ballots): what a database reader sees cannot be read, compared, measured or
moved."""
from __future__ import annotations

import base64
import os

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from workflow.council import ballots


@pytest.fixture(autouse=True)
def _restore_key():
    saved = dict(ballots._STATE)
    ballots.configure("unit-test-key")
    yield
    ballots._STATE.clear()
    ballots._STATE.update(saved)


@pytest.mark.parametrize("content", ballots.CONTENTS)
def test_seal_open_round_trip(content):
    sealed = ballots.seal_slot(7, "k", content)
    assert content not in sealed
    assert ballots.open_slot(7, "k", sealed) == content


def test_every_content_seals_to_one_length():
    """The first design sealed agree to 44 characters and abstain/disagree to 48: the length told the choice."""
    lengths = {len(ballots.seal_slot(item, key, c))
               for c in ballots.CONTENTS for item in (1, 12345678) for key in ("k", "f" * 32) for _ in range(5)}
    assert lengths == {ballots.SEALED_LENGTH}
    assert ballots.SEALED_LENGTH == 60


def test_two_seals_of_the_same_content_differ():
    assert len({ballots.seal_slot(1, "k", "agree") for _ in range(20)}) == 20
    assert len({ballots.seal_slot(1, "k", "empty") for _ in range(20)}) == 20


def test_a_slot_sealed_for_one_item_does_not_open_for_another():
    sealed = ballots.seal_slot(1, "k", "agree")
    with pytest.raises(ValueError):
        ballots.open_slot(2, "k", sealed)
    with pytest.raises(ValueError):
        ballots.open_slot(11, "k", sealed)  # not a prefix match either
    assert ballots.open_slot(1, "k", sealed) == "agree"


def test_a_slot_copied_over_another_slot_does_not_open():
    """Without the key one could still copy a sealed "agree" over a sealed "disagree" of the same item."""
    sealed = ballots.seal_slot(1, "slot-a", "agree")
    with pytest.raises(ValueError):
        ballots.open_slot(1, "slot-b", sealed)
    assert ballots.open_slot(1, "slot-a", sealed) == "agree"


def test_a_wrong_key_raises():
    sealed = ballots.seal_slot(3, "k", "disagree")
    ballots.configure("another-key")
    with pytest.raises(ValueError, match="key"):
        ballots.open_slot(3, "k", sealed)
    ballots.configure("unit-test-key")
    assert ballots.open_slot(3, "k", sealed) == "disagree"


def test_the_key_is_not_the_first_designs_derivation():
    """A new subkey (HKDF info "ballot-slot-v2"): nothing sealed by the first design opens as a slot, and back."""
    assert ballots.derive("unit-test-key") == ballots._key()
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    v1 = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"dienhinh", info=b"ballot-v1").derive(b"unit-test-key")
    assert v1 != ballots._key()


@pytest.mark.parametrize("position", [0, 13, -5])
def test_a_tampered_slot_raises(position):
    raw = bytearray(base64.urlsafe_b64decode(ballots.seal_slot(3, "k", "agree")))
    raw[position] ^= 1
    with pytest.raises(ValueError):
        ballots.open_slot(3, "k", base64.urlsafe_b64encode(bytes(raw)).decode())


@pytest.mark.parametrize("value", ["", "not base64!", base64.urlsafe_b64encode(b"short").decode()])
def test_garbage_does_not_open(value):
    with pytest.raises(ValueError):
        ballots.open_slot(3, "k", value)


@pytest.mark.parametrize("content", ["", "maybe", "AGREE", "agree ", "yes"])
def test_unknown_contents_are_refused(content):
    with pytest.raises(ValueError):
        ballots.seal_slot(1, "k", content)


@pytest.mark.parametrize("plain", [b"maybe".ljust(16, b"\0"), b"agree".ljust(16, b"x"), b"agree"])
def test_an_unknown_content_sealed_with_the_key_does_not_open(plain):
    """A row forged by someone holding the key (bypassing `seal_slot`) is still refused when opened."""
    nonce = os.urandom(12)
    forged = base64.urlsafe_b64encode(nonce + AESGCM(ballots._key()).encrypt(nonce, plain, b"ballot-slot:1:k")).decode()
    with pytest.raises(ValueError):
        ballots.open_slot(1, "k", forged)


@pytest.mark.parametrize("secret", [None, "", "   "])
def test_no_key_configured_fails_loudly(secret):
    sealed = ballots.seal_slot(1, "k", "agree")
    ballots.configure(secret)
    assert not ballots.is_configured()
    with pytest.raises(ballots.KeyMissing):
        ballots.seal_slot(1, "k", "agree")
    with pytest.raises(RuntimeError):
        ballots.open_slot(1, "k", sealed)
