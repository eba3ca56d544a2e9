"""The URL of each place `workflow.links` names: its endpoint here, so the paths stay web's to choose.

Installed by `create_app`; it builds paths from the application's URL map without a request (the worker, the CLI and
the daily reminders write notifications too), under APPLICATION_ROOT when the site is mounted below `/`.
"""
from __future__ import annotations

from flask import Flask

from workflow import links

# target → (endpoint, the URL rule's name for the id)
ENDPOINTS: dict[str, tuple[str, str | None]] = {
    "administration": ("admin.index", None),
    "campaign": ("admin.campaign_edit", "campaign_id"),
    "council_ballot": ("council.vote", "session_id"),
    "council_session": ("council.detail", "session_id"),
    "council_sessions": ("council.sessions", None),
    "decision": ("decisions.detail", "decision_id"),
    "decision_new": ("decisions.new", None),
    "delegations": ("delegations.index", None),
    "ministry_inbox": ("ministry.index", None),
    "ministry_proposal": ("ministry.proposal", "proposal_id"),
    "nomination": ("nominations.detail", "nomination_id"),
    "nomination_new": ("nominations.new", None),
    "nominations": ("nominations.index", None),
    "proposal": ("proposals.detail", "proposal_id"),
    "proposal_new": ("proposals.new", None),
    "proposals": ("proposals.index", None),
}


def install(app: Flask) -> None:
    missing = set(links.TARGETS) ^ set(ENDPOINTS)
    if missing:
        raise RuntimeError(f"web.links and workflow.links disagree on: {sorted(missing)}")
    adapter = app.url_map.bind("localhost", script_name=app.config.get("APPLICATION_ROOT") or "/")

    def resolve(target: str, id: int | None, query: dict) -> str:  # noqa: A002
        endpoint, name = ENDPOINTS[target]
        return adapter.build(endpoint, {**query, name: id} if name else query)

    links.install(resolve)
