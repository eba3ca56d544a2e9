"""The nomination lifecycle as data, and the one shared `transitions` Machine that fires it.

Nothing is attached to ORM rows (see ARCHITECTURE.md, "transitions pitfalls"): the service fires
`MACHINE.events[action].trigger(nomination)`, which reads and writes `nomination.state` only.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from transitions import Machine

from models.nominations import STATES
from workflow import policy

FINAL_STATES = ("not_recognized", "withdrawn", "revoked")


@dataclass(frozen=True)
class Trigger:
    code: str
    sources: tuple[str, ...]
    dest: str
    requires: tuple[str, ...] = ()  # data the actor must give ("reason", "decision_number", ...)
    irreversible: bool = False
    extra: dict = field(default_factory=dict)

    def roles_from(self, source: str) -> tuple[str, ...]:
        """Who may fire it from `source`: the policy's grants for this trigger (workflow.policy holds every role)."""
        if source not in self.sources:
            return ()
        return policy.roles_for("nomination", self.code, state=source)

    @property
    def roles_by_source(self) -> dict[str, tuple[str, ...]]:
        return {s: self.roles_from(s) for s in self.sources}


def _t(code, sources, dest, requires=(), irreversible=False):
    sources = tuple(sources) if isinstance(sources, list | tuple) else (sources,)
    return Trigger(code, sources, dest, tuple(requires), irreversible)


TRIGGERS: dict[str, Trigger] = {
    t.code: t
    for t in (
        _t("start_nurturing", "registered", "nurtured", ("nurture_plan",)),
        _t("submit", "nurtured", "submitted", irreversible=True),
        _t("return_for_revision", "submitted", "nurtured", ("reason",)),
        _t("reject_co_so", "submitted", "not_recognized", irreversible=True),
        _t("recognize_co_so", "submitted", "evaluated_co_so", ("decision_number", "decision_date"), irreversible=True),
        _t("propose_nganh", "evaluated_co_so", "proposed_nganh", irreversible=True),
        _t("recognize_nganh", "proposed_nganh", "recognized", ("decision_number", "decision_date"), irreversible=True),
        _t("reject_nganh", "proposed_nganh", "evaluated_co_so", ("reason",), irreversible=True),
        _t("withdraw", ["registered", "nurtured", "submitted"], "withdrawn", ("reason",), irreversible=True),
        _t("revoke", ["evaluated_co_so", "recognized"], "revoked", ("reason", "decision_number"), irreversible=True),
    )
}

MACHINE = Machine(
    model=None,
    states=list(STATES),
    transitions=[{"trigger": t.code, "source": list(t.sources), "dest": t.dest} for t in TRIGGERS.values()],
    initial=None,
    auto_transitions=False,
    model_attribute="state",
)


def triggers_from(state: str) -> list[Trigger]:
    """Triggers whose source is `state`, in the order of TRIGGERS (the order buttons are shown)."""
    return [t for t in TRIGGERS.values() if state in t.sources]


def fire(nomination, action: str) -> None:
    """Moves `nomination.state` along `action`. Raises transitions.MachineError from an invalid source."""
    if not MACHINE.events[action].trigger(nomination):  # conditions are checked by the service, never here
        raise RuntimeError(f"trigger {action} was not applied")
