"""The JSON API under /api/v1 (CONTRACT.md, "JSON API"), documented as OpenAPI 3.1 at /api/openapi.json.

flask-smorest validates input with the marshmallow schemas of `web.api.schemas` and generates the document from
them. Every error under /api/ is application/problem+json (`web.api.problems`). Views are thin: parse, call the
workflow, serialise (`web.api.present`).

The document is what integrators feed to their generators (openapi-python-client in the test suite), so it must
validate as OpenAPI 3.1, carry a stable `operationId` on every operation (generated clients name their functions
after it: renaming one breaks every client, so they are listed here, not derived from Python names) and have an
ASCII title (generators make the package name from it).
"""
from __future__ import annotations

from apispec import BasePlugin
from flask import Flask

from web.api import (
    audit,
    auth,
    campaigns,
    council_sessions,
    councils,
    decisions,
    delegations,
    directory,
    exports,
    inbox,
    nominations,
    proposals,
    reports,
    stories,
    tokens,
    units,
)
from web.api.base import BLUEPRINTS
from web.api.problems import ProblemApi, problem_fallback
from web.extensions import csrf

MODULES = (auth, directory, campaigns, nominations, audit, inbox, councils, council_sessions, decisions,
           proposals, exports, stories, reports, tokens, delegations, units)

API_SETTINGS = {
    # ASCII: openapi-python-client makes the package name `dienhinh_api_client` from it (the Vietnamese name made
    # a package name pip refuses).
    "API_TITLE": "Dienhinh API",
    "API_VERSION": "1",
    "OPENAPI_VERSION": "3.1.0",
    "OPENAPI_URL_PREFIX": "/api",
    "OPENAPI_JSON_PATH": "openapi.json",
}


# endpoint → operationId: the public names of the operations, stable across refactors of the views. An endpoint
# missing here falls back to its function's name (tests/platform/test_openapi.py wants every id unique).
OPERATION_IDS = {
    "api_audit.list_audit": "list_audit_events",
    "api_audit.filter_options": "get_audit_filter_options",
    "api_audit.verification_status": "get_audit_verification",
    "api_audit.verify_chain": "verify_audit_chain",
    "api_audit.list_checkpoints": "list_audit_checkpoints",
    "api_audit.public_key": "get_audit_public_key",
    "api_audit.export_csv": "export_audit_csv",
    "api_audit.export_xlsx": "export_audit_xlsx",
    "api_auth.token": "create_token",
    "api_campaigns.list_campaigns": "list_campaigns",
    "api_campaigns.create_campaign": "create_campaign",
    "api_delegations.list_delegations": "list_delegations",
    "api_delegations.grant_delegation": "grant_delegation",
    "api_delegations.end_delegation": "end_delegation",
    "api_council_sessions.list_sessions": "list_council_sessions",
    "api_council_sessions.create_session": "create_council_session",
    "api_council_sessions.get_session": "get_council_session",
    "api_council_sessions.update_session": "update_council_session",
    "api_council_sessions.cancel_session": "cancel_council_session",
    "api_council_sessions.set_agenda": "set_council_session_agenda",
    "api_council_sessions.publish": "publish_council_session",
    "api_council_sessions.add_comment": "add_council_session_comment",
    "api_council_sessions.record_attendance": "record_council_session_attendance",
    "api_council_sessions.open_session": "open_council_session",
    "api_council_sessions.vote": "vote_in_council_session",
    "api_council_sessions.submit_ballot": "submit_council_session_ballot",
    "api_council_sessions.close_session": "close_council_session",
    "api_council_sessions.tie_break": "break_council_session_tie",
    "api_council_sessions.minutes": "download_council_session_minutes",
    "api_councils.list_councils": "list_councils",
    "api_councils.get_council": "get_council",
    "api_councils.update_council": "update_council",
    "api_councils.set_member": "set_council_member",
    "api_decisions.list_decisions": "list_decisions",
    "api_decisions.create_decision": "create_decision",
    "api_decisions.next_number": "get_next_decision_number",
    "api_decisions.get_decision": "get_decision",
    "api_decisions.document": "download_decision_document",
    "api_directory.me": "get_me",
    "api_directory.get_notification_preferences": "get_notification_preferences",
    "api_directory.put_notification_preferences": "set_notification_preferences",
    "api_directory.units": "list_units",
    "api_directory.people": "list_people",
    "api_units.rename_unit": "rename_unit",
    "api_units.merge_unit": "merge_unit",
    "api_units.split_unit": "split_unit",
    "api_units.move_unit": "move_unit",
    "api_units.close_unit": "close_unit",
    "api_proposals.list_proposals": "list_proposals",
    "api_proposals.create_proposal": "create_proposal",
    "api_proposals.next_number": "get_next_proposal_number",
    "api_proposals.get_proposal": "get_proposal",
    "api_proposals.set_items": "set_proposal_items",
    "api_proposals.submit": "submit_proposal",
    "api_proposals.document": "download_proposal_document",
    "api_proposals.proposal_list": "download_proposal_list",
    "api_proposals.decision_list": "download_decision_list",
    "api_exports.nominations_xlsx": "export_nominations",
    "api_exports.certificate_docx": "download_nomination_certificate",
    "api_notifications.list_notifications": "list_notifications",
    "api_notifications.mark_all_read": "mark_all_notifications_read",
    "api_notifications.mark_read": "mark_notification_read",
    "api_nominations.list_nominations": "list_nominations",
    "api_nominations.create_nomination": "create_nomination",
    "api_nominations.get_nomination": "get_nomination",
    "api_nominations.update_nomination": "update_nomination",
    "api_nominations.transition": "transition_nomination",
    "api_nominations.accept_nomination": "accept_nomination",
    "api_nominations.add_attachment": "add_nomination_attachment",
    "api_nominations.download_attachment": "download_nomination_attachment",
    "api_nominations.add_checkin": "add_nomination_checkin",
    "api_reports.summary": "get_report_summary",
    "api_reports.monthly_introductions": "list_monthly_introductions",
    "api_reports.create_introduction": "create_introduction",
    "api_reports.delete_introduction": "delete_introduction",
    "api_reports.get_themes": "get_themes",
    "api_reports.put_themes": "set_themes",
    "api_reports.yearly": "download_yearly_report",
    "api_reports.period": "download_period_report",
    "api_reports.yearly_report": "get_yearly_report",
    "api_reports.period_report": "get_period_report",
    "api_stories.list_stories": "list_stories",
    "api_stories.create_story": "create_story",
    "api_stories.get_story": "get_story",
    "api_stories.get_story_revision": "get_story_revision",
    "api_stories.update_story": "update_story",
    "api_stories.publish_story": "publish_story",
    "api_stories.unpublish_story": "unpublish_story",
    "api_stories.publish_story_revision": "publish_story_revision",
    "api_stories.discard_story_revision": "discard_story_revision",
    "api_stories.add_image": "add_story_image",
    "api_tokens.list_tokens": "list_tokens",
    "api_tokens.revoke_token": "revoke_token",
}


class OperationIdPlugin(BasePlugin):
    """Gives every operation its `operationId` from OPERATION_IDS (flask-smorest sets none), unless a view's own
    `@blp.doc(operationId=...)` already did."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        rule = kwargs.get("rule")
        if rule is None or not operations:
            return
        fallback = rule.endpoint.rpartition(".")[2]
        for operation in operations.values():
            operation.setdefault("operationId", OPERATION_IDS.get(rule.endpoint, fallback))


def init_app(app: Flask) -> ProblemApi:
    for key, value in API_SETTINGS.items():
        app.config.setdefault(key, value)
    api = ProblemApi(spec_kwargs={
        "extra_plugins": [OperationIdPlugin()],
        "info": {"description": "Điển hình tiên tiến API: API của hệ thống quản lý điển hình tiên tiến ngành Tư "
                                "pháp. Xác thực bằng "
                                "`Authorization: Bearer <token>` (POST /api/v1/auth/token). Lỗi trả về "
                                "`application/problem+json`."},
        "security": [{"bearerAuth": []}],
    })
    api.init_app(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    for blp in BLUEPRINTS:
        api.register_blueprint(blp)
        csrf.exempt(blp)
    app.after_request(problem_fallback)
    app.extensions["dienhinh.api"] = api
    return api
