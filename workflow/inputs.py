"""The text rule: what a text may hold to enter the system, wherever it comes from (a form, an API body, a query
parameter, an import cell, a login). One rule, applied at each boundary (`web.inputs` for requests, the .xlsx import
parser per cell, `accounts.authenticate` for the username), never field by field.

- No NUL and no control character (Unicode category Cc: C0, DEL, C1), no lone surrogate, no U+FFFE/U+FFFF.
- Long texts (multi-line: `LONG_TEXTS`, the one place that decides which fields they are) may also hold a tab and a
  newline; a CR is accepted only as part of a CRLF newline (what a browser sends from a textarea) and is normalised
  to LF. Every other field is one line: no tab, no newline.

So everything stored is valid in XML 1.0, and no document or export can fail on stored text. For rows stored
before the rule, `xml_safe` removes what XML refuses when a document or a spreadsheet is written.

The parsers below (`text`, `integer`, `date`, `ids`, `choice`, `flag`) are the one reading of a value from a form, a
JSON body or a query string, shared by every service, page and API route, so one bad value gets one Vietnamese
message wherever it is typed. Each raises `Invalid`; a `Form` collects them field by field so a whole form is
answered at once (one ValidationFailed, 422), and `one` answers a single parameter at once.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable

from workflow.errors import ValidationFailed
from workflow.labels import FIELD_LABELS

# Fields whose text may run over several lines, by their last name part: `note_3` is a `note`, the JSON path
# `criteria.TT1.evidence` and the form name `criterion-TT1-evidence` are an `evidence`.
LONG_TEXTS = frozenset({
    "achievements", "initiatives", "evidence", "nurture_plan", "comment", "reason", "note", "text", "body",
    "summary", "legal_basis", "award_forms", "theme", "content", "description",
    "parts",  # a split's parts typed one per line on the unit's page (workflow.administration.units.form_data)
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
        [f"{FIELD_LABELS.get(field) or field}: {reason}" for field, reason in errors.items()],
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


# ------------------------------------------------------------------------------------------------ parsers
INT_MAX = 2**31 - 1  # what an INTEGER column holds: a larger id must not reach PostgreSQL's comparison
INVALID = "Thông tin chưa hợp lệ, vui lòng kiểm tra các trường được đánh dấu."
REQUIRED = "Bắt buộc nhập."
REQUIRED_CHOICE = "Bắt buộc chọn."
NOT_TEXT = "Phải là chuỗi ký tự."
NOT_INTEGER = "Phải là số nguyên."
BAD_CHOICE = "Lựa chọn không hợp lệ."
# The format the forms show (dd/mm/yyyy). The parser also reads ISO yyyy-mm-dd (the API, date pickers), but a message
# names only what the user sees on the form (issue 14, finding 8).
DATE_FORMATS = "ngày/tháng/năm, ví dụ 30/10/2025"
BAD_DATE = f"Ngày không hợp lệ. Nhập theo dạng {DATE_FORMATS}."
BAD_IDS = "Phải là danh sách mã số (số nguyên dương)."
EMPTY_IDS = "Chọn ít nhất một mục."

# ASCII digits only: `\d` would let "１２" (full-width) and other scripts' digits through to int(). At most 18 digits:
# beyond any column, and int() of 5,000 digits is refused anyway.
_INTEGER = re.compile(r"[+-]?\d{1,18}", re.ASCII)
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_VN_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})", re.ASCII)


class Invalid(ValueError):
    """A value a parser refuses; `message` is the Vietnamese sentence shown beside the field."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value, *, limit: int, required: bool = False, long: bool = False) -> str | None:
    """A trimmed text within `limit` characters and the text rule (a service called from the CLI or an import gets
    the same rule as a request); None when empty."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid(NOT_TEXT)
    value = value.strip()
    if not value:
        if required:
            raise Invalid(REQUIRED)
        return None
    if len(value) > limit:
        raise Invalid(f"Tối đa {limit} ký tự.")
    reason = problem(value, long=long)
    if reason:
        raise Invalid(reason)
    return normalise(value, long=long)


def integer(value, *, required: bool = False, minimum: int | None = None, maximum: int = INT_MAX) -> int | None:
    """An int, or a string of digits (spaces around allowed): never a bool, a float, '1e9' or '12abc'."""
    if blank(value):
        if required:
            raise Invalid(REQUIRED)
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise Invalid(NOT_INTEGER)
    if isinstance(value, str):
        if not _INTEGER.fullmatch(value.strip()):
            raise Invalid(NOT_INTEGER)
        value = int(value.strip())
    if (minimum is not None and value < minimum) or value > maximum:
        raise Invalid(f"Phải là số từ {minimum} đến {maximum}." if minimum is not None
                      else f"Phải là số không quá {maximum}.")
    return value


def date(value, *, required: bool = False) -> dt.date | None:
    """A calendar day typed as dd/mm/yyyy (d/m/yyyy too: what the pages show) or ISO 8601 yyyy-mm-dd (what the API
    and the date pickers send); a date object passes, a datetime gives its day."""
    if blank(value):
        if required:
            raise Invalid(REQUIRED)
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        stripped = value.strip()
        iso, vn = _ISO_DATE.fullmatch(stripped), _VN_DATE.fullmatch(stripped)
        parts = (iso.group(1), iso.group(2), iso.group(3)) if iso else \
            (vn.group(3), vn.group(2), vn.group(1)) if vn else None
        if parts:
            try:
                return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
            except ValueError:
                pass
    raise Invalid(BAD_DATE)


def ids(value, *, required: bool = True) -> list[int]:
    """Database ids, duplicates dropped in order. The items are integers already (a JSON list; a form's checked boxes
    go through `ids_as_typed` first): a service called with "5" was handed the wrong thing and says so."""
    if value is None or value == "":
        value = []
    if not isinstance(value, list | tuple):
        raise Invalid(BAD_IDS)
    out: list[int] = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int) or not 1 <= item <= INT_MAX:
            raise Invalid(BAD_IDS)
        out.append(item)
    if required and not out:
        raise Invalid(EMPTY_IDS)
    return list(dict.fromkeys(out))


def integer_or_none(value) -> int | None:
    """An id from a query string or a hidden field, None when absent or not a number: the service then answers
    "not found" or "required" in its own words."""
    try:
        return integer(value)
    except Invalid:
        return None


def ids_as_typed(values: Iterable) -> list:
    """The checked boxes of a form: numbers as ints, anything else passed on as is, so that the service's `ids`
    refuses the list naming the field instead of the page silently dropping a box."""
    return [number if (number := integer_or_none(v)) is not None else v for v in values]


def choice(value, allowed: Iterable[str], *, required: bool = True) -> str | None:
    """One of `allowed` (form select values, JSON enums)."""
    if blank(value):
        if required:
            raise Invalid(REQUIRED_CHOICE)
        return None
    if not isinstance(value, str) or value not in allowed:
        raise Invalid(BAD_CHOICE)
    return value


def flag(value) -> bool:
    """A checkbox or a JSON boolean: absent, unchecked or anything unknown is False."""
    return value is True or (isinstance(value, str) and value.strip().lower() in ("1", "on", "true", "yes", "y"))


class Form:
    """The errors of one whole form: each field is parsed and its message kept (the first per field), so the user
    sees every wrong field at once; `check` then raises one ValidationFailed (422 problem+json in the API, the
    page's message and marked fields in a page)."""

    def __init__(self, detail: str = INVALID, labels: dict[str, str] | None = None):
        self.detail = detail
        self.labels = labels or {}
        self.errors: dict[str, str] = {}
        self.reasons: list[str] = []

    def label(self, name: str) -> str:
        """The field as the form labels it (this form's `labels`, else the glossary's FIELD_LABELS): a reason names
        the field in the user's words, never its internal name."""
        return self.labels.get(name) or FIELD_LABELS.get(name) or FIELD_LABELS.get(name.removesuffix("_id")) or ""

    def __bool__(self) -> bool:
        return bool(self.errors)

    def __contains__(self, name: str) -> bool:
        return name in self.errors

    def add(self, name: str, message: str, reason: str | None = None) -> None:
        """A rule across fields failed (an end before a start): the message beside `name`, `reason` in the list."""
        self.errors.setdefault(name, message)
        if reason:
            self.reasons.append(reason)

    def field(self, name: str, parse: Callable, value, **options):
        """`parse(value, **options)`, or None with the field's message collected."""
        try:
            return parse(value, **options)
        except Invalid as exc:
            self.add(name, exc.message)
            return None

    def text(self, name: str, value, **options) -> str | None:
        return self.field(name, text, value, long=options.pop("long", is_long(name)), **options)

    def integer(self, name: str, value, **options) -> int | None:
        return self.field(name, integer, value, **options)

    def date(self, name: str, value, **options) -> dt.date | None:
        return self.field(name, date, value, **options)

    def ids(self, name: str, value, **options) -> list[int]:
        return self.field(name, ids, value, **options) or []

    def choice(self, name: str, value, allowed: Iterable[str], **options) -> str | None:
        return self.field(name, choice, value, allowed=allowed, **options)

    def error(self, detail: str | None = None) -> ValidationFailed:
        """One ValidationFailed: `field_errors` keyed by the field's name (the form marks the field, the API keys its
        `errors`), each reason naming the field by its label ("Ngày theo dõi: Ngày không hợp lệ…")."""
        reasons = self.reasons or list(dict.fromkeys(
            f"{self.label(name)}: {message}" if self.label(name) else message for name, message in self.errors.items()))
        return ValidationFailed(detail or self.detail, reasons, dict(self.errors))

    def check(self, detail: str | None = None) -> None:
        """Raises the collected errors as one ValidationFailed; nothing when every field was right."""
        if self.errors:
            raise self.error(detail)


def one(name: str, parse: Callable, value, *, detail: str = INVALID, label: str | None = None, **options):
    """A single parameter (a query filter, an id in a path-like field): parsed, or a ValidationFailed naming it (by
    `label`, else the glossary's label of `name`)."""
    form = Form(detail, {name: label} if label else None)
    result = form.field(name, parse, value, **options)
    if form:
        raise form.error()
    return result
