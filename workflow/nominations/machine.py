"""The nomination lifecycle as data, and the one shared `transitions` Machine that fires it.

Nothing is attached to ORM rows (see ARCHITECTURE.md, "transitions pitfalls"): the service fires
`MACHINE.events[action].trigger(nomination)`, which reads and writes `nomination.state` only.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from transitions import Machine

from models.nominations import DEAD_STATES, STATES

# The state groups, named once (pages, queries and rules import them from here).
FINAL_STATES = DEAD_STATES  # nothing leaves them; a final nomination no longer blocks a new one for its subject
RECOGNISED_STATES = ("evaluated_co_so", "proposed_nganh", "recognized")  # an example, at cơ sở level or higher
MINISTRY_VISIBLE_STATES = (*RECOGNISED_STATES, "revoked")  # what the Ministry reads of a department's nominations
EDITABLE_STATES = ("registered", "nurtured")  # the dossier may still change
RECOGNISED_BY_LEVEL = {"co_so": ("evaluated_co_so", "proposed_nganh"), "nganh": ("recognized",)}
MAIN_ROAD = ("registered", "nurtured", "submitted", "evaluated_co_so", "proposed_nganh", "recognized")
# How far along the main road a state is (1 = registered … 6 = recognized; any state off the road counts as 1). A
# nomination's furthest stage is the highest of these over its history: `Nomination.furthest_stage`, written by each
# step, so that the reports' funnel counts it without reading the history.
STAGE_RANK = {s: i for i, s in enumerate(MAIN_ROAD, start=1)}


def stage_rank(state: str | None) -> int:
    return STAGE_RANK.get(state, 1)


# Where each trigger comes from: the seed plans (/work/shared/seeds, cited like workflow.nominations.rules) or the law.
KH79 = "Kế hoạch 79/KH-STP ngày 27/4/2023"
KH98 = "Kế hoạch 98/KH-STP ngày 13/7/2021"
KH23 = "Kế hoạch 23/KH-STP ngày 07/01/2022"
LAW_06 = "Luật Thi đua, khen thưởng số 06/2022/QH15"
DOMAIN = "Quy trình nghiệp vụ (DOMAIN.md)"


@dataclass(frozen=True)
class Trigger:
    code: str
    sources: tuple[str, ...]
    dest: str
    requires: tuple[str, ...] = ()  # data the actor must give ("reason", "decision_number", ...)
    irreversible: bool = False
    cite: str = ""  # the rule's source, shown on the lifecycle page beside the trigger
    extra: dict = field(default_factory=dict)


def _t(code, sources, dest, requires=(), irreversible=False, *, cite):
    sources = tuple(sources) if isinstance(sources, list | tuple) else (sources,)
    return Trigger(code, sources, dest, tuple(requires), irreversible, cite=cite)


TRIGGERS: dict[str, Trigger] = {
    t.code: t
    for t in (
        _t("start_nurturing", "registered", "nurtured", ("nurture_plan",),
           cite=f"{KH79}, mục II.1.1 (bồi dưỡng điển hình theo kế hoạch cụ thể)"),
        _t("submit", "nurtured", "submitted", irreversible=True,
           cite=f"{KH79}, mục II.2.2.b; {KH23}, mục II.3 (đơn vị đề nghị bình xét)"),
        _t("return_for_revision", "submitted", "nurtured", ("reason",),
           cite=f"{KH79}, mục II.1.1 (khắc phục những mặt còn tồn tại, hạn chế)"),
        _t("reject_co_so", "submitted", "not_recognized", irreversible=True,
           cite=f"{KH98}, mục II.3 (bình xét, số lượng) và mục IV.1 (Hội đồng Thi đua – Khen thưởng)"),
        _t("recognize_co_so", "submitted", "evaluated_co_so", ("decision_number", "decision_date"),
           irreversible=True, cite=f"{KH79}, mục III.1 (Giám đốc Sở xét công nhận điển hình tiên tiến cấp cơ sở)"),
        _t("propose_nganh", "evaluated_co_so", "proposed_nganh", irreversible=True,
           cite=f"{KH79}, mục II.2.2.c (Sở Tư pháp bình xét, đề nghị Bộ trưởng)"),
        _t("recognize_nganh", "proposed_nganh", "recognized", ("decision_number", "decision_date"), irreversible=True,
           cite=f"{KH79}, mục II.2.2.c (Bộ trưởng Bộ Tư pháp xét, công nhận)"),
        _t("reject_nganh", "proposed_nganh", "evaluated_co_so", ("reason",),
           irreversible=True, cite=f"{KH79}, mục II.2.2.c (Bộ trưởng Bộ Tư pháp xét, công nhận)"),
        _t("withdraw", ["registered", "nurtured", "submitted"], "withdrawn", ("reason",), irreversible=True,
           cite=f"{DOMAIN}, vòng đời hồ sơ: đơn vị rút hồ sơ trước khi bình xét"),
        _t("revoke", ["evaluated_co_so", "recognized"], "revoked", ("reason", "decision_number"), irreversible=True,
           cite=f"{LAW_06}, Chương VII (hủy bỏ công nhận khi thành tích, hồ sơ không đúng sự thật)"),
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
