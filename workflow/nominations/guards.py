"""Per-trigger guards beyond permission and state: what the trigger needs and what must be true first.

Each guard returns a list of Vietnamese reasons (empty: it holds). Guards that depend on features still to come
(the council's vote, the signed proposal) fail closed: they name what is missing rather than let the step through.
"""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from models import DecisionItem, Nomination
from workflow import inputs
from workflow.council import results as council_results
from workflow.nominations import rules

REQUIRED_LABELS = {
    "reason": "Lý do",
    "nurture_plan": "Kế hoạch bồi dưỡng",
    "decision_number": "Số quyết định",
    "decision_date": "Ngày quyết định",
}

Guard = Callable[[Session, Nomination, dict], list[str]]
GUARDS: dict[str, list[Guard]] = {}


def guard(*actions: str):
    def register(fn: Guard) -> Guard:
        for a in actions:
            GUARDS.setdefault(a, []).append(fn)
        return fn

    return register


def missing_data(requires: tuple[str, ...], data: dict, nomination: Nomination) -> list[str]:
    reasons = []
    for key in requires:
        value = data.get(key)
        if key == "nurture_plan" and not value:
            value = nomination.nurture_plan  # a plan already recorded on the dossier counts
        if key == "decision_date":
            if value in (None, ""):
                reasons.append(f"Thiếu {REQUIRED_LABELS[key].lower()}.")
            else:
                try:
                    inputs.date(value)
                except inputs.Invalid:
                    reasons.append(f"Ngày quyết định không hợp lệ. Nhập theo dạng {inputs.DATE_FORMATS}.")
            continue
        if not (isinstance(value, str) and value.strip()):
            reasons.append(f"Thiếu {REQUIRED_LABELS.get(key, key).lower()}.")
    return reasons


@guard("submit")
def _dossier_complete_and_eligible(session: Session, n: Nomination, data: dict) -> list[str]:
    return rules.dossier_gaps(n) + rules.hard_failures(rules.evaluate(session, n, "submit"))


# Looked up by the council feature: returns "passed", "failed" or None (no result recorded yet).
def council_outcome(session: Session, n: Nomination) -> str | None:
    return council_results.outcome(session, n)


@guard("recognize_co_so")
def _council_passed(session: Session, n: Nomination, data: dict) -> list[str]:
    outcome = council_outcome(session, n)
    if outcome != "passed":
        return ["Hồ sơ chưa được Hội đồng Thi đua – Khen thưởng biểu quyết thông qua."]
    return []


@guard("recognize_co_so", "recognize_nganh")
def listed_in_decision(session: Session, n: Nomination, data: dict) -> list[str]:
    """A recognition is only ever the act of a decision: `workflow.proposals.decisions.issue` numbers it, lists the
    item and passes its id. A bare transition (say POST /nominations/{id}/transitions) with a typed number is refused,
    so no recognition exists without its Quyết định. A registered guard, so `available_actions` offers the step as
    refused for the same reason the transition gives; `decisions.issue` skips it while checking the items it is about to
    list."""
    decision_id = data.get("decision_id")
    listed = isinstance(decision_id, int) and session.scalar(select(exists().where(
        DecisionItem.decision_id == decision_id, DecisionItem.nomination_id == n.id)))
    if not listed:
        return ["Việc công nhận được thực hiện bằng Quyết định (chức năng Quyết định), không thao tác trực tiếp."]
    return []


def _unless_failed(outcome: str | None) -> list[str]:
    if outcome != "failed":
        return ["Chỉ áp dụng khi Hội đồng biểu quyết không thông qua hoặc đã hết chỉ tiêu."]
    return []


@guard("reject_co_so")
def _council_failed(session: Session, n: Nomination, data: dict) -> list[str]:
    return _unless_failed(council_outcome(session, n))


def _council_failed_many(session: Session, ns: list[Nomination], data: dict) -> dict[int, list[str]]:
    outcomes = council_results.outcomes(session, ns)
    return {n.id: _unless_failed(outcomes[n.id]) for n in ns}


# Guards that also have a form over many nominations at once (one query for all): `check_many` uses it.
MANY: dict[Guard, Callable[[Session, list[Nomination], dict], dict[int, list[str]]]] = {
    _council_failed: _council_failed_many,
}


def proposal_listed(session: Session, n: Nomination, data: dict) -> bool:
    return council_results.listed_in_submitted_proposal(session, n, data)


@guard("propose_nganh")
def _nganh_eligible(session: Session, n: Nomination, data: dict) -> list[str]:
    reasons = rules.hard_failures(rules.evaluate(session, n, "propose"))
    if not proposal_listed(session, n, data):
        reasons.append("Hồ sơ chưa có trong Tờ trình đề nghị Bộ trưởng công nhận đã được ký trình.")
    return reasons


def check(session: Session, n: Nomination, action: str, data: dict, *, skip: tuple[Guard, ...] = ()) -> list[str]:
    reasons: list[str] = []
    for fn in GUARDS.get(action, []):
        if fn not in skip:
            reasons.extend(fn(session, n, data))
    return reasons


def check_many(session: Session, ns: list[Nomination], action: str, data: dict, *,
               skip: tuple[Guard, ...] = ()) -> dict[int, list[str]]:
    """`check` for each of `ns` (same reasons, same order): a guard with a form in MANY asks once for all."""
    reasons: dict[int, list[str]] = {n.id: [] for n in ns}
    for fn in GUARDS.get(action, []):
        if fn in skip:
            continue
        if fn in MANY:
            for nomination_id, found in MANY[fn](session, ns, data).items():
                reasons[nomination_id].extend(found)
        else:
            for n in ns:
                reasons[n.id].extend(fn(session, n, data))
    return reasons
