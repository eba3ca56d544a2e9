"""The audit trail's settings as the pages, the API and the CLI use them: the checkpoint signing key
(AUDIT_SIGNING_KEY) and directory (AUDIT_CHECKPOINT_DIR)."""
from __future__ import annotations

import os

from flask import current_app

from notifications import audit
from notifications import audit_checkpoints as cps
from web.config import ConfigError


def configure(config) -> None:
    """Gives `notifications.audit` its MAC key, derived from AUDIT_SIGNING_KEY, on every host that appends (web
    app, CLI, worker: all made by create_app). Without the key nothing could be audited: the app does not start."""
    try:
        key = cps.load_signing_key(config["AUDIT_SIGNING_KEY"],
                                   generate=config.get("AUDIT_SIGNING_KEY_GENERATE", False))
    except cps.KeyMissing as err:
        raise ConfigError(f"{err} (AUDIT_SIGNING_KEY: every audit event carries a MAC derived from it)") from err
    audit.configure(key)


def signing_key():
    config = current_app.config
    return cps.load_signing_key(config["AUDIT_SIGNING_KEY"], generate=config.get("AUDIT_SIGNING_KEY_GENERATE", False))


def checkpoint_dir() -> str:
    return current_app.config["AUDIT_CHECKPOINT_DIR"]


def check_options(files=(), strict: bool = True, public_key_file: str | None = None) -> dict:
    """What `notifications.audit_verify.check` needs to hold the database against the signed checkpoints: the public
    key of AUDIT_SIGNING_KEY, or `public_key_file` (an inspector's copy). Without `strict` (the page's and the API's
    button) a missing key checks the chains alone and says so in the result. With `public_key_file` (an inspector,
    who has no private key) the events' MACs are not checked, and the result says so."""
    check_macs = not public_key_file
    try:
        public = cps.load_public_key(public_key_file) if public_key_file else signing_key().public_key()
    except cps.KeyMissing:
        if strict:
            raise
        return {"public_key": None, "checkpoint_paths": [], "check_macs": check_macs}
    directory = [checkpoint_dir()] if os.path.isdir(checkpoint_dir()) else []  # none yet: no checkpoint written
    return {"public_key": public, "checkpoint_paths": [*directory, *files], "check_macs": check_macs}
