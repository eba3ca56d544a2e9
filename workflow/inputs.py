"""The text rule: what a text may hold to enter the system, wherever it comes from (a form, an API body, a query
parameter, an import cell, a login). One rule, applied at each boundary (`web.inputs` for requests, the .xlsx import
parser per cell, `accounts.authenticate` for the username), never field by field.

- No NUL and no control character (Unicode category Cc: C0, DEL, C1), no lone surrogate, no U+FFFE/U+FFFF.
- Long texts (multi-line: `LONG_TEXTS`, the one place that decides which fields they are) may also hold a tab and a
  newline; a CR is accepted only as part of a CRLF newline (what a browser sends from a textarea) and is normalised
  to LF. Every other field is one line: no tab, no newline.

So everything stored is valid in XML 1.0, and no document or export can fail on stored text. For rows stored
before the rule, `xml_safe` removes what XML refuses when a document or a spreadsheet is written.
"""
from __future__ import annotations

import re
import unicodedata

from workflow.errors import ValidationFailed

# Fields whose text may run over several lines, by their last name part: `note_3` is a `note`, the JSON path
# `criteria.TT1.evidence` and the form name `criterion-TT1-evidence` are an `evidence`.
LONG_TEXTS = frozenset({
    "achievements", "initiatives", "evidence", "nurture_plan", "comment", "reason", "note", "text", "body",
    "summary", "legal_basis", "award_forms", "theme", "content", "description",
})
_LEAF = re.compile(r"(?:.*[.\-\[\]])?([A-Za-z_]*?)(?:_\d+)?\]?$")

_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_ONE_LINE = re.compile("[\t\n\r]")
_LONE_CR = re.compile("\r(?!\n)")
# What XML 1.0 refuses (its Char production): C0 but tab/LF/CR, lone surrogates, U+FFFE, U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def is_long(name: str) -> bool:
    """Whether the field `name` (a form name, a JSON path, an import column key) is a long, multi-line text."""
    match = _LEAF.match(str(name or ""))
    return bool(match) and match.group(1) in LONG_TEXTS


def _describe(char: str) -> str:
    code = f"U+{ord(char):04X}"
    names = {"\x00": "ký tự NUL", "\t": "dấu tab", "\n": "dấu xuống dòng", "\r": "ký tự CR (về đầu dòng)"}
    if char in names:
        return f"{names[char]} ({code})"
    try:
        return f"ký tự điều khiển {code} ({unicodedata.name(char)})"
    except ValueError:
        return f"ký tự điều khiển {code}"


def problem(value: str, *, long: bool) -> str | None:
    """Why `value` may not be stored (a Vietnamese sentence), or None when it may."""
    bad = _FORBIDDEN.search(value) or (_LONE_CR.search(value) if long else _ONE_LINE.search(value))
    if bad is None:
        return None
    where = f" ở vị trí {bad.start() + 1}"
    if long:
        return f"Không được chứa {_describe(bad.group())}{where} (chỉ cho phép chữ, dấu tab và xuống dòng)."
    return f"Không được chứa {_describe(bad.group())}{where} (trường này chỉ gồm một dòng chữ)."


def normalise(value: str, *, long: bool) -> str:
    """A checked value as it is stored: CRLF → LF in long texts."""
    return value.replace("\r\n", "\n") if long else value


def check(name: str, value: str, *, long: bool | None = None) -> str:
    """`value` normalised, or ValidationFailed (422) naming the field."""
    long = is_long(name) if long is None else long
    reason = problem(value, long=long)
    if reason:
        raise refused({name: reason})
    return normalise(value, long=long)


def check_tree(value, path: str = "", errors: dict | None = None):
    """A JSON value with every string (keys included) checked and normalised; the failures go into `errors`
    (path → message), e.g. `criteria.TT1.evidence`. Returns the normalised value."""
    errors = {} if errors is None else errors
    if isinstance(value, str):
        reason = problem(value, long=is_long(path))
        if reason:
            errors[visible(path) or "_schema"] = reason
            return value
        return normalise(value, long=is_long(path))
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            key_text = str(key)
            reason = problem(key_text, long=False)
            if reason:
                errors[f"{path}.{visible(key_text)}" if path else visible(key_text)] = f"Tên trường: {reason}"
            out[key] = check_tree(item, f"{path}.{key_text}" if path else key_text, errors)
        return out
    if isinstance(value, list):
        return [check_tree(item, f"{path}[{i}]", errors) for i, item in enumerate(value)]
    return value


def refused(errors: dict[str, str]) -> ValidationFailed:
    """The 422 for texts that broke the rule, naming each field."""
    return ValidationFailed(
        "Dữ liệu chứa ký tự không được phép (ký tự điều khiển hoặc NUL).",
        [f"{field}: {reason}" for field, reason in errors.items()],
        {field: reason for field, reason in errors.items()},
    )


def visible(value: str) -> str:
    """`value` with each forbidden character written as `\\uXXXX` (for messages and the audit trail)."""
    return _FORBIDDEN.sub(lambda m: f"\\u{ord(m.group()):04x}", _ONE_LINE.sub(
        lambda m: f"\\u{ord(m.group()):04x}", value))


def xml_safe(value):
    """A text as a document or spreadsheet writer may put it in XML: what XML 1.0 refuses is removed (rows stored
    before the text rule). Non-strings pass unchanged."""
    if isinstance(value, str) and _NOT_XML.search(value):
        return _NOT_XML.sub("", value)
    return value
