"""One signal per event, each with a frozen dataclass payload; only `workflow` emits; the audit trail's table covers
every event and records what it always recorded."""
from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import inspect
from pathlib import Path
from types import SimpleNamespace

import pytest
from blinker import Signal

from notifications import audit
from workflow import events as ev
from workflow import signals
from workflow.context import Context

ROOT = Path(__file__).resolve().parents[2]


def test_every_signal_has_a_frozen_dataclass_payload_and_every_concrete_event_a_signal():
    namespace = signals._signals
    assert set(namespace.values()) == set(signals.PAYLOADS)
    for signal, payload in signals.PAYLOADS.items():
        assert dataclasses.is_dataclass(payload) and payload.__dataclass_params__.frozen, signal.name
        assert issubclass(payload, ev.Event)
    bases = {ev.Event, ev.SessionEvent, ev.ProposalEvent, ev.StoryEvent, ev.CalendarDayEvent}
    concrete = {c for _, c in inspect.getmembers(ev, inspect.isclass)
                if issubclass(c, ev.Event) and c.__module__ == ev.__name__} - bases
    assert concrete == set(signals.PAYLOADS.values())
    for name in ("example_recognised", "story_published", "session_opened", "session_closed", "agenda_set",
                 "proposal_submitted", "unit_created", "user_created"):
        assert getattr(signals, name) in signals.PAYLOADS
    assert not hasattr(signals, "admin_changed") and not hasattr(signals, "council_event")


def _sends(path: Path) -> list[str]:
    """Calls that emit: `<anything>.send(...)` on a name imported from workflow.signals, or `signals.emit(...)`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target = ast.unparse(node.func.value)
            if node.func.attr == "emit" and target.endswith("signals") or \
                    node.func.attr == "send" and target.startswith("signals."):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_no_module_outside_workflow_sends_a_signal():
    outside = [p for top in ("web", "notifications", "models") for p in (ROOT / top).rglob("*.py")]
    assert [hit for p in outside for hit in _sends(p)] == []
    inside = [hit for p in (ROOT / "workflow").rglob("*.py") for hit in _sends(p)]
    assert inside  # the check does find the sends where they are


def test_every_event_is_audited_or_deliberately_not():
    assert set(audit.AUDITED) | set(audit.NOT_AUDITED) == set(signals.PAYLOADS.values())
    assert not set(audit.AUDITED) & set(audit.NOT_AUDITED)


CTX = Context(ip="10.0.0.1", user_agent="pytest", via="api")
ACTOR = SimpleNamespace(id=7, username="vanphong", on_behalf_of=None)
STORY = SimpleNamespace(id=3, nomination_id=11)
PROPOSAL = SimpleNamespace(id=4, department_id=2)
SESSION = SimpleNamespace(id=5, department_id=2)

# (event, action, object_type, object_id, data) exactly as the trail wrote them through the old catch-all signals.
CASES = [
    (ev.StoryPublished(story=STORY, channel="portal", version=3, actor=ACTOR, context=CTX),
     "story.publish", "story", 3, {"nomination_id": 11, "channel": "portal", "version": 3}),
    (ev.StoryRevisionPublished(story=STORY, version=5, revision=4, previous=2, actor=ACTOR, context=CTX),
     "story.publish_revision", "story", 3, {"nomination_id": 11, "version": 5, "revision": 4, "previous": 2}),
    (ev.StoryImageRemoved(story=STORY, image_id=9, actor=ACTOR, context=CTX),
     "story.remove_image", "story", 3, {"nomination_id": 11, "image_id": 9}),
    (ev.ProposalSubmitted(proposal=PROPOSAL, number="5/TTr-STP", date="2026-01-02", nomination_ids=(1, 2),
                          actor=ACTOR, context=CTX),
     "proposal.submit", "proposal", 4,
     {"number": "5/TTr-STP", "date": "2026-01-02", "nomination_ids": (1, 2), "on_behalf_of": None}),
    (ev.SessionOpened(council_session=SESSION, actor=ACTOR, context=CTX), "council_session.opened",
     "council_session", 5, {}),
    (ev.TieResolved(council_session=SESSION, chosen=(1,), tied=(1, 2), actor=ACTOR, context=CTX),
     "council_session.tie_resolved", "council_session", 5, {"chosen": (1,), "tied": (1, 2)}),
    (ev.CalendarDayCreated(day=dt.date(2026, 2, 16), is_working=False, name="Tết", actor=ACTOR, context=CTX),
     "admin.calendar_day_create", "calendar_day", 20260216,
     {"day": "2026-02-16", "is_working": False, "name": "Tết"}),
    (ev.UserUpdated(user_id=8, changes={"active": {"before": True, "after": False}},
                    signed_out={"sessions_ended": 1, "tokens_revoked": 2}, actor=ACTOR, context=CTX),
     "admin.user_update", "user", 8,
     {"changes": {"active": {"before": True, "after": False}}, "sessions_ended": 1, "tokens_revoked": 2}),
    (ev.RecordsImported(kind="people", rows=3, created=3, filename="a.xlsx", actor=ACTOR, context=CTX),
     "admin.import_people", "import", None, {"kind": "people", "rows": 3, "created": 3, "filename": "a.xlsx"}),
    (ev.AwardRecorded(subject_type="unit", subject_id=6, record_id=1, title="co_thi_dua", level="tinh", year=2025,
                      decision_number=None, actor=ACTOR, context=CTX),
     "admin.award_add", "unit", 6,
     {"record_id": 1, "title": "co_thi_dua", "level": "tinh", "year": 2025, "decision_number": None}),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: type(c[0]).__name__)
def test_the_audit_table_records_what_the_trail_always_recorded(case):
    event, action, object_type, object_id, data = case
    spec = audit.AUDITED[type(event)]
    assert (spec.action(event), spec.object_type(event), spec.object_id(event), spec.data(event)) == (
        action, object_type, object_id, data)


def test_emit_reaches_only_the_receivers_of_that_event(monkeypatch):
    got = []
    published, unpublished = Signal(), Signal()  # fresh signals: no audit receiver, no session needed
    monkeypatch.setitem(signals._BY_EVENT, ev.StoryPublished, published)
    monkeypatch.setitem(signals._BY_EVENT, ev.StoryUnpublished, unpublished)
    published.connect(lambda sender, *, event: got.append((sender, event)), weak=False)
    signals.emit("session", ev.StoryUnpublished(story=STORY, version=1))
    event = ev.StoryPublished(story=STORY, channel="portal", version=2)
    signals.emit("session", event)
    assert got == [("session", event)]
