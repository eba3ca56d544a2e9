"""The caller as the workflow sees it (an Actor), for pages (flask-login) and the API (bearer token), built once per
request. The bearer authentication (`web.api.base`) and the session's user loader (`web.auth.views`) load the user,
its roles and its delegation in force in one statement and leave the Actor in `g`; only a user signed in during the
request itself (the login page) is looked up again."""
from __future__ import annotations

from types import SimpleNamespace

from flask import g
from flask_login import current_user

from web.db import db
from workflow.policy import Actor, actor_for


class PageUser:
    """flask-login's user for a request signed in by its session cookie: the caller's own columns as the session's
    statement read them (`accounts.caller_for_session`), no ORM User built for every page. What the pages read of
    `current_user` — id, username, full name, e-mail, the roles it holds, its unit's name — and flask-login's
    protocol. A path that needs the ORM User asks the Actor (`actor.user`, loaded on first use)."""

    is_authenticated = True
    is_anonymous = False
    is_active = True  # the session's statement reads only active accounts

    def __init__(self, actor: Actor):
        who = actor.who
        self.actor = actor
        self.id, self.username, self.full_name, self.email = who.id, who.username, who.full_name, who.email
        self.role_codes = set(who.own_roles)
        self.unit = SimpleNamespace(id=who.unit_id, name=who.unit_name) if who.unit_id is not None else None

    def get_id(self) -> str:
        return str(self.id)


def current_actor() -> Actor | None:
    """The request's Actor (None for an anonymous caller), built on first use and kept in `g`. The header asks for
    it ~10 times a page (its menus' permission checks): `g` is resolved once per call, since each read through
    Flask's proxy costs ~1.5 µs, the remembered answer itself a dict look-up."""
    ctx_g = g._get_current_object()
    if "actor" in ctx_g:
        return ctx_g.actor
    user = ctx_g.get("api_user")
    if user is None and current_user.is_authenticated:
        user = current_user._get_current_object()
    if user is None:
        ctx_g.actor = None
    else:
        loaded = ctx_g.pop("login_actor", None)
        ctx_g.actor = loaded if loaded is not None and getattr(user, "actor", None) is loaded else actor_for(db(), user)
    return ctx_g.actor

