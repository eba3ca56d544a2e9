"""Turning posted forms into the arguments of the workflow service. No rule is decided here: a value that cannot
even be parsed is passed on as None and the service names what is missing."""
from __future__ import annotations

from werkzeug.datastructures import MultiDict

from workflow import inputs
from workflow.nominations import rules

TRANSITION_FIELDS = ("reason", "nurture_plan", "decision_number", "decision_date")


def registration(form: MultiDict) -> dict:
    subject_type = form.get("subject_type") or ""
    return {
        "campaign_id": inputs.integer_or_none(form.get("campaign_id")),
        "subject_type": subject_type,
        "unit_id": inputs.integer_or_none(form.get("unit_id")) if subject_type == "collective" else None,
        "person_id": inputs.integer_or_none(form.get("person_id")) if subject_type == "individual" else None,
        "title": form.get("title", ""),
        "achievements": form.get("achievements", ""),
        "initiatives": form.get("initiatives", ""),
    }


def transition_data(form: MultiDict, requires: tuple[str, ...]) -> dict:
    """Only the fields the trigger asks for are passed on (an unrelated field must not reach the history)."""
    data = {k: form.get(k, "") for k in TRANSITION_FIELDS if k in requires}
    return data


def dossier(form: MultiDict, nomination) -> dict:
    """Title, texts, nurture plan and the criteria answers ("yes" / "no" / "" for not answered yet)."""
    criteria = {}
    for c in rules.criteria_for(nomination.subject_type, nomination.campaign.kind):
        met = form.get(f"criterion-{c.code}-met", "")
        criteria[c.code] = {"met": {"yes": True, "no": False}.get(met),
                            "evidence": form.get(f"criterion-{c.code}-evidence", "")}
    fields = {k: form.get(k, "") for k in ("title", "achievements", "initiatives", "nurture_plan")}
    return dict(fields, criteria=criteria)
