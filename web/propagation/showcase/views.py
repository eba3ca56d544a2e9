"""Public pages (no login_required anywhere here): they print only public facts, read through
workflow.propagation.showcase."""
from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from urllib.parse import quote, urlsplit

from flask import Response, current_app, render_template, request, url_for

from web.db import db
from web.propagation.showcase import bp
from workflow import clock
from workflow.errors import ValidationFailed
from workflow.propagation import showcase, stories

ATOM = "http://www.w3.org/2005/Atom"
ET.register_namespace("", ATOM)
TAG_DATE = "2025"  # the date part of the tag: URIs (RFC 4151): fixed, so ids never change


def _args() -> dict:
    """The filters as typed; a value that is not a number is dropped rather than refused (a public page)."""
    out = {}
    for key in ("year", "unit"):
        value = (request.args.get(key) or "").strip()
        out[key] = int(value) if value.isdigit() and len(value) < 10 else None
    level = request.args.get("level") or None
    out["level"] = level if level in showcase.LEVELS else None
    return out


@bp.route("")
def index():
    session = db()
    filters = _args()
    try:
        examples = showcase.examples(session, page=request.args.get("page"), per_page=request.args.get("per_page"),
                                     **filters)
        posts = showcase.published_stories(session, page=request.args.get("spage"), per_page=10)
    except ValidationFailed:
        examples = showcase.examples(session, **filters)
        posts = showcase.published_stories(session, per_page=10)
    return render_template("showcase/index.html", examples=examples, posts=posts, filters=filters,
                           choices=showcase.filter_choices(session), levels=showcase.LEVELS,
                           channel_labels=stories.CHANNEL_LABELS)


@bp.route("/examples/<int:nomination_id>")
def example(nomination_id: int):
    """One recognised example's public page: its public facts and its published stories (404 for anything else)."""
    session = db()
    found = showcase.public_example(session, nomination_id)
    try:
        posts = showcase.published_stories(session, page=request.args.get("page"), per_page=10,
                                           nomination=found.id)
    except ValidationFailed:
        posts = showcase.published_stories(session, per_page=10, nomination=found.id)
    return render_template("showcase/example.html", example=found, posts=posts,
                           channel_labels=stories.CHANNEL_LABELS)


@bp.route("/stories/<int:story_id>")
def story(story_id: int):
    session = db()
    s = stories.load(session, None, story_id)  # published and still about a recognised example, else 404
    return render_template("showcase/story.html", story=s, example=showcase.example_of(session, s.nomination_id),
                           channel_labels=stories.CHANNEL_LABELS)


def _authority() -> str:
    """The tag: URI authority (RFC 4151) must be a domain the publisher owns: the deployment's own, the host of
    BASE_URL (the request's host when none is set, in development). FEED_TAG_AUTHORITY pins it, so a deployment that
    moves to another domain keeps its entries' ids (the RFC needs the domain owned on the tag's date, not today)."""
    pinned = current_app.config.get("FEED_TAG_AUTHORITY")
    if pinned:
        return pinned
    host = urlsplit(current_app.config.get("BASE_URL") or "").hostname or urlsplit(f"//{request.host}").hostname
    return host.lower()


def _entry_id(authority: str, s) -> str:
    """An entry's id: the department that published the story (its unit code) and the story's number, neither of
    which ever changes, so a reader never sees an entry twice; two departments on one deployment never collide."""
    department = quote((s.department.code if s.department else "").lower(), safe="-._~") or "so"
    return f"tag:{authority},{TAG_DATE}:{department}:story/{s.id}"


def _iso(moment: dt.datetime | None) -> str:
    moment = moment or clock.now()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _el(parent, name: str, text: str | None = None, **attrs):
    el = ET.SubElement(parent, f"{{{ATOM}}}{name}", {k: v for k, v in attrs.items() if v is not None})
    if text is not None:
        el.text = text
    return el


@bp.route("/feed.atom")
def feed():
    """Atom 1.0 (RFC 4287): the newest 50 published stories, their sanitised HTML as content type="html"."""
    items = showcase.feed_stories(db())
    root = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": "vi"})
    authority = _authority()
    _el(root, "id", f"tag:{authority},{TAG_DATE}:showcase")
    _el(root, "title", "Điển hình tiên tiến ngành Tư pháp — bài viết tuyên truyền")
    _el(root, "updated", _iso(max((s.revised_at or s.published_at for s in items), default=None)))
    _el(root, "link", rel="self", type="application/atom+xml", href=url_for("showcase.feed", _external=True))
    _el(root, "link", rel="alternate", type="text/html", href=url_for("showcase.index", _external=True))
    _el(_el(root, "author"), "name", "Sở Tư pháp")
    _el(root, "generator", "dienhinh")
    for s in items:
        entry = _el(root, "entry")
        _el(entry, "id", _entry_id(authority, s))
        _el(entry, "title", s.title, type="text")
        _el(entry, "updated", _iso(s.revised_at or s.published_at))  # a published revision updates the entry
        _el(entry, "published", _iso(s.published_at))
        _el(entry, "link", rel="alternate", type="text/html",
            href=url_for("showcase.story", story_id=s.id, _external=True))
        # The example the story is about (the feed holds only stories whose example is still recognised).
        _el(entry, "link", rel="related", type="text/html",
            href=url_for("showcase.example", nomination_id=s.nomination_id, _external=True),
            title=s.nomination.subject_name if s.nomination else None)
        _el(_el(entry, "author"), "name", s.department.name if s.department else "Sở Tư pháp")
        _el(entry, "category", term=s.channel, label=stories.CHANNEL_LABELS.get(s.channel, s.channel))
        if s.summary:
            _el(entry, "summary", s.summary, type="text")
        _el(entry, "content", s.body_html, type="html")
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    response = Response(body, mimetype="application/atom+xml")
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response

