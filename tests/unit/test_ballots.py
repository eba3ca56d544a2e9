"""Sealed ballot choices (workflow.ballots): what a database reader sees cannot be read, compared or moved."""
from __future__ import annotations

import pytest

from workflow import ballots


@pytest.fixture(autouse=True)
def _restore_key():
    saved = dict(ballots._STATE)
    ballots.configure("unit-test-key")
    yield
    ballots._STATE.clear()
    ballots._STATE.update(saved)


@pytest.mark.parametrize("choice", ballots.CHOICES)
def test_seal_unseal_round_trip(choice):
    sealed = ballots.seal(7, choice)
    assert choice not in sealed
    assert ballots.unseal(7, sealed) == choice


def test_two_seals_of_the_same_choice_differ():
    seals = {ballots.seal(1, "agree") for _ in range(20)}
    assert len(seals) == 20
    # ... and a choice cannot be told from another by the length of its seal
    assert len({len(ballots.seal(1, c)) for c in ("agree", "abstain")}) <= 2


def test_a_ballot_sealed_for_one_item_does_not_open_for_another():
    sealed = ballots.seal(1, "agree")
    with pytest.raises(ValueError):
        ballots.unseal(2, sealed)
    with pytest.raises(ValueError):
        ballots.unseal(11, sealed)  # not a prefix match either
    assert ballots.unseal(1, sealed) == "agree"


def test_a_wrong_key_raises():
    sealed = ballots.seal(3, "disagree")
    ballots.configure("another-key")
    with pytest.raises(ValueError, match="key"):
        ballots.unseal(3, sealed)
    ballots.configure("unit-test-key")
    assert ballots.unseal(3, sealed) == "disagree"


def test_a_tampered_ballot_raises():
    sealed = bytearray(ballots.seal(3, "agree").encode())
    sealed[-5] = ord("A") if sealed[-5] != ord("A") else ord("B")
    with pytest.raises(ValueError):
        ballots.unseal(3, sealed.decode())


@pytest.mark.parametrize("choice", ["", "maybe", "AGREE", "agree ", "yes"])
def test_unknown_choices_are_refused(choice):
    with pytest.raises(ValueError):
        ballots.seal(1, choice)


def test_an_unknown_choice_sealed_with_the_key_does_not_open():
    """A row forged by someone holding the key (bypassing `seal`) is still refused when opened."""
    import base64
    import os

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(12)
    forged = base64.urlsafe_b64encode(nonce + AESGCM(ballots._key()).encrypt(nonce, b"maybe", b"1")).decode()
    with pytest.raises(ValueError, match="unknown choice"):
        ballots.unseal(1, forged)


def test_no_key_configured_fails_loudly():
    ballots._STATE.clear()
    with pytest.raises(RuntimeError):
        ballots.seal(1, "agree")
