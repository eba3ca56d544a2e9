"""Turning posted council forms into the services' arguments. Nothing is decided here: a value that cannot be parsed
is passed on as typed and the service names it invalid."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from werkzeug.datastructures import MultiDict

from workflow import inputs
from workflow.errors import ValidationFailed

PERCENT_FIELDS = {"quorum": "Tỷ lệ thành viên có mặt tối thiểu", "pass_threshold": "Tỷ lệ đồng ý tối thiểu"}
PERCENT_HINT = "Nhập phần trăm lớn hơn 0 và không quá 100, ví dụ 66,67."


def ratio(value) -> str:
    """A percentage as typed ("66,67", "70 %") to the ratio the council settings hold ("0.6667")."""
    text = str(value or "").replace("%", "").replace(" ", "").replace(",", ".").strip()
    try:
        return str(Decimal(text) / 100)
    except InvalidOperation:
        return text or "x"


def settings(form: MultiDict) -> dict:
    days = inputs.integer_or_none(form.get("publicity_working_days"))
    return {
        "name": form.get("name", ""),
        "quorum": ratio(form.get("quorum")),
        "pass_threshold": ratio(form.get("pass_threshold")),
        "publicity_working_days": days if days is not None else (form.get("publicity_working_days") or "x"),
    }


def percent_errors(err: ValidationFailed) -> ValidationFailed:
    """The service speaks of ratios (0.6667); the form asks for percentages: say it the form's way."""
    fields = dict(err.field_errors)
    reasons = []
    for key, message in err.field_errors.items():
        if key in PERCENT_FIELDS:
            fields[key] = PERCENT_HINT
            reasons.append(f"{PERCENT_FIELDS[key]}: {PERCENT_HINT}")
        else:
            reasons.append(message)
    return ValidationFailed(err.detail, reasons or err.reasons, fields)
