"""Imports of reference data from .xlsx: units and people (CLI `dienhinh import units|people FILE.xlsx` and the
admin page /admin/import).

All rows or none: the file is checked by its content (`uploads.sniff`: an .xlsx, at most 10 MB), then its first
sheet is read (row 1 = the header, with the Vietnamese or the code names of the columns below, in any order, extra
columns ignored), then EVERY row is validated — required fields, lengths, enum values (code or Vietnamese label),
e-mail format, unit codes (a unit's parent may be defined on an earlier row of the same file), duplicates inside the
file and against the database — and only when no row has an error are the rows written, in the caller's
transaction, with one audit event for the whole import (`RecordsImported`, action admin.import_units /
admin.import_people, with the counts). Any error raises `ImportFailed` (422) listing (row as Excel numbers it,
column, Vietnamese message); nothing is written.

Units are built as `workflow.administration.operations.create_unit` builds them (department_id, search_text = fold(code
name)); people as `create_person` does (`Person.set_name`: search_text and the Vietnamese sort key).
"""
from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import EMPLOYMENT_TYPES, UNIT_KINDS, Person, Unit, fold
from workflow import events, inputs, signals, uploads
from workflow.administration.operations import require
from workflow.context import CLI, Context
from workflow.documents.common import print_one_page_wide, row_height
from workflow.errors import ValidationFailed
from workflow.labels import EMPLOYMENT_TYPE_LABELS, UNIT_KIND_LABELS
from workflow.policy import Actor

MAX_ROWS = 5000
KINDS = ("units", "people")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EMAIL = re.compile(r"^[^@\s,;<>\"']+@[^@\s,;<>\"']+\.[^@\s,;<>\"'.]{2,}$")
UNIT_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
TRUE_WORDS = {"1", "x", "co", "true", "yes", "y", "dung"}
FALSE_WORDS = {"", "0", "khong", "false", "no", "n", "sai"}


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # the Vietnamese header of the template
    aliases: tuple[str, ...]  # other accepted headers (compared folded: no accents, lower case)
    required: bool = False
    limit: int | None = None
    hint: str = ""


COLUMNS: dict[str, tuple[Column, ...]] = {
    "units": (
        Column("code", "Mã đơn vị", ("code", "ma"), True, 32, "Chữ, số, dấu chấm, gạch ngang; không trùng."),
        Column("name", "Tên đơn vị", ("name", "ten"), True, 255),
        Column("kind", "Loại đơn vị", ("kind", "loai"), True, None,
               "; ".join(f"{code} ({label})" for code, label in UNIT_KIND_LABELS.items())),
        Column("parent_code", "Mã đơn vị cấp trên", ("parent_code", "parent code", "parent", "don vi cap tren"),
               False, 32, "Bắt buộc, trừ Bộ; có sẵn hoặc ở dòng trước trong tệp."),
        Column("place", "Địa danh", ("place",), False, 100, "Ghi trước ngày tháng trên văn bản, ví dụ: An Giang."),
    ),
    "people": (
        Column("full_name", "Họ và tên", ("full_name", "full name", "ho ten", "name"), True, 200),
        Column("unit_code", "Mã đơn vị", ("unit_code", "unit code", "unit", "don vi"), True, 32),
        Column("position", "Chức vụ", ("position",), False, 200),
        Column("employment_type", "Loại hình", ("employment_type", "employment type", "loai hinh lao dong"), False,
               None, "Bỏ trống = cong_chuc; " + "; ".join(f"{c} ({lbl})" for c, lbl in EMPLOYMENT_TYPE_LABELS.items())),
        Column("is_unit_head", "Thủ trưởng đơn vị", ("is_unit_head", "is unit head", "la thu truong"), False, None,
               "Có/Không (hoặc x, 1, 0)."),
        Column("email", "Email", ("email", "e-mail", "thu dien tu"), False, 200),
    ),
}
COLUMNS["unit_changes"] = (  # read by workflow.administration.unit_imports (one change, or one part of a split, a row)
    Column("change", "Loại thay đổi", ("change", "loai thay doi"), True, None,
           "rename (Đổi tên), merge (Sáp nhập), split (Chia tách), move (Điều chuyển), close (Giải thể)."),
    Column("unit_code", "Mã đơn vị", ("unit_code", "unit code", "ma don vi"), True, 32, "Đơn vị được thay đổi."),
    Column("effective_date", "Ngày hiệu lực", ("effective_date", "effective date", "ngay"), True, None,
           "dd/mm/yyyy hoặc yyyy-mm-dd."),
    Column("name", "Tên mới", ("name", "ten moi"), False, 255,
           "Đổi tên: tên mới; sáp nhập vào đơn vị mới, chia tách: tên đơn vị mới."),
    Column("code", "Mã mới", ("code", "ma moi"), False, 32, "Đổi tên: mã mới (bỏ trống: giữ mã); đơn vị mới: mã."),
    Column("target_code", "Mã đơn vị nhận", ("target_code", "target code", "don vi nhan"), False, 32,
           "Sáp nhập: đơn vị nhận; điều chuyển: đơn vị cấp trên mới; giải thể: đơn vị kế thừa; chia tách: đơn vị "
           "đã có nhận một phần."),
    Column("inherits", "Kế thừa thành tích", ("inherits", "ke thua"), False, None,
           "Chia tách: x ở đúng một phần kế thừa thành tích, khen thưởng."),
    Column("person_id", "Mã cá nhân", ("person_id", "person id", "ca nhan"), False, None,
           "Chia tách: mỗi cá nhân một dòng, kèm “Về đơn vị”."),
    Column("nomination_id", "Số hồ sơ", ("nomination_id", "nomination id", "ho so"), False, None,
           "Chia tách: mỗi hồ sơ đang xử lý một dòng, kèm “Về đơn vị”."),
    Column("part_code", "Về đơn vị", ("part_code", "part code", "ve don vi"), False, 32,
           "Chia tách: mã của phần (mới hoặc đã có) nhận cá nhân, hồ sơ."),
)
KIND_LABELS = {"units": "đơn vị", "people": "cá nhân", "unit_changes": "thay đổi tổ chức đơn vị"}


@dataclass(frozen=True)
class RowError:
    row: int  # as Excel numbers it (the header is row 1)
    column: str  # the header as written in the file, or the template's header
    message: str

    def __str__(self) -> str:
        return f"Dòng {self.row}, cột “{self.column}”: {self.message}"


class ImportFailed(ValidationFailed):
    """Nothing was written; `errors` lists every problem found, by row and column."""

    def __init__(self, detail: str, errors: list[RowError]):
        self.errors = errors
        shown = [str(e) for e in errors[:50]]
        if len(errors) > 50:
            shown.append(f"… và {len(errors) - 50} lỗi khác.")
        super().__init__(detail, shown)


@dataclass(frozen=True)
class ImportResult:
    kind: str
    created: int
    rows: int


def _choices_map(codes, labels: dict[str, str]) -> dict[str, str]:
    """Folded code or Vietnamese label → code."""
    out = {fold(code): code for code in codes}
    out.update({fold(label): code for code, label in labels.items()})
    return out


UNIT_KIND_OF = _choices_map(UNIT_KINDS, UNIT_KIND_LABELS)
EMPLOYMENT_OF = _choices_map(EMPLOYMENT_TYPES, EMPLOYMENT_TYPE_LABELS)


# ------------------------------------------------------------------------------------------------ reading
def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%d/%m/%Y")
    return " ".join(str(value).split())


def _sheet_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    """(Excel row number, cell texts) of the first sheet, the header included; fully empty rows skipped."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001  (openpyxl raises many kinds on a damaged or foreign file)
        raise ValidationFailed("Không đọc được tệp Excel.",
                               ["Tệp không phải bảng tính .xlsx hợp lệ (có thể bị hỏng)."]) from None
    try:
        ws = wb.worksheets[0] if wb.worksheets else None
        if ws is None:
            return
        for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
            texts = [_text(v) for v in row]
            if any(texts):
                yield number, texts
    finally:
        wb.close()


def _read(kind: str, data: bytes) -> tuple[dict[str, tuple[int, str]], list[tuple[int, dict[str, str]]]]:
    """The header map (key → (index, header as written)) and the data rows as {key: text}."""
    try:
        mime, why = uploads.sniff(data), []
    except ValidationFailed as err:  # the upload rules' own reason (a zip bomb, a broken package) is kept
        mime, why = None, [err.detail, *err.reasons]
    if mime != XLSX:
        raise ValidationFailed("Tệp nhập phải là bảng tính Excel (.xlsx).",
                               ["Chỉ chấp nhận tệp .xlsx — kiểm tra theo nội dung tệp, không theo tên tệp.", *why])
    rows = _sheet_rows(data)
    first = next(rows, None)
    if first is None:
        raise ValidationFailed("Tệp không có dữ liệu.", ["Trang tính đầu tiên trống."])
    header_row, header = first
    columns = COLUMNS[kind]
    wanted = {}
    for col in columns:
        for name in (col.header, col.key, *col.aliases):
            wanted.setdefault(fold(name).replace("_", " "), col.key)
    found: dict[str, tuple[int, str]] = {}
    for index, text in enumerate(header):
        key = wanted.get(fold(text).replace("_", " ").strip(" *:"))
        if key and key not in found:
            found[key] = (index, text)
    missing = [RowError(header_row, c.header, "Thiếu cột bắt buộc.") for c in columns
               if c.required and c.key not in found]
    if missing:
        raise ImportFailed("Dòng tiêu đề thiếu cột bắt buộc: không có dòng nào được nhập.", missing)
    records = []
    for number, texts in rows:
        if len(records) >= MAX_ROWS:
            raise ValidationFailed(f"Tệp có quá nhiều dòng: tối đa {MAX_ROWS:,} dòng mỗi lần nhập.".replace(",", "."),
                                   ["Chia tệp thành nhiều tệp nhỏ hơn."])
        records.append((number, {key: texts[i] if i < len(texts) else "" for key, (i, _h) in found.items()}))
    if not records:
        raise ValidationFailed("Tệp không có dòng dữ liệu nào dưới dòng tiêu đề.", ["Không có gì để nhập."])
    return found, records


class _Checker:
    def __init__(self, kind: str, found: dict[str, tuple[int, str]]):
        self.columns = {c.key: c for c in COLUMNS[kind]}
        self.found = found
        self.errors: list[RowError] = []
        self.refused: set[tuple[int, str]] = set()

    def apply_text_rule(self, records) -> None:
        """The text rule (workflow.inputs) on every cell read: a refused cell is reported once, by row and column,
        and emptied so that no later check quotes it."""
        for row, values in records:
            for key, value in values.items():
                reason = inputs.problem(value, long=inputs.is_long(key))
                if reason:
                    self.add(row, key, reason)
                    self.refused.add((row, key))
                    values[key] = ""

    def name(self, key: str) -> str:
        return self.found[key][1] if key in self.found else self.columns[key].header

    def add(self, row: int, key: str, message: str) -> None:
        if (row, key) in self.refused:
            return
        self.errors.append(RowError(row, self.name(key), message))

    def text(self, row: int, values: dict, key: str) -> str:
        col = self.columns[key]
        value = values.get(key, "")
        if col.required and not value:
            self.add(row, key, "Bắt buộc nhập.")
        elif col.limit is not None and len(value) > col.limit:
            self.add(row, key, f"Tối đa {col.limit} ký tự (đang có {len(value)}).")
            return ""
        return value

    def choice(self, row: int, values: dict, key: str, mapping: dict[str, str], default: str | None = None):
        value = values.get(key, "")
        if not value:
            if default is None:
                self.add(row, key, "Bắt buộc nhập.")
            return default
        code = mapping.get(fold(value))
        if code is None:
            self.add(row, key, f"Giá trị “{value[:60]}” không hợp lệ. Chấp nhận: {self.columns[key].hint}")
        return code


# ------------------------------------------------------------------------------------------------ units
def _check_units(session: Session, checker: _Checker, records) -> list[dict]:
    existing = {u.code: u for u in session.scalars(select(Unit))}
    existing_folded = {code.casefold(): code for code in existing}
    in_file: dict[str, tuple[int, str | None]] = {}  # code (casefolded) → (row, kind)
    planned = []
    for row, values in records:
        code = checker.text(row, values, "code")
        name = checker.text(row, values, "name")
        kind = checker.choice(row, values, "kind", UNIT_KIND_OF)
        parent_code = checker.text(row, values, "parent_code")
        place = checker.text(row, values, "place")
        key = code.casefold()
        if code and not UNIT_CODE.match(code):
            checker.add(row, "code", "Mã chỉ gồm chữ không dấu, số, dấu chấm, gạch dưới, gạch ngang.")
        elif code and key in in_file:
            checker.add(row, "code", f"Trùng mã “{code}” với dòng {in_file[key][0]} trong tệp.")
        elif code and key in existing_folded:
            checker.add(row, "code", f"Mã đơn vị “{existing_folded[key]}” đã có trong hệ thống.")
        parent_kind = None
        if parent_code:
            pkey = parent_code.casefold()
            if pkey in existing_folded:
                parent_kind = existing[existing_folded[pkey]].kind
            elif pkey in in_file:
                parent_kind = in_file[pkey][1]
            elif pkey == key:
                checker.add(row, "parent_code", "Đơn vị không thể là cấp trên của chính mình.")
            else:
                checker.add(row, "parent_code", f"Không có đơn vị mã “{parent_code}” trong hệ thống hoặc ở các "
                                                "dòng trước của tệp.")
        elif kind and kind != "ministry":
            checker.add(row, "parent_code", "Bắt buộc nhập (chỉ Bộ không có đơn vị cấp trên).")
        if kind in ("division", "district_office") and parent_kind not in (None, "department"):
            checker.add(row, "parent_code", "Phòng, đơn vị phải thuộc một Sở.")
        if code and key not in in_file:
            in_file[key] = (row, kind)
        planned.append({"code": code, "name": name, "kind": kind, "parent_code": parent_code or None,
                        "place": place or None})
    return planned


def _write_units(session: Session, planned: list[dict]) -> int:
    by_code = {u.code.casefold(): u for u in session.scalars(select(Unit))}
    for p in planned:
        parent = by_code.get(p["parent_code"].casefold()) if p["parent_code"] else None
        unit = Unit(code=p["code"], name=p["name"], kind=p["kind"], place=p["place"], parent=parent)
        unit.search_text = fold(f"{unit.code} {unit.name}")
        session.add(unit)
        session.flush()  # the id, for a department's own department_id and for children on later rows
        if unit.kind == "department":
            unit.department_id = unit.id
        elif unit.kind == "ministry" or parent is None:
            unit.department_id = None
        else:
            unit.department_id = parent.id if parent.kind == "department" else parent.department_id
        by_code[unit.code.casefold()] = unit
    session.flush()
    return len(planned)


# ------------------------------------------------------------------------------------------------ people
def _parse_bool(value: str) -> bool | None:
    word = fold(value)
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def _check_people(session: Session, checker: _Checker, records) -> list[dict]:
    units = {u.code.casefold(): u for u in session.scalars(select(Unit))}
    planned = []
    for row, values in records:
        name = checker.text(row, values, "full_name")
        unit_code = checker.text(row, values, "unit_code")
        position = checker.text(row, values, "position")
        employment = checker.choice(row, values, "employment_type", EMPLOYMENT_OF, default="cong_chuc")
        head = _parse_bool(values.get("is_unit_head", ""))
        if head is None:
            checker.add(row, "is_unit_head", f"Giá trị “{values['is_unit_head'][:30]}” không hợp lệ: ghi Có hoặc "
                                             "Không.")
        email = checker.text(row, values, "email").lower()
        if email and not EMAIL.match(email):
            checker.add(row, "email", f"Địa chỉ e-mail “{email[:60]}” không hợp lệ.")
            email = ""
        unit = units.get(unit_code.casefold()) if unit_code else None
        if unit_code and unit is None:
            checker.add(row, "unit_code", f"Không có đơn vị mã “{unit_code}” trong hệ thống.")
        elif unit is not None and not unit.active:
            checker.add(row, "unit_code", f"Đơn vị “{unit.code}” đã thôi hoạt động.")
        planned.append({"row": row, "full_name": name, "unit": unit, "position": position or None,
                        "employment_type": employment, "is_unit_head": bool(head), "email": email or None})
    # Duplicates inside the file, then against the database (one query each).
    seen_people: dict[tuple[str, int], int] = {}
    seen_emails: dict[str, int] = {}
    for p in planned:
        if p["full_name"] and p["unit"] is not None:
            key = (fold(p["full_name"]), p["unit"].id)
            if key in seen_people:
                checker.add(p["row"], "full_name", f"Trùng họ tên và đơn vị với dòng {seen_people[key]} trong tệp.")
            else:
                seen_people[key] = p["row"]
        if p["email"]:
            if p["email"] in seen_emails:
                checker.add(p["row"], "email", f"Trùng e-mail với dòng {seen_emails[p['email']]} trong tệp.")
            else:
                seen_emails[p["email"]] = p["row"]
    unit_ids = {uid for _n, uid in seen_people}
    if unit_ids:
        taken = {(folded, uid) for folded, uid in session.execute(
            select(Person.search_text, Person.unit_id).where(Person.unit_id.in_(unit_ids)))}
        for (folded, uid), row in seen_people.items():
            if (folded, uid) in taken:
                checker.add(row, "full_name", "Đã có cá nhân cùng họ tên trong đơn vị này trong hệ thống.")
    if seen_emails:
        taken_emails = set(session.scalars(select(func.lower(Person.email))
                                           .where(func.lower(Person.email).in_(list(seen_emails)))))
        for email, row in seen_emails.items():
            if email in taken_emails:
                checker.add(row, "email", f"E-mail “{email}” đã được dùng cho một cá nhân khác trong hệ thống.")
    return planned


def _write_people(session: Session, planned: list[dict]) -> int:
    for p in planned:
        person = Person(unit_id=p["unit"].id, position=p["position"], employment_type=p["employment_type"],
                        is_unit_head=p["is_unit_head"], email=p["email"])
        person.set_name(p["full_name"])
        session.add(person)
    session.flush()
    return len(planned)


# ------------------------------------------------------------------------------------------------ entry point
def import_xlsx(session: Session, actor: Actor | None, kind: str, data: bytes, *, filename: str = "",
                context: Context = CLI) -> ImportResult:
    """Validates every row of the .xlsx `data`, then writes them all (and one audit event) or raises. Admin only;
    the CLI (context via "cli", no actor: whoever runs it holds the server) is trusted like `users create`. Never
    commits."""
    if not (actor is None and context.via == "cli"):
        require(actor, "import", "unit" if kind == "units" else "person")
    if kind not in KINDS:
        raise ValidationFailed("Loại dữ liệu nhập không hợp lệ.", ["Chọn: units (đơn vị) hoặc people (cá nhân)."],
                               {"kind": "Lựa chọn không hợp lệ."})
    found, records = _read(kind, data)
    checker = _Checker(kind, found)
    checker.apply_text_rule(records)
    planned = (_check_units if kind == "units" else _check_people)(session, checker, records)
    if checker.errors:
        errors = sorted(checker.errors, key=lambda e: e.row)
        rows = len({e.row for e in errors})
        raise ImportFailed(f"Có lỗi ở {rows} dòng: không có dòng nào được nhập. Sửa các lỗi dưới đây rồi nhập lại "
                           "toàn bộ tệp.", errors)
    created = (_write_units if kind == "units" else _write_people)(session, planned)
    signals.emit(session, events.RecordsImported(kind=kind, rows=len(records), created=created,
                                                 filename=filename[:200], actor=actor, context=context))
    return ImportResult(kind, created, len(records))


# ------------------------------------------------------------------------------------------------ templates
def template_xlsx(kind: str) -> bytes:
    """An empty import file: the header row (bold, frozen), a second sheet "Hướng dẫn" explaining every column."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    if kind not in COLUMNS:
        raise ValidationFailed("Loại dữ liệu nhập không hợp lệ.", ["Chọn: units, people hoặc unit_changes."])
    wb = Workbook()
    ws = wb.active
    ws.title = "Dữ liệu"
    columns = COLUMNS[kind]
    ws.append([c.header for c in columns])
    for i, _c in enumerate(columns, start=1):
        ws.cell(row=1, column=i).font = Font(bold=True)
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = 28
    ws.freeze_panes = "A2"
    guide = wb.create_sheet("Hướng dẫn")
    guide.append(["Cột", "Mã cột (cũng được chấp nhận)", "Bắt buộc", "Ghi chú"])
    for c in columns:
        guide.append([c.header, c.key, "Có" if c.required else "Không",
                      " ".join(x for x in (f"Tối đa {c.limit} ký tự." if c.limit else "", c.hint) if x)])
    guide.append([])
    guide.append([f"Chỉ trang tính đầu tiên được đọc; dòng 1 là tiêu đề. Tối đa {MAX_ROWS} dòng. Có lỗi ở bất kỳ "
                  "dòng nào thì không dòng nào được nhập."])
    widths = (24, 26, 10, 70)
    for col, width in zip("ABCD", widths, strict=True):
        guide.column_dimensions[col].width = width
    guide.merge_cells(start_row=guide.max_row, start_column=1, end_row=guide.max_row, end_column=4)
    wrap = Alignment(vertical="top", wrap_text=True)
    for row in guide.iter_rows():
        for c in row:
            c.alignment = wrap
        merged = row[0].row == guide.max_row
        guide.row_dimensions[row[0].row].height = row_height(
            [(row[0].value, sum(widths), 11, False)] if merged else
            [(c.value, w, 11, False) for c, w in zip(row, widths, strict=False) if isinstance(c.value, str)], 11)
    for c in guide[1]:
        c.font = Font(bold=True)
    print_one_page_wide(ws, header_row=1)
    print_one_page_wide(guide, header_row=1, landscape=False)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
