"""Exports and printable documents of the JSON API: the nominations list as .xlsx (the filters of GET /nominations,
in the caller's scope) and the certificate of a recognised example as .docx."""
from __future__ import annotations

from web.api.base import actor, api_blueprint
from web.api.schemas import (
    BINARY,
    DOCX,
    MAX_ID,
    PDF,
    XLSX,
    DocumentFormatArgsSchema,
    NominationArgsSchema,
    ProblemSchema,
)
from web.db import db
from web.downloads import api_file
from workflow import clock
from workflow.nominations import exports

blp = api_blueprint("api_exports", __name__, "Xuất dữ liệu (Excel) và giấy chứng nhận điển hình tiên tiến.")

NID = f"<int(max={MAX_ID}):nomination_id>"
PROBLEM = {"schema": ProblemSchema, "content_type": "application/problem+json"}


class ExportArgsSchema(NominationArgsSchema):
    """The filters of GET /nominations, without paging (an export holds every matching row)."""

    class Meta:
        exclude = ("page", "per_page")


@blp.route("/exports/nominations.xlsx")
@blp.arguments(ExportArgsSchema, location="query")
@blp.response(200, BINARY, description="Danh sách hồ sơ (.xlsx)", content_type=XLSX)
@blp.alt_response(422, description="Bộ lọc không hợp lệ", **PROBLEM)
def nominations_xlsx(args):
    """Danh sách hồ sơ trong phạm vi của tài khoản, theo bộ lọc của GET /nominations (`state`, `campaign`, `unit`,
    `subject_type`, `q`), dạng Excel"""
    today = clock.today()
    data = exports.nominations_xlsx(db(), actor(), today=today, **args)
    return api_file(data, f"ho-so-dien-hinh-{today:%Y%m%d}.xlsx")


@blp.route(f"/nominations/{NID}/certificate.docx")
@blp.arguments(DocumentFormatArgsSchema, location="query")
@blp.response(200, BINARY, description="Giấy chứng nhận (.docx, A4 ngang)", content_type=DOCX)
@blp.alt_response(200, schema=BINARY, description="Giấy chứng nhận (.docx, A4 ngang; PDF khi `format=pdf`)",
                  content_type=PDF)
@blp.alt_response(404, description="Không có hoặc ngoài phạm vi của tài khoản, hoặc máy chủ chưa cài LibreOffice "
                                   "(format=pdf)", **PROBLEM)
@blp.alt_response(422, description="Hồ sơ chưa được công nhận điển hình tiên tiến", **PROBLEM)
def certificate_docx(_args, nomination_id):
    """Giấy chứng nhận điển hình tiên tiến của hồ sơ đã được công nhận (cấp cơ sở hoặc cấp ngành), .docx hoặc PDF
    với `format=pdf`"""
    data, stem = exports.certificate_docx_of(db(), actor(), nomination_id)
    return api_file(data, f"{stem}.docx")
