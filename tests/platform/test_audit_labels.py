"""Every action and object type the audit trail writes has a Vietnamese label in the review page and the exports
(issue 15, finding 5: the exports showed "story.publish" and "story" untranslated), and each label once: the filter of
the /audit page and of its API lists every action once, translated (issue 14, finding 12: "Bỏ phiếu", "Công khai danh
sách", "Lên lịch phiên họp" twice — the name of a refused attempt beside the name of the event)."""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from notifications import audit
from notifications.audit import AUDITED, Audited
from workflow.nominations.machine import TRIGGERS
from workflow.reporting.audit_queries import (
    ACTION_ALIASES,
    ACTION_LABELS,
    OBJECT_TYPE_LABELS,
    action_label,
    canonical_action,
)

ROOT = Path(__file__).resolve().parents[2]


def _written() -> tuple[set[str], set[str]]:
    """The actions and object types of AUDITED: constant ones read from their spec, the computed ones listed from
    what computes them (the nomination machine's triggers, the import kinds, an award's two subject types)."""
    actions, object_types = set(), set()
    for spec in AUDITED.values():
        if not isinstance(spec, Audited):
            continue
        for fn, found in ((spec.action, actions), (spec.object_type, object_types)):
            try:
                value = fn(None)
            except AttributeError:  # computed from the event
                continue
            if value is not None:
                found.add(value)
    actions |= {f"nomination.{code}" for code in TRIGGERS} | {"admin.import_units", "admin.import_people"}
    object_types |= {"person", "unit"}
    return actions, object_types


# The names a refused attempt is recorded under (ActionRefused: the audit receiver writes the caller's name): the
# literal `action="…"` of every page and endpoint, and the verbs of the helpers that prefix them.
_LITERAL = re.compile(r'action="([a-z_]+\.[a-z_]+)"')
_VERB = re.compile(r'(?:_act\(\w+, [^,]+, |_step\(\w+, |request_context\(\)\), )"([a-z_]+)"')
_PREFIXED = {"web/council/views.py": "council_session.", "web/api/council_sessions.py": "council_session.",
             "web/propagation/stories/views.py": "story.", "web/proposals/views.py": "proposal."}


def _refused() -> set[str]:
    found = {"admin.import", "nomination.transition"}  # the fallbacks of a computed name (imports, transitions)
    for path in (ROOT / "web").rglob("*.py"):
        text, rel = path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix()
        found |= set(_LITERAL.findall(text))
        if rel in _PREFIXED:
            found |= {_PREFIXED[rel] + verb for verb in _VERB.findall(text)}
    return found


ACTIONS, OBJECT_TYPES = _written()
REFUSED = _refused()


def test_the_audit_trail_writes_what_this_test_reads():
    assert {"story.publish", "nomination.submit", "decision.issue", "auth.login"} <= ACTIONS
    assert {"story", "nomination", "user", "import"} <= OBJECT_TYPES
    assert {"council_session.vote", "council_session.set_agenda", "story.add_image", "proposal.submit",
            "admin.calendar_day_save", "notification.read_all"} <= REFUSED


@pytest.mark.parametrize("action", sorted(ACTIONS | REFUSED))
def test_every_action_has_a_vietnamese_label(action):
    assert action_label(action) != action, f"no label for {action}"


@pytest.mark.parametrize("object_type", sorted(OBJECT_TYPES))
def test_every_object_type_has_a_vietnamese_label(object_type):
    assert object_type in OBJECT_TYPE_LABELS, f"no label for {object_type}"



def test_each_action_and_object_type_has_its_own_label():
    twice = {label: codes for label, codes in _by_label(ACTION_LABELS).items() if len(codes) > 1}
    assert not twice, twice
    twice = {label: codes for label, codes in _by_label(OBJECT_TYPE_LABELS).items() if len(codes) > 1}
    assert not twice, twice
    # an alias (a refused attempt's name) is the action it names: its label, one option
    assert action_label("council_session.vote") == action_label("council_session.vote_cast") == "Bỏ phiếu"
    assert all(canonical_action(alias) in ACTION_LABELS for alias in ACTION_ALIASES)


def _by_label(table: dict) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for code, label in table.items():
        out.setdefault(label, []).append(code)
    return out


_CODE = re.compile(r"^[a-z_]+\.[a-z_]*$")


def _assert_unique_and_translated(texts: list[str], what: str) -> None:
    twice = [t for t, n in Counter(texts).items() if n > 1]
    assert not twice, (what, twice)
    raw = [t for t in texts if _CODE.match(t) or t.isascii()]
    assert not raw, (what, raw)


@pytest.fixture
def every_action(db):
    """One event of every action the trail can hold (written or refused), each object type once."""
    for action in sorted(ACTIONS | REFUSED):
        audit.append(db, action=action, outcome="ok" if action in ACTIONS else "refused")
    for object_type in sorted(OBJECT_TYPES):
        audit.append(db, action="auth.login", object_type=object_type)
    db.commit()


def test_the_audit_page_filter_lists_each_action_once_translated(client, login, every_action):
    login("thanhtra")
    page = client.get("/audit").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="action".*?</select>', page, re.S).group(0)
    texts = [t.strip() for t in re.findall(r"<option[^>]*>([^<]*)</option>", select) if t.strip() != "Tất cả"]
    _assert_unique_and_translated(texts, "action")
    assert "Bỏ phiếu" in texts and "Xuất bản bài viết tuyên truyền" in texts
    select = re.search(r'<select[^>]*name="object_type".*?</select>', page, re.S).group(0)
    texts = [t.strip() for t in re.findall(r"<option[^>]*>([^<]*)</option>", select) if t.strip() != "Tất cả"]
    _assert_unique_and_translated(texts, "object_type")


def test_the_audit_api_filter_lists_each_action_once_translated(api, every_action):
    body = api.as_("thanhtra").get("/audit/filters").get_json()
    texts = [o["label"] for group in body["actions"] for o in group["options"]]
    _assert_unique_and_translated(texts, "action")
    _assert_unique_and_translated([group["label"] for group in body["actions"]], "family")
    values = [o["value"] for group in body["actions"] for o in group["options"]]
    assert "council_session.vote_cast" in values and "council_session.vote" not in values
    _assert_unique_and_translated([o["label"] for o in body["object_types"]], "object_type")
    assert api.as_("tp_hctp").get("/audit/filters").status_code == 403


def test_filtering_by_an_action_finds_its_refused_attempts_too(api, every_action):
    items = api.as_("thanhtra").get("/audit?action=council_session.vote_cast&per_page=100").get_json()["items"]
    assert {x["action"] for x in items} == {"council_session.vote_cast", "council_session.vote"}
    assert {x["action_label"] for x in items} == {"Bỏ phiếu"}
