"""Every action and object type the audit trail writes has a Vietnamese label in the review page and the exports
(issue 15, finding 5: the exports showed "story.publish" and "story" untranslated)."""
from __future__ import annotations

import pytest

from notifications.audit import AUDITED, Audited
from workflow.nominations.machine import TRIGGERS
from workflow.reporting.audit_queries import OBJECT_TYPE_LABELS, action_label


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


ACTIONS, OBJECT_TYPES = _written()


def test_the_audit_trail_writes_what_this_test_reads():
    assert {"story.publish", "nomination.submit", "decision.issue", "auth.login"} <= ACTIONS
    assert {"story", "nomination", "user", "import"} <= OBJECT_TYPES


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_every_action_has_a_vietnamese_label(action):
    assert action_label(action) != action, f"no label for {action}"


@pytest.mark.parametrize("object_type", sorted(OBJECT_TYPES))
def test_every_object_type_has_a_vietnamese_label(object_type):
    assert object_type in OBJECT_TYPE_LABELS, f"no label for {object_type}"

