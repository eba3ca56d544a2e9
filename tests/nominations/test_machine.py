"""The lifecycle table of DOMAIN.md, checked against workflow.nominations.machine (the data and the one shared
Machine)."""
from __future__ import annotations

import pytest
from transitions import MachineError

from models import STATES, Nomination
from workflow import policy
from workflow.nominations import machine
from workflow.nominations.machine import FINAL_STATES, MACHINE, TRIGGERS

# DOMAIN.md, "The lifecycle of a nomination": trigger -> ({source: roles}, dest, data the trigger needs).
DOMAIN_TABLE = {
    "start_nurturing": ({"registered": {"unit_head", "secretariat"}}, "nurtured", {"nurture_plan"}),
    "submit": ({"nurtured": {"unit_head"}}, "submitted", set()),
    "return_for_revision": ({"submitted": {"secretariat"}}, "nurtured", {"reason"}),
    "reject_co_so": ({"submitted": {"director"}}, "not_recognized", set()),
    "recognize_co_so": ({"submitted": {"director"}}, "evaluated_co_so", {"decision_number", "decision_date"}),
    "propose_nganh": ({"evaluated_co_so": {"director"}}, "proposed_nganh", set()),
    "recognize_nganh": ({"proposed_nganh": {"ministry_reviewer"}}, "recognized", {"decision_number", "decision_date"}),
    "reject_nganh": ({"proposed_nganh": {"ministry_reviewer"}}, "evaluated_co_so", {"reason"}),
    "withdraw": (
        {s: {"unit_head", "secretariat"} for s in ("registered", "nurtured", "submitted")}, "withdrawn", {"reason"},
    ),
    "revoke": (
        {"evaluated_co_so": {"director"}, "recognized": {"ministry_reviewer"}}, "revoked",
        {"reason", "decision_number"},
    ),
}
DOMAIN_STATES = {
    "registered", "nurtured", "submitted", "evaluated_co_so", "proposed_nganh", "recognized", "not_recognized",
    "withdrawn", "revoked",
}


class Plain:
    """Not an ORM row, no Machine: the shared machine reads and writes `state` only."""

    def __init__(self, state: str):
        self.state = state


def test_states_are_the_domain_states():
    assert set(STATES) == DOMAIN_STATES
    assert set(MACHINE.states) == DOMAIN_STATES
    assert set(FINAL_STATES) == {"withdrawn", "not_recognized", "revoked"}


def test_trigger_codes_are_exactly_the_domain_triggers():
    assert set(TRIGGERS) == set(DOMAIN_TABLE)
    assert set(MACHINE.events) == set(DOMAIN_TABLE)


@pytest.mark.parametrize("code", sorted(DOMAIN_TABLE))
def test_trigger_matches_domain_table(code):
    roles_by_source, dest, requires = DOMAIN_TABLE[code]
    trig = TRIGGERS[code]
    assert set(trig.sources) == set(roles_by_source)
    assert trig.dest == dest
    assert {s: set(policy.roles_for("nomination", code, state=s)) for s in trig.sources} == roles_by_source
    assert set(trig.requires) == requires


@pytest.mark.parametrize("code", sorted(DOMAIN_TABLE))
def test_shared_machine_has_the_same_edges(code):
    roles_by_source, dest, _ = DOMAIN_TABLE[code]
    event = MACHINE.events[code]
    edges = {(src, t.dest) for src, ts in event.transitions.items() for t in ts}
    assert edges == {(src, dest) for src in roles_by_source}


@pytest.mark.parametrize("code", sorted(DOMAIN_TABLE))
def test_firing_from_every_source_reaches_dest(code):
    roles_by_source, dest, _ = DOMAIN_TABLE[code]
    for src in roles_by_source:
        obj = Plain(src)
        machine.fire(obj, code)
        assert obj.state == dest


@pytest.mark.parametrize(
    ("code", "state"),
    [(c, s) for c in sorted(DOMAIN_TABLE) for s in sorted(DOMAIN_STATES) if s not in DOMAIN_TABLE[c][0]],
)
def test_firing_from_an_invalid_source_raises_and_keeps_state(code, state):
    obj = Plain(state)
    with pytest.raises(MachineError):
        machine.fire(obj, code)
    assert obj.state == state


def test_no_auto_transitions():
    assert MACHINE.auto_transitions is False
    assert not [e for e in MACHINE.events if e.startswith("to_")]
    obj = Plain("registered")
    assert not hasattr(obj, "to_recognized")


def test_machine_attaches_nothing_to_models():
    assert MACHINE.models == []
    obj = Plain("registered")
    before = set(vars(obj))
    machine.fire(obj, "start_nurturing")
    machine.fire(obj, "submit")
    assert obj.state == "submitted"
    assert set(vars(obj)) == before  # only `state`, no bound triggers
    assert MACHINE.models == []  # firing did not register the object either
    for name in ("trigger", "may_submit", "submit", "is_submitted", "machine"):
        assert not hasattr(obj, name)


def test_orm_row_is_moved_without_binding():
    n = Nomination(state="registered")
    machine.fire(n, "start_nurturing")
    assert n.state == "nurtured"
    assert not hasattr(n, "start_nurturing") and not hasattr(n, "trigger")
    assert MACHINE.models == []


@pytest.mark.parametrize("state", sorted(FINAL_STATES))
def test_final_states_have_no_outgoing_trigger(state):
    assert machine.triggers_from(state) == []
    for code in TRIGGERS:
        with pytest.raises(MachineError):
            machine.fire(Plain(state), code)


def test_recognitions_leave_only_by_the_domain_triggers():
    assert [t.code for t in machine.triggers_from("recognized")] == ["revoke"]
    assert {t.code for t in machine.triggers_from("evaluated_co_so")} == {"propose_nganh", "revoke"}
    # revoke comes from nowhere else
    assert {s for s in DOMAIN_STATES if "revoke" in {t.code for t in machine.triggers_from(s)}} == {
        "evaluated_co_so", "recognized",
    }


def test_triggers_from_follows_table_order():
    assert [t.code for t in machine.triggers_from("submitted")] == [
        c for c in TRIGGERS if "submitted" in DOMAIN_TABLE[c][0]
    ]


def test_irreversible_steps_ask_for_confirmation():
    # UX.md, "Forms": trình (submit) and thu hồi (revoke) are irreversible and must be confirmed; the two steps
    # that only move a dossier back and forth inside the department are not.
    assert TRIGGERS["submit"].irreversible and TRIGGERS["revoke"].irreversible
    assert not TRIGGERS["start_nurturing"].irreversible and not TRIGGERS["return_for_revision"].irreversible
