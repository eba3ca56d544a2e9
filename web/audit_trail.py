"""The audit trail's settings as the pages, the API and the CLI use them: the checkpoint signing key
(AUDIT_SIGNING_KEY) and directory (AUDIT_CHECKPOINT_DIR)."""
from __future__ import annotations

import os

from flask import current_app

from notifications import audit_checkpoints as cps


def signing_key():
    config = current_app.config
    return cps.load_signing_key(config["AUDIT_SIGNING_KEY"], generate=config.get("AUDIT_SIGNING_KEY_GENERATE", False))


def checkpoint_dir() -> str:
    return current_app.config["AUDIT_CHECKPOINT_DIR"]


def check_options(files=(), strict: bool = True, public_key_file: str | None = None) -> dict:
    """What `notifications.audit_verify.check` needs to hold the database against the signed checkpoints: the public
    key of AUDIT_SIGNING_KEY, or `public_key_file` (an inspector's copy). Without `strict` (the page's and the API's
    button) a missing key checks the chains alone and says so in the result."""
    try:
        public = cps.load_public_key(public_key_file) if public_key_file else signing_key().public_key()
    except cps.KeyMissing:
        if strict:
            raise
        return {"public_key": None, "checkpoint_paths": []}
    directory = [checkpoint_dir()] if os.path.isdir(checkpoint_dir()) else []  # none yet: no checkpoint written
    return {"public_key": public, "checkpoint_paths": [*directory, *files]}
