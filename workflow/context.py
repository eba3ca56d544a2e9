"""Where a request came from: carried to the audit trail with every event."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Context:
    ip: str | None = None
    user_agent: str | None = None
    via: str = "web"  # web | api | cli


CLI = Context(via="cli")
