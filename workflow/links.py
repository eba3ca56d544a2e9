"""Where a user is sent to see something, named without knowing a URL.

Notifications (stored with their link) and the home page's cards point at places — a nomination, a council session's
ballot, the Ministry's inbox — but `workflow` and `notifications` know no URL: nothing below `web` may import it, and
the paths are web's to choose. So they name a target from `TARGETS` and `path()` asks the resolver `web` installs at
start-up (`web.links.install`), which builds the path from the blueprint's own URL rule.
"""
from __future__ import annotations

from collections.abc import Callable

# Each target with whether it takes an object's id.
TARGETS: dict[str, bool] = {
    "administration": False,
    "campaign": True,  # the administrator's page of a campaign
    "council_ballot": True,  # a member's ballot in a session
    "council_session": True,
    "council_sessions": False,
    "decision": True,
    "decision_new": False,
    "delegations": False,  # the delegations of signing (the director's page, the deputy's own)
    "ministry_inbox": False,
    "ministry_proposal": True,
    "nomination": True,
    "nomination_new": False,
    "nominations": False,
    "proposal": True,
    "proposal_new": False,
    "proposals": False,
}

Resolver = Callable[[str, int | None, dict], str]
_resolver: Resolver | None = None


class NoResolver(RuntimeError):
    """A link was asked for before `web` installed its resolver (a bug in the caller's start-up, not in the data)."""


def install(resolver: Resolver) -> None:
    global _resolver
    _resolver = resolver


def path(target: str, id: int | None = None, **query) -> str:  # noqa: A002 - the object's id, as in its URL
    """The path of `target` (with the object's `id` when it takes one), `query` as its query string."""
    if target not in TARGETS:
        raise KeyError(f"unknown link target {target!r}")
    if TARGETS[target] != (id is not None):
        raise ValueError(f"link target {target!r} {'needs' if TARGETS[target] else 'takes no'} id")
    if _resolver is None:
        raise NoResolver("links.path() before web.create_app() installed the resolver")
    return _resolver(target, id, query)
