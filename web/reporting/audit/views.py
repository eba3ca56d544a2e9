"""Thin views over workflow.reporting.audit_queries and notifications.audit_verify. Reads use the request's read
session; the check of the chain (POST) goes through web.db.perform, so it is audited, and a refused one too."""
from __future__ import annotations

from flask import Response, current_app, flash, g, redirect, render_template, request, send_file, url_for
from flask_login import login_required

from notifications import audit_verify
from web.audit_trail import check_options
from web.current import current_actor
from web.db import db, perform, request_context
from web.reporting.audit import bp
from workflow.errors import ValidationFailed
from workflow.reporting import audit_queries as aq

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PER_PAGE = 50
WEB_CHECK_LIMIT = 200_000  # events one click checks; the next click goes on from there


def _reader():
    actor = current_actor()
    aq.require_audit_reader(actor)
    return actor


def _list_page(filters: aq.AuditFilters | None, error: ValidationFailed | None = None, status: int = 200):
    actor = _reader()
    session = db()
    page = None
    names = {}
    if filters is not None:
        page = aq.browse_events(session, actor, filters, before_id=aq.parse_cursor(request.args.get("before_id")),
                                per_page=PER_PAGE)
        names = aq.actor_names(session, page.items)
    values = filters.values if filters is not None else {k: request.args.get(k, "") for k in aq.FILTER_FIELDS}
    return render_template(
        "audit/list.html", page=page, filters=filters, values=values, error=error,
        field_errors=error.field_errors if error else {}, names=names,
        args=filters.url_args() if filters is not None else {},
        action_groups=aq.action_choices(session), usernames=aq.known_usernames(session),
        verification=audit_verify.latest(session), chains=_chains(session),
        checkpoint=audit_verify.newest_checkpoint(session), aq=aq,
    ), status


def _chains(session):
    """The latest result of each chain, with its Vietnamese name."""
    return [(v, audit_verify.chain_label(session, v.chain)) for v in audit_verify.latest_per_chain(session)]


@bp.route("")
@login_required
def index():
    _reader()
    try:
        filters = aq.parse_filters(request.args)
    except ValidationFailed as err:
        return _list_page(None, err, 422)
    return _list_page(filters)


@bp.route("/<int:event_id>")
@login_required
def detail(event_id: int):
    actor = _reader()
    session = db()
    event = aq.load_event(session, actor, event_id)
    g.back_url = url_for("audit.index")
    return render_template("audit/detail.html", e=event, diff=aq.event_diff(event),
                           name=aq.actor_names(session, [event]).get(event.actor_id), aq=aq,
                           verification=audit_verify.latest(session),
                           chain_check=audit_verify.latest_for_chain(session, event.chain),
                           chain_label=audit_verify.chain_label(session, event.chain))


@bp.route("/verification", methods=["POST"])
@login_required
def verify():
    actor = current_actor()
    g.back_url = url_for("audit.index")

    def call():
        aq.require_audit_reader(actor)
        return audit_verify.check(db(), checked_by=actor.username, actor=actor, context=request_context(),
                                  max_events=WEB_CHECK_LIMIT, **check_options(strict=False))

    record = perform(call, action="audit.verify", actor=actor, object_type="audit_verification")
    flash(record.message, "success" if record.ok else "danger")
    return redirect(url_for("audit.index"))


def _export_filters():
    actor = _reader()
    g.back_url = url_for("audit.index", **{k: v for k, v in request.args.items() if k in aq.FILTER_FIELDS})
    query = aq.parse_filters(request.args).query_kwargs()
    aq.check_export(db(), actor, query)
    return query


@bp.route("/export.csv")
@login_required
def export_csv():
    query = _export_filters()
    return Response(aq.stream_csv(current_app.extensions["dienhinh.read_sessions"], query), mimetype="text/csv",
                    headers={
        "Content-Disposition": f'attachment; filename="{aq.export_filename("csv")}"',
        "Content-Type": "text/csv; charset=utf-8"})


@bp.route("/export.xlsx")
@login_required
def export_xlsx():
    query = _export_filters()
    out = aq.xlsx_file(aq.export_rows(db(), query))
    return send_file(out, mimetype=XLSX, as_attachment=True, download_name=aq.export_filename("xlsx"))
