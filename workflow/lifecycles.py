"""The lifecycles of council sessions, proposals and stories as data, each fired by one shared `transitions` Machine,
and the registry of every lifecycle (the nomination's included) that the lifecycle page and the README draw.

As for nominations (workflow.nominations.machine, ARCHITECTURE.md "transitions pitfalls"), nothing is attached to ORM
rows: a service checks its own rules first (so its refusal names them), then `fire`s the trigger, which only moves
`state`. An object in a state the trigger does not leave from is a 409 conflict, never a silent assignment.
"""
from __future__ import annotations

from dataclasses import dataclass

from transitions import Machine, MachineError

from models.council import SESSION_STATES
from models.propagation import STORY_STATES
from models.proposals import PROPOSAL_STATES
from workflow.errors import Conflict
from workflow.labels import (
    ACTION_LABELS,
    PROPOSAL_ACTION_LABELS,
    PROPOSAL_STATE_LABELS,
    SESSION_ACTION_LABELS,
    SESSION_STATE_LABELS,
    STATE_LABELS,
    STORY_ACTION_LABELS,
    STORY_STATE_LABELS,
)
from workflow.nominations import machine as nomination_machine
from workflow.nominations.machine import DOMAIN, KH79

ND_98 = "Nghị định 98/2023/NĐ-CP, Điều 46"
KH_DONG_THAP = "Kế hoạch tuyên truyền và nhân rộng điển hình tiên tiến của Sở Tư pháp Đồng Tháp giai đoạn 2026–2030"


@dataclass(frozen=True)
class Step:
    """One trigger of a lifecycle: where it may start, where it leads, and the rule's source."""

    code: str
    sources: tuple[str, ...]
    dest: str
    cite: str


class Lifecycle:
    """A lifecycle's table (states, initial state, steps) and the one Machine built from it at import."""

    def __init__(self, key: str, *, title: str, states: tuple[str, ...], initial: str | None, steps: tuple[Step, ...],
                 state_labels: dict[str, str], action_labels: dict[str, str], final: tuple[str, ...]):
        self.key, self.title, self.states, self.initial = key, title, tuple(states), initial
        self.steps = {s.code: s for s in steps}
        self.state_labels, self.action_labels, self.final = state_labels, action_labels, tuple(final)
        self.machine = Machine(
            model=None, states=list(self.states),
            transitions=[{"trigger": s.code, "source": list(s.sources), "dest": s.dest} for s in steps],
            initial=None, auto_transitions=False, model_attribute="state",
        )

    def sources(self, action: str) -> tuple[str, ...]:
        return self.steps[action].sources

    def can_fire(self, obj, action: str) -> bool:
        return obj.state in self.steps[action].sources

    def fire(self, obj, action: str, refusal: str | None = None) -> None:
        """Moves `obj.state` along `action`; from any other state a Conflict (409) with `refusal` as its message."""
        label = self.action_labels[action]
        try:
            applied = self.machine.events[action].trigger(obj)
        except MachineError:
            applied = False
        if not applied:
            raise Conflict(refusal or f"Không thể “{label}” ở trạng thái hiện tại.",
                           [f"Trạng thái: {self.state_labels.get(obj.state, obj.state)}."])


# ------------------------------------------------------------------------------------------------ council sessions
SESSION_LIVE_STATES = ("scheduled", "open")  # the agenda and attendance may change; its items are taken
SESSION_VOTING_STATES = ("open",)
SESSION_FINAL_STATES = ("closed",)  # held and judged: results, minutes, decisions rest on it
SESSION_CANCELLED_STATES = ("cancelled",)  # never held: no results, never counted; its items went back to the pool
SESSION_ENDED_STATES = SESSION_FINAL_STATES + SESSION_CANCELLED_STATES  # nothing may change any more
SESSION = Lifecycle(
    "council_session", title="Phiên họp Hội đồng Thi đua – Khen thưởng", states=SESSION_STATES, initial="scheduled",
    steps=(
        Step("open", ("scheduled",), "open",
             f"{ND_98} (công khai danh sách trước khi họp); {DOMAIN}, Hội đồng Thi đua – Khen thưởng"),
        Step("close", ("open",), "closed",
             f"{DOMAIN}, Hội đồng Thi đua – Khen thưởng: kiểm phiếu, áp dụng tỷ lệ biểu quyết và chỉ tiêu"),
        Step("cancel", ("scheduled",), "cancelled",
             f"{DOMAIN}, Hội đồng Thi đua – Khen thưởng: Văn phòng Sở hủy phiên họp chưa khai mạc, nêu lý do; "
             "hồ sơ trong chương trình trở lại danh sách chờ xét"),
    ),
    state_labels=SESSION_STATE_LABELS, action_labels=SESSION_ACTION_LABELS, final=SESSION_ENDED_STATES,
)

# ------------------------------------------------------------------------------------------------ proposals
PROPOSAL_EDITABLE_STATES = ("draft",)
PROPOSAL_FINAL_STATES = ("submitted",)  # locked; the Ministry decides item by item
PROPOSAL = Lifecycle(
    "proposal", title="Tờ trình đề nghị Bộ trưởng công nhận", states=PROPOSAL_STATES, initial="draft",
    steps=(Step("submit", ("draft",), "submitted", f"{KH79}, mục II.2.2.c (Sở Tư pháp bình xét, đề nghị Bộ trưởng)"),),
    state_labels=PROPOSAL_STATE_LABELS, action_labels=PROPOSAL_ACTION_LABELS, final=PROPOSAL_FINAL_STATES,
)

# ------------------------------------------------------------------------------------------------ stories
STORY_EDITABLE_STATES = ("draft",)
STORY_PUBLIC_STATES = ("published",)  # public while its example is still recognised
STORY = Lifecycle(
    "story", title="Bài viết tuyên truyền", states=STORY_STATES, initial="draft",
    steps=(
        Step("publish", ("draft",), "published",
             f"{KH79}, mục II.1.2 (tuyên truyền trên Cổng thông tin điện tử, Bản tin Tư pháp); {KH_DONG_THAP}, "
             "mục II.2 (hình thức)"),
        Step("unpublish", ("published",), "draft", f"{KH79}, mục II.1.2 (Ban biên tập gỡ bài để chỉnh sửa)"),
    ),
    state_labels=STORY_STATE_LABELS, action_labels=STORY_ACTION_LABELS, final=(),
)


# ------------------------------------------------------------------------------------------------ every lifecycle
@dataclass(frozen=True)
class View:
    """A lifecycle as the page and the README draw it: whatever machine fires it."""

    key: str
    title: str
    states: tuple[str, ...]
    initial: str | None
    final: tuple[str, ...]
    steps: tuple[Step, ...]
    state_labels: dict[str, str]
    action_labels: dict[str, str]


def _nominations() -> View:
    steps = tuple(Step(t.code, t.sources, t.dest, t.cite) for t in nomination_machine.TRIGGERS.values())
    return View("nomination", "Hồ sơ điển hình tiên tiến", tuple(nomination_machine.MACHINE.states), "registered",
                tuple(nomination_machine.FINAL_STATES), steps, STATE_LABELS, ACTION_LABELS)


def _view(lc: Lifecycle) -> View:
    return View(lc.key, lc.title, lc.states, lc.initial, lc.final, tuple(lc.steps.values()), lc.state_labels,
                lc.action_labels)


ALL: tuple[View, ...] = (_nominations(), _view(SESSION), _view(PROPOSAL), _view(STORY))
