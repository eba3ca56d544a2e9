"""Admin page /admin/import: upload an .xlsx of units, people or changes of units; every row is validated first and
either all rows are written or none (workflow.administration.imports, unit_imports). The admin blueprint's
before_request already requires the admin role."""
from __future__ import annotations

import io

from flask import abort, flash, redirect, render_template, request, send_file, url_for

from web.administration import bp
from web.current import current_actor
from web.db import db, perform, request_context
from workflow.administration import imports, unit_imports
from workflow.errors import ValidationFailed


def _page(kind: str = "units", error: ValidationFailed | None = None, status: int = 200):
    row_errors = error.errors if isinstance(error, imports.ImportFailed) else []
    return render_template("admin/import.html", kind=kind, kinds=imports.KIND_LABELS, columns=imports.COLUMNS,
                           max_rows=imports.MAX_ROWS, error=error, row_errors=row_errors), status


@bp.route("/import", methods=["GET", "POST"])
def import_data():
    if request.method == "GET":
        return _page(request.args.get("kind") if request.args.get("kind") in imports.KIND_LABELS else "units")
    actor = current_actor()
    kind = request.form.get("kind", "")
    upload = request.files.get("file")
    data = upload.read(imports.uploads.MAX_BYTES + 1) if upload is not None else b""
    filename = (upload.filename or "") if upload is not None else ""
    def run():
        if kind == unit_imports.KIND:
            return unit_imports.import_changes(db(), actor, data, filename=filename, context=request_context())
        return imports.import_xlsx(db(), actor, kind, data, filename=filename, context=request_context())

    try:
        result = perform(run, action=f"admin.import_{kind}" if kind in imports.KIND_LABELS else "admin.import",
                         actor=actor, object_type="import")
    except ValidationFailed as err:
        return _page(kind if kind in imports.KIND_LABELS else "units", err, 422)
    flash(f"Đã nhập {result.created} {imports.KIND_LABELS[kind]} từ tệp “{filename}” ({result.rows} dòng).",
          "success")
    return redirect(url_for("admin.import_data", kind=kind))


@bp.route("/import/template-<kind>.xlsx")
def import_template(kind: str):
    if kind not in imports.KIND_LABELS:
        abort(404)
    name = {"units": "don-vi", "people": "ca-nhan", unit_imports.KIND: "thay-doi-don-vi"}[kind]
    response = send_file(io.BytesIO(imports.template_xlsx(kind)), mimetype=imports.XLSX, as_attachment=True,
                         download_name=f"mau-nhap-{name}.xlsx", max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
