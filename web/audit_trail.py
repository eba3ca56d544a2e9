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


def check_options(files=()) -> dict:
    """What `notifications.audit_verify.check` needs to hold the database against the signed checkpoints."""
    directory = [checkpoint_dir()] if os.path.isdir(checkpoint_dir()) else []  # none yet: no checkpoint written
    return {"public_key": signing_key().public_key(), "checkpoint_paths": [*directory, *files]}
