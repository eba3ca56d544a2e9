"""Page-level error handlers: a Vietnamese page with the message, the reasons and the right status.

They are app-wide (a 404 has no blueprint) but answer only page requests. A request under /api/ that reaches
them (the API blueprint registers its own problem+json handlers, which Flask prefers for its routes) still gets
JSON, never an HTML page: it is handed to the API's own HTTP error handler when one is installed.

HTTP errors are registered per status code, not for HTTPException: flask-smorest installs an app-wide
HTTPException handler after the blueprints are registered, and Flask prefers a code-specific handler to it.
"""
from __future__ import annotations

from flask import current_app, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from web.main import bp
from workflow.errors import DomainError

HTTP_MESSAGES = {
    400: ("Yêu cầu không hợp lệ", "Yêu cầu gửi lên không hợp lệ."),
    401: ("Chưa đăng nhập", "Vui lòng đăng nhập để tiếp tục."),
    403: ("Không có quyền truy cập", "Tài khoản của bạn không được phép xem hoặc thực hiện chức năng này."),
    404: ("Không tìm thấy", "Không tìm thấy trang hoặc hồ sơ bạn yêu cầu, hoặc bạn không có quyền xem."),
    405: ("Thao tác không được hỗ trợ", "Trang này không hỗ trợ thao tác vừa gửi."),
    409: ("Xung đột dữ liệu", "Hồ sơ đã được người khác thay đổi. Vui lòng tải lại trang."),
    413: ("Tệp quá lớn", "Tệp tải lên vượt quá dung lượng cho phép (tối đa 10 MB)."),
    422: ("Dữ liệu không hợp lệ", "Dữ liệu gửi lên không hợp lệ hoặc chưa đủ điều kiện."),
    429: ("Quá nhiều yêu cầu", "Bạn đã thử quá nhiều lần. Vui lòng đợi một phút rồi thử lại."),
    500: ("Lỗi hệ thống", "Đã có lỗi xảy ra. Vui lòng thử lại sau hoặc liên hệ quản trị hệ thống."),
}


def _is_api() -> bool:
    return request.path.startswith("/api/")


def _problem(status: int, title: str, detail: str, reasons=None):
    body = {"status": status, "title": title, "detail": detail}
    if reasons:
        body["reasons"] = list(reasons)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def render_error(status: int, title: str, detail: str, reasons=()):
    if _is_api():
        return _problem(status, title, detail, reasons)
    return render_template("error.html", status=status, title=title, detail=detail, reasons=list(reasons or []),
                           back_url=g.get("back_url")), status


@bp.app_errorhandler(DomainError)
def domain_error(err: DomainError):
    return render_error(err.status, err.title, err.detail, err.reasons)


@bp.app_errorhandler(CSRFError)
def csrf_error(err: CSRFError):
    return render_error(400, "Phiên làm việc đã hết hạn",
                        "Biểu mẫu đã hết hạn hoặc thiếu mã bảo vệ. Vui lòng tải lại trang rồi gửi lại.")


def http_error(err: HTTPException):
    if _is_api():
        api = current_app.extensions.get("dienhinh.api")
        if api is not None:
            return api.handle_http_exception(err)
    title, detail = HTTP_MESSAGES.get(err.code, (err.name, err.description or ""))
    return render_error(err.code, title, detail)


for _code in HTTP_MESSAGES:
    bp.app_errorhandler(_code)(http_error)
