"""Changes of the organisation in bulk from an .xlsx (issue 16): all rows or none, like the imports of units and
people (`workflow.administration.imports`: the same reading, header aliases, text rule and row-numbered errors).

Each row is one change (its columns: `imports.COLUMNS["unit_changes"]`), applied in the file's order through the
very operations of the page and the API (`workflow.administration.units`), so a later row may act on a unit an
earlier one created or renamed. A split takes several rows of the same unit: a row per part (a new unit's code and
name, or an existing unit's code), and a row per person and per nomination in flight naming its part ("Về đơn vị").
Every change is tried; each refusal is reported on its rows; if any row failed, `ImportFailed` is raised and the
caller's transaction (web.db.perform, the CLI) rolls every change back: nothing is written.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Unit, fold
from workflow import events, signals
from workflow.administration import imports
from workflow.administration import units as reorg
from workflow.context import CLI, Context
from workflow.errors import DomainError
from workflow.labels import UNIT_CHANGE_LABELS
from workflow.policy import Actor

KIND = "unit_changes"
CHANGE_OF = imports._choices_map(reorg.OPERATIONS, UNIT_CHANGE_LABELS) | {
    fold(w): k for k, w in (("move", "Điều chuyển"), ("close", "Giải thể"))}


@dataclass
class _Change:
    kind: str
    unit_code: str
    row: int
    values: dict
    rows: list[tuple[int, dict]] = field(default_factory=list)  # a split's rows


def _changes(checker, records) -> list[_Change]:
    """The file's changes in order; a split gathers every row of its unit (at the place of its first row)."""
    out: list[_Change] = []
    splits: dict[str, _Change] = {}
    for row, values in records:
        kind = checker.choice(row, values, "change", CHANGE_OF)
        code = checker.text(row, values, "unit_code")
        checker.text(row, values, "effective_date")
        for key in ("name", "code", "target_code", "part_code"):
            checker.text(row, values, key)
        if kind is None or not code:
            continue
        if kind == "split":
            key = code.casefold()
            if key not in splits:
                splits[key] = _Change(kind, code, row, values)
                out.append(splits[key])
            splits[key].rows.append((row, values))
        else:
            out.append(_Change(kind, code, row, values))
    return out


def _unit_id(session: Session, code: str) -> int | None:
    return session.scalar(select(Unit.id).where(Unit.code == code)) if code else None


def _data(session: Session, change: _Change) -> tuple[dict, dict[str, int]]:
    """The operation's data from the row(s), and which row each of its fields came from (to report refusals)."""
    v = change.values
    data: dict = {"effective_date": v.get("effective_date")}
    where: dict[str, int] = {}
    target = _unit_id(session, v.get("target_code", ""))
    missing_target = v.get("target_code") and target is None
    if change.kind == "rename":
        data |= {"name": v.get("name"), "code": v.get("code") or None}
    elif change.kind == "merge":
        data |= {"into_id": target if not missing_target else -1, "new_code": v.get("code"), "new_name": v.get("name")}
    elif change.kind == "move":
        data["parent_id"] = target if not missing_target else -1
    elif change.kind == "close":
        data["successor_id"] = target if not missing_target else -1
    elif change.kind == "split":
        parts, index_of, people, nominations = [], {}, {}, {}
        for row, values in change.rows:
            if values.get("person_id") or values.get("nomination_id"):
                part = index_of.get((values.get("part_code") or "").casefold(), "?")
                if values.get("person_id"):
                    people[values["person_id"]] = part
                    where[f"people.{values['person_id']}"] = row
                if values.get("nomination_id"):
                    nominations[values["nomination_id"]] = part
                    where[f"nominations.{values['nomination_id']}"] = row
                continue
            i = len(parts)
            inherits = fold(values.get("inherits", "")) in imports.TRUE_WORDS
            existing = _unit_id(session, values.get("target_code", ""))
            if values.get("target_code"):
                parts.append({"unit_id": existing if existing is not None else -1, "inherits_records": inherits})
                index_of[values["target_code"].casefold()] = i
            else:
                parts.append({"code": values.get("code"), "name": values.get("name"), "inherits_records": inherits})
                index_of[(values.get("code") or "").casefold()] = i
            where[f"parts.{i}"] = row
        data |= {"parts": parts, "people": people, "nominations": nominations}
    return data, where


_COLUMN_OF = {"effective_date": "effective_date", "name": "name", "code": "code", "new_code": "code",
              "new_name": "name", "into_id": "target_code", "parent_id": "target_code", "successor_id": "target_code",
              "unit_id": "unit_code", "people": "person_id", "nominations": "nomination_id", "parts": "code"}


def _column_of(field_name: str) -> str:
    """The sheet's column of an operation's field ("people.12" → "person_id", "parts.1.unit_id" → "target_code")."""
    if field_name.startswith("parts.") and field_name.endswith("unit_id"):
        return "target_code"
    head = field_name.split(".", 1)[0]
    return _COLUMN_OF.get(field_name, _COLUMN_OF.get(head, "change"))


def _row_of(field_name: str, where: dict[str, int], default: int) -> int:
    for key in (field_name, field_name.rsplit(".", 1)[0], ".".join(field_name.split(".")[:2])):
        if key in where:
            return where[key]
    return default


def import_changes(session: Session, actor: Actor | None, data: bytes, *, filename: str = "",
                   context: Context = CLI) -> imports.ImportResult:
    """Reads, checks and applies every change of the file, or raises ImportFailed listing each bad row."""
    reorg._require(actor)
    found, records = imports._read(KIND, data)
    checker = imports._Checker(KIND, found)
    checker.apply_text_rule(records)
    changes = _changes(checker, records)
    done = 0
    for change in changes:
        unit_id = _unit_id(session, change.unit_code)
        if unit_id is None:
            checker.add(change.row, "unit_code", f"Không có đơn vị mã “{change.unit_code}”.")
            continue
        payload, where = _data(session, change)
        try:
            with session.begin_nested():  # a refused change leaves nothing, the next rows are still checked
                reorg.apply(session, actor, change.kind, unit_id, payload, context=context)
        except DomainError as err:
            for name, message in (err.field_errors or {"": err.detail}).items():
                checker.errors.append(imports.RowError(_row_of(name, where, change.row),
                                                       checker.name(_column_of(name)), message))
            continue
        done += 1
    if checker.errors:
        errors = sorted(checker.errors, key=lambda e: e.row)
        rows = len({e.row for e in errors})
        raise imports.ImportFailed(f"Có lỗi ở {rows} dòng: không có thay đổi nào được ghi nhận. Sửa các lỗi dưới "
                                   "đây rồi nhập lại toàn bộ tệp.", errors)
    signals.emit(session, events.RecordsImported(kind=KIND, rows=len(records), created=done, filename=filename[:200],
                                                 actor=actor, context=context))
    return imports.ImportResult(KIND, done, len(records))
