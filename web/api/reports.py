"""Reports and propagation follow-up: the statistics summary (GET /reports/summary), the monthly introductions of
examples and their compliance table (hạn ngày 10 hằng tháng), the yearly calendar of propaganda themes, and the yearly
and period (sơ kết / tổng kết) reports as .docx and .xlsx. Schemas and presenters of this area live here."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from web.api.base import actor, api_blueprint, ctx, run
from web.api.schemas import (
    BINARY,
    DOCX,
    MAX_ID,
    MAX_PAGE,
    PDF,
    XLSX,
    DocumentFormatArgsSchema,
    JsonId,
    ProblemSchema,
    State,
)
from web.db import db
from web.downloads import api_file, ascii_filename
from web.json_provider import document as json_document
from workflow.errors import ValidationFailed
from workflow.nominations.queries import MAX_PER_PAGE
from workflow.propagation import introductions, themes
from workflow.reporting import report_documents, reports

blp = api_blueprint("api_reports", __name__, "Báo cáo, thống kê; giới thiệu điển hình hằng tháng; lịch tuyên truyền.")

PROBLEM = {"schema": ProblemSchema, "content_type": "application/problem+json"}
IID = f"<int(max={MAX_ID}):intro_id>"


def Year():  # noqa: N802 - reads like a field class
    return fields.Integer(validate=validate.Range(min=reports.MIN_YEAR, max=reports.MAX_YEAR))


MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"
COMPLIANCE_STATUSES = list(introductions.STATUS_LABELS)  # (a schema's field named `introductions` hides the module)


# ------------------------------------------------------------------------------------------------ schemas
class SummaryArgsSchema(Schema):
    campaign = fields.Integer(validate=validate.Range(min=1, max=MAX_ID),
                              metadata={"description": "Mã phong trào, đợt thi đua"})
    year = fields.Integer(validate=validate.Range(min=reports.MIN_YEAR, max=reports.MAX_YEAR),
                          metadata={"description": "Năm xét công nhận (năm kết thúc của phong trào)"})
    department = fields.Integer(validate=validate.Range(min=1, max=MAX_ID),
                                metadata={"description": "Mã Sở (tài khoản xem được nhiều Sở)"})
    unit = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))


class YearCountSchema(Schema):
    year = fields.Integer()
    count = fields.Integer()


class UnitCountSchema(Schema):
    unit_id = fields.Integer()
    code = fields.String()
    name = fields.String()
    total = fields.Integer()
    by_state = fields.Dict(keys=fields.String(), values=fields.Integer())
    reached = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={
        "description": "the funnel of the unit's nominations: how many reached each stage (as `funnel`)"})


class FunnelStepSchema(Schema):
    state = State("nomination")
    label = fields.String()
    count = fields.Integer(metadata={"description": "Số hồ sơ đã đi đến ít nhất bước này"})


class SummarySchema(Schema):
    campaign_id = fields.Integer(allow_none=True)
    year = fields.Integer(allow_none=True)
    department_id = fields.Integer(allow_none=True)
    total = fields.Integer()
    by_state = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_subject_type = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_level = fields.Dict(keys=fields.String(), values=fields.Integer(),
                           metadata={"description": "co_so: Điển hình cấp cơ sở hiện nay; nganh: ngành Tư pháp"})
    by_year = fields.List(fields.Nested(YearCountSchema))
    by_unit = fields.List(fields.Nested(UnitCountSchema))
    funnel = fields.List(fields.Nested(FunnelStepSchema))
    labels = fields.Dict(keys=fields.String(), values=fields.Dict())


class ComplianceArgsSchema(Schema):
    month = fields.String(validate=validate.Regexp(MONTH, error="month phải theo định dạng YYYY-MM."),
                          metadata={"description": "YYYY-MM (mặc định: tháng hiện tại)"})
    department = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class IntroductionCreateSchema(Schema):
    unit_id = JsonId(required=True)
    nomination_id = JsonId(required=True)
    introduced_on = fields.Date(required=True, metadata={"description": "Ngày giới thiệu (không ở tương lai)"})
    month = fields.String(validate=validate.Regexp(MONTH, error="month phải theo định dạng YYYY-MM."),
                          metadata={"description": "YYYY-MM; mặc định là tháng của introduced_on"})
    form = fields.String(load_default="", validate=validate.Length(max=introductions.MAX_FORM),
                         metadata={"description": "Hình thức: giao ban, bản tin, cổng thông tin…"})
    note = fields.String(load_default="", validate=validate.Length(max=introductions.MAX_NOTE))


class NominationRefSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    subject_name = fields.String()
    state = State("nomination")


class IntroductionSchema(Schema):
    id = fields.Integer()
    unit_id = fields.Integer()
    department_id = fields.Integer()
    nomination_id = fields.Integer()
    nomination = fields.Nested(NominationRefSchema)
    month = fields.String(metadata={"description": "YYYY-MM"})
    introduced_on = fields.Date()
    on_time = fields.Boolean(metadata={"description": "Giới thiệu đến hết ngày 10 của tháng"})
    form = fields.String()
    note = fields.String()


class ComplianceRowSchema(Schema):
    unit_id = fields.Integer()
    code = fields.String()
    name = fields.String()
    department_id = fields.Integer(allow_none=True)
    count = fields.Integer(metadata={"description": "Số điển hình đã giới thiệu trong tháng"})
    introductions = fields.List(fields.Nested(IntroductionSchema))
    met = fields.Boolean(allow_none=True, metadata={"description": "true: đạt hạn ngày 10; false: không đạt; "
                                                                   "null: chưa đến hạn và chưa giới thiệu"})
    status = fields.String(metadata={"enum": COMPLIANCE_STATUSES, "description": "met | missed | not_due"})
    status_label = fields.String()


class CompliancePageSchema(Schema):
    items = fields.List(fields.Nested(ComplianceRowSchema), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    month = fields.String(metadata={"description": "YYYY-MM"})
    deadline = fields.Date()
    due = fields.Boolean(metadata={"description": "Hạn ngày 10 đã qua"})


class ThemesArgsSchema(Schema):
    year = Year()
    department = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))


class ThemeMonthSchema(Schema):
    month = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=12))
    theme = fields.String(load_default="", validate=validate.Length(max=themes.MAX_THEME))
    note = fields.String(load_default="", validate=validate.Length(max=themes.MAX_NOTE))


class ThemesPutSchema(Schema):
    months = fields.List(fields.Nested(ThemeMonthSchema), required=True, validate=validate.Length(max=12),
                         metadata={"description": "Tháng 1–12; tháng vắng mặt hoặc chủ đề rỗng bị xóa khỏi lịch"})
    department = JsonId(metadata={"description": "Mã Sở (quản trị hệ thống)"})


class ThemesSchema(Schema):
    department_id = fields.Integer()
    department = fields.String()
    year = fields.Integer()
    editable = fields.Boolean()
    months = fields.List(fields.Nested(ThemeMonthSchema))


def ReportNumber():  # noqa: N802 - reads like a field class
    """The number the văn thư's register gave the report: 15 or "15/BC-STP" (`report_documents` checks the symbol);
    absent, "Số" stays blank for the văn thư to write in."""
    return fields.String(validate=validate.Length(max=30), metadata={
        "description": "Số báo cáo văn thư đã cấp: 15 hoặc \"15/BC-STP\"; để trống thì \"Số\" để trống"})


class YearlyArgsSchema(Schema):
    year = Year()
    department = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))
    number = ReportNumber()


class PeriodArgsSchema(Schema):
    campaign = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_ID))
    stage = fields.String(load_default="midterm", validate=validate.OneOf(list(report_documents.STAGES)),
                          metadata={"description": "midterm (sơ kết) | final (tổng kết)"})
    number = ReportNumber()


class YearlyFileArgsSchema(YearlyArgsSchema, DocumentFormatArgsSchema):
    """The yearly report's download: `format=pdf` for the PDF of the .docx."""


class PeriodFileArgsSchema(PeriodArgsSchema, DocumentFormatArgsSchema):
    """The period report's download: `format=pdf` for the PDF of the .docx."""


class ReportSchema(Schema):
    """A report's head and figures, as its .docx prints them."""

    kind = fields.String(metadata={"enum": ["yearly", "period"]})
    number = fields.Integer(allow_none=True, metadata={"description": "null until the register gives one"})
    number_text = fields.String(allow_none=True, metadata={"description": "\"15/BC-STP\", as printed after \"Số:\""})
    symbol = fields.String(metadata={"description": "BC-STP (a department's report), BC-<unit code> (a unit's)"})
    title = fields.String()
    scope = fields.String()
    department_id = fields.Integer()
    unit_id = fields.Integer(allow_none=True, metadata={"description": "a unit head's report: their unit"})
    reporter = fields.String()
    date = fields.Date()
    deadline = fields.Date(allow_none=True)
    year = fields.Integer(allow_none=True)
    campaign_id = fields.Integer(allow_none=True)
    stage = fields.String(allow_none=True, metadata={"enum": [*report_documents.STAGES, None]})
    recipients = fields.List(fields.String())
    signer_title = fields.String()
    signer_name = fields.String()
    summary = fields.Nested(SummarySchema)


# ------------------------------------------------------------------------------------------------ presenters
def _intro(i) -> dict:
    n = i.nomination
    return {"id": i.id, "unit_id": i.unit_id, "department_id": i.department_id, "nomination_id": i.nomination_id,
            "nomination": {"id": n.id, "title": n.title, "subject_name": n.subject_name, "state": n.state},
            "month": i.month.strftime("%Y-%m"), "introduced_on": i.introduced_on,
            "on_time": i.introduced_on <= introductions.deadline(i.month), "form": i.form, "note": i.note}


def _row(r) -> dict:
    return {"unit_id": r.unit.id, "code": r.unit.code, "name": r.unit.name, "department_id": r.unit.department_id,
            "count": r.count, "introductions": [_intro(i) for i in r.introductions], "met": r.met,
            "status": r.status, "status_label": r.label}


def _calendar(cal, editable: bool) -> dict:
    return {"department_id": cal.department.id, "department": cal.department.name, "year": cal.year,
            "editable": editable,
            "months": [{"month": m.month, "theme": m.theme, "note": m.note} for m in cal.months]}


def _yearly(args: dict) -> dict:
    """A yearly report's arguments: each one absent is the service's default (this year, the caller's department, no
    number)."""
    return {"year": args.get("year"), "department": args.get("department"), "number": args.get("number")}


def _document(args: dict, ext: str) -> dict:
    """The report's arguments without `format`, which only a .docx takes (its PDF): an .xlsx asked for in a format
    is refused rather than sent as something else than asked."""
    asked = args.pop("format", None)
    if asked is not None and ext != "docx":
        raise ValidationFailed("Chỉ văn bản Word (.docx) có bản PDF.", ["Bỏ tham số format khi tải bảng tính .xlsx."],
                               {"format": "Chỉ dùng với .docx"})
    return args


# ------------------------------------------------------------------------------------------------ endpoints
@blp.route("/reports/summary")
@blp.arguments(SummaryArgsSchema, location="query")
@blp.response(200, SummarySchema)
@blp.alt_response(404, description="Không có phong trào", **PROBLEM)
def summary(args):
    """Thống kê hồ sơ trong phạm vi của tài khoản: theo trạng thái, đơn vị, đối tượng, mức công nhận, năm và phễu
    từ đăng ký đến công nhận. Lọc theo `campaign`, `year`, `department`, `unit`"""
    # Written in one orjson pass: `summary_data` builds exactly the schema's fields, and marshmallow walked the
    # Ministry's 240 units with their two dicts each in ~8 ms of CPU at 100k.
    return json_document(reports.summary_data(reports.summary(db(), actor(), **args)))


@blp.route("/reports/monthly-introductions")
@blp.arguments(ComplianceArgsSchema, location="query")
@blp.response(200, CompliancePageSchema)
@blp.alt_response(403, description="Không có quyền xem", **PROBLEM)
def monthly_introductions(args):
    """Bảng theo dõi giới thiệu điển hình của tháng `month` (YYYY-MM): mỗi đơn vị, các điển hình đã giới thiệu và đã
    đạt hạn ngày 10 hay chưa (`met`: true/false, null khi chưa đến hạn)"""
    c = introductions.compliance(db(), actor(), **args)
    return {"items": [_row(r) for r in c.page.items], "total": c.page.total, "page": c.page.page,
            "per_page": c.page.per_page, "month": c.month.strftime("%Y-%m"), "deadline": c.deadline, "due": c.due}


@blp.route("/introductions", methods=["POST"])
@blp.arguments(IntroductionCreateSchema)
@blp.response(201, IntroductionSchema)
@blp.alt_response(403, description="Ngoài phạm vi (đơn vị khác)", **PROBLEM)
@blp.alt_response(422, description="Hồ sơ không thuộc đơn vị, không còn hiệu lực, ngày không hợp lệ hoặc đã ghi "
                                   "nhận (lý do trong `reasons`)", **PROBLEM)
def create_introduction(args):
    """Ghi nhận việc đơn vị giới thiệu một điển hình trong tháng (Thủ trưởng đơn vị cho đơn vị mình; Văn phòng Sở
    cho các đơn vị thuộc Sở)"""
    session, who = db(), actor()
    intro = run(lambda: introductions.record(session, who, context=ctx(), **args), action="introduction.create",
                object_type="monthly_introduction")
    return _intro(introductions.load(session, who, intro.id))


@blp.route(f"/introductions/{IID}", methods=["DELETE"])
@blp.response(204)
@blp.alt_response(403, description="Không có quyền xóa", **PROBLEM)
@blp.alt_response(404, description="Không có hoặc ngoài phạm vi", **PROBLEM)
def delete_introduction(intro_id):
    """Xóa một lượt giới thiệu (cùng quyền như khi ghi nhận; ghi vào nhật ký)"""
    session, who = db(), actor()
    run(lambda: introductions.delete(session, who, intro_id, context=ctx()), action="introduction.delete",
        object_type="monthly_introduction", object_id=intro_id)
    return None


@blp.route("/themes")
@blp.arguments(ThemesArgsSchema, location="query")
@blp.response(200, ThemesSchema)
def get_themes(args):
    """Lịch tuyên truyền 12 tháng của Sở trong năm `year` (mặc định năm nay)"""
    session, who = db(), actor()
    cal = themes.calendar(session, who, year=args.get("year"), department=args.get("department"))
    return _calendar(cal, themes.can_edit(who, cal.department))


@blp.route("/themes/<int(min=2000, max=2100):year>", methods=["PUT"])
@blp.arguments(ThemesPutSchema)
@blp.response(200, ThemesSchema)
@blp.alt_response(403, description="Chỉ Văn phòng Sở (hoặc quản trị hệ thống)", **PROBLEM)
@blp.alt_response(422, description="Tháng trùng hoặc không hợp lệ", **PROBLEM)
def put_themes(args, year):
    """Thay lịch tuyên truyền của năm: `months` = [{"month": 1..12, "theme", "note"}]; tháng vắng mặt bị xóa"""
    session, who = db(), actor()
    run(lambda: themes.save(session, who, year=year, months=args["months"], department=args.get("department"),
                            context=ctx()), action="themes.update", object_type="propaganda_calendar")
    session.expire_all()
    cal = themes.calendar(session, who, year=year, department=args.get("department"))
    return _calendar(cal, True)


@blp.route("/reports/yearly")
@blp.arguments(YearlyArgsSchema, location="query")
@blp.response(200, ReportSchema)
@blp.alt_response(403, description="Không có quyền lập báo cáo", **PROBLEM)
@blp.alt_response(422, description="Năm hoặc số báo cáo không hợp lệ", **PROBLEM)
def yearly_report(args):
    """Báo cáo kết quả năm `year` như văn bản .docx in ra: số báo cáo (`number_text`, "15/BC-STP" khi có `number`),
    phần đầu và số liệu của các bảng"""
    return report_documents.report_data(report_documents.yearly(db(), actor(), **_yearly(args)))


@blp.route("/reports/period")
@blp.arguments(PeriodArgsSchema, location="query")
@blp.response(200, ReportSchema)
@blp.alt_response(404, description="Không có phong trào", **PROBLEM)
@blp.alt_response(422, description="Không phải phong trào theo giai đoạn, hoặc số báo cáo không hợp lệ", **PROBLEM)
def period_report(args):
    """Báo cáo sơ kết / tổng kết của phong trào theo giai đoạn `campaign` như văn bản .docx in ra: số báo cáo, phần
    đầu và số liệu"""
    return report_documents.report_data(report_documents.period(db(), actor(), **args))


@blp.route("/reports/yearly.<any(docx, xlsx):ext>")
@blp.arguments(YearlyFileArgsSchema, location="query")
@blp.response(200, BINARY, description="Báo cáo kết quả năm (.docx hoặc .xlsx)", content_type=DOCX)
@blp.alt_response(200, schema=BINARY, description="Báo cáo kết quả năm (.xlsx)", content_type=XLSX)
@blp.alt_response(200, schema=BINARY, description="Báo cáo kết quả năm (.docx, .xlsx; PDF của .docx khi "
                                                  "`format=pdf`)", content_type=PDF)
@blp.alt_response(403, description="Không có quyền lập báo cáo", **PROBLEM)
@blp.alt_response(404, description="Máy chủ chưa cài LibreOffice (format=pdf)", **PROBLEM)
def yearly(args, ext):
    """Báo cáo kết quả công tác xây dựng, nhân rộng điển hình tiên tiến năm `year` (của Sở; của đơn vị đối với Thủ
    trưởng đơn vị); `number`: số văn thư đã cấp, in sau "Số:"; `format=pdf`: bản PDF của .docx"""
    fn = report_documents.yearly_docx if ext == "docx" else report_documents.yearly_xlsx
    data, d = fn(db(), actor(), **_yearly(_document(args, ext)))
    return api_file(data, ascii_filename(d.file_stem, ext))


@blp.route("/reports/period.<any(docx, xlsx):ext>")
@blp.arguments(PeriodFileArgsSchema, location="query")
@blp.response(200, BINARY, description="Báo cáo sơ kết / tổng kết giai đoạn (.docx hoặc .xlsx)", content_type=DOCX)
@blp.alt_response(200, schema=BINARY, description="Báo cáo sơ kết / tổng kết giai đoạn (.xlsx)", content_type=XLSX)
@blp.alt_response(200, schema=BINARY, description="Báo cáo sơ kết / tổng kết giai đoạn (.docx, .xlsx; PDF của .docx "
                                                  "khi `format=pdf`)", content_type=PDF)
@blp.alt_response(404, description="Không có phong trào, hoặc máy chủ chưa cài LibreOffice (format=pdf)", **PROBLEM)
@blp.alt_response(422, description="Không phải phong trào theo giai đoạn", **PROBLEM)
def period(args, ext):
    """Báo cáo sơ kết (`stage=midterm`) hoặc tổng kết (`stage=final`) của phong trào theo giai đoạn `campaign`, số
    liệu đến ngày sơ kết / tổng kết của phong trào; `number`: số văn thư đã cấp; `format=pdf`: bản PDF của .docx"""
    fn = report_documents.period_docx if ext == "docx" else report_documents.period_xlsx
    data, d = fn(db(), actor(), **_document(args, ext))
    return api_file(data, ascii_filename(d.file_stem, ext))
