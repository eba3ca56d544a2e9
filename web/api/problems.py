"""Every error under /api/ as `application/problem+json` (RFC 9457): `status`, `title`, `detail` in Vietnamese,
`reasons` (what failed, one sentence each) and, for invalid input, `errors` (field → messages)."""
from __future__ import annotations

import http
import json

from flask import Response, current_app, request
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from web.api.schemas import ProblemSchema
from web.security import answer_without_cookies
from workflow import inputs
from workflow.errors import DomainError
from workflow.labels import FIELD_LABELS

PROBLEM_MIMETYPE = "application/problem+json"
API_PREFIX = "/api/"

TITLES = {
    400: "Yêu cầu không hợp lệ",
    401: "Chưa xác thực",
    403: "Không có quyền thực hiện",
    404: "Không tìm thấy",
    405: "Phương thức không được hỗ trợ",
    406: "Không đáp ứng được định dạng yêu cầu",
    409: "Xung đột dữ liệu",
    413: "Dữ liệu gửi lên quá lớn",
    415: "Kiểu dữ liệu không được hỗ trợ",
    422: "Dữ liệu không hợp lệ hoặc chưa đủ điều kiện",
    429: "Quá nhiều yêu cầu",
    500: "Lỗi hệ thống",
    503: "Hệ thống tạm thời không phục vụ được",
}
DETAILS = {
    400: "Yêu cầu không đúng định dạng.",
    401: "Cần đăng nhập: gửi tiêu đề Authorization: Bearer <mã truy cập>.",
    403: "Tài khoản không được phép thực hiện thao tác này.",
    404: "Không tìm thấy tài nguyên được yêu cầu.",
    405: "Địa chỉ này không hỗ trợ phương thức {method}.",
    406: "Không đáp ứng được định dạng yêu cầu.",
    409: "Dữ liệu đã bị thay đổi bởi một thao tác khác. Vui lòng tải lại.",
    413: "Dữ liệu gửi lên vượt quá dung lượng cho phép.",
    415: "Kiểu nội dung gửi lên không được hỗ trợ.",
    422: "Dữ liệu gửi lên không hợp lệ.",
    429: "Quá nhiều yêu cầu trong thời gian ngắn. Vui lòng thử lại sau.",
    500: "Đã xảy ra lỗi hệ thống. Vui lòng thử lại sau hoặc liên hệ quản trị viên.",
    503: "Hệ thống đang bận. Vui lòng thử lại sau.",
}
# marshmallow / webargs messages a client is likely to meet, in Vietnamese.
MESSAGES = {
    "Missing data for required field.": "Trường bắt buộc.",
    "Unknown field.": "Trường không được hỗ trợ.",
    "Field may not be null.": "Không được để trống (null).",
    "Not a valid integer.": "Phải là số nguyên.",
    "Not a valid number.": "Phải là số.",
    "Not a valid string.": "Phải là chuỗi ký tự.",
    "Not a valid boolean.": "Phải là true hoặc false.",
    "Not a valid date.": inputs.BAD_DATE,
    "Not a valid datetime.": "Thời điểm phải theo định dạng ISO 8601.",
    "Not a valid list.": "Phải là danh sách.",
    "Not a valid mapping type.": "Phải là đối tượng JSON.",
    "Invalid input type.": "Nội dung phải là một đối tượng JSON.",
    "Invalid value.": "Giá trị không hợp lệ.",
    "Invalid JSON body.": "Nội dung JSON không hợp lệ.",
    "Not a valid file.": "Phải là một tệp tải lên.",
    "Number too large.": "Số quá lớn.",
    "Shorter than minimum length 1.": "Không được để trống.",
}


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX) or request.path == API_PREFIX.rstrip("/")


def problem(status: int, detail: str | None = None, *, title: str | None = None, reasons=None, errors=None,
            headers=None, current_version: int | None = None) -> Response:
    payload = {
        "type": "about:blank",
        "title": title or TITLES.get(status, "Lỗi"),
        "status": status,
        "detail": detail or DETAILS.get(status, "Yêu cầu không thực hiện được.").format(method=request.method),
        "instance": request.path,
        "reasons": list(reasons or []),
    }
    if errors:
        payload["errors"] = errors
    if current_version is not None:
        payload["current_version"] = current_version
    response = Response(json.dumps(payload, ensure_ascii=False, default=str), status=status,
                        mimetype=PROBLEM_MIMETYPE)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _translate(messages):
    if isinstance(messages, dict):
        return {str(k): _translate(v) for k, v in messages.items()}
    if isinstance(messages, list | tuple):
        return [_translate(m) for m in messages]
    if isinstance(messages, str):
        if messages in MESSAGES:
            return MESSAGES[messages]
        if messages.startswith("Must be one of:"):
            return "Phải là một trong:" + messages.removeprefix("Must be one of:")
        if messages.startswith(("Must be greater than", "Must be less than")):
            bounds = (messages.rstrip(".").replace("Must be ", "").replace("greater than or equal to", "≥")
                      .replace("less than or equal to", "≤").replace(" and ", " và "))
            return f"Giá trị phải {bounds}."
        if messages.startswith("Longer than maximum length"):
            return "Quá dài (tối đa " + messages.removeprefix("Longer than maximum length ").rstrip(".") + " ký tự)."
    return messages


def _flatten(errors, prefix="") -> list[str]:
    out = []
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = key if key != "_schema" else ""
            out += _flatten(value, f"{prefix}.{name}" if prefix and name else (name or prefix))
    elif isinstance(errors, list | tuple):
        for value in errors:
            out += _flatten(value, prefix)
    else:
        out.append(f"{_named(prefix)}: {errors}" if prefix else str(errors))
    return out


def _named(field: str) -> str:
    """A field as a reason names it: its Vietnamese label and, for the client's program, its JSON name
    ("Ngày theo dõi (date)"); a path without a label (criteria.x.met) as it is."""
    label = FIELD_LABELS.get(field)
    return f"{label} ({field})" if label else field


def validation_errors(messages) -> dict:
    """webargs keys errors by location ({"json": {...}, "query": {...}}): merge them into one field map."""
    if not isinstance(messages, dict):
        return {"_schema": _translate(messages if isinstance(messages, list) else [str(messages)])}
    merged: dict = {}
    for location, errs in messages.items():
        if location in ("json", "query", "form", "files", "multipart", "path", "headers", "json_or_form", "view_args"):
            if isinstance(errs, dict):
                merged.update(errs)
            else:
                merged.setdefault("_schema", []).extend(errs if isinstance(errs, list) else [errs])
        else:
            merged[location] = errs
    return _translate(merged)


def http_problem(error: HTTPException) -> Response:
    status = error.code or 500
    headers = {}
    if status == 405:
        headers.update({k: v for k, v in error.get_headers() if k.lower() == "allow"})
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="dienhinh"'
    if status == 429:
        retry = getattr(error, "retry_after", None)
        if retry:
            headers["Retry-After"] = str(retry)
    data = getattr(error, "data", None) or {}
    if data.get("headers"):
        headers.update(data["headers"])
    messages = data.get("errors", data.get("messages"))
    if messages is not None:
        errors = validation_errors(messages)
        if status == 400:
            return problem(400, "Nội dung gửi lên không đọc được (JSON hoặc dữ liệu biểu mẫu sai định dạng).",
                           reasons=_flatten(errors), errors=errors, headers=headers)
        return problem(status, "Dữ liệu gửi lên không hợp lệ.", title="Dữ liệu không hợp lệ",
                       reasons=_flatten(errors), errors=errors, headers=headers)
    detail = None if status in DETAILS else error.description  # None: problem() uses the Vietnamese text
    return problem(status, detail, headers=headers)


def domain_problem(err: DomainError) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="dienhinh"'} if err.status == 401 else None
    errors = {k: v if isinstance(v, list) else [v] for k, v in (err.field_errors or {}).items()} or None
    return problem(err.status, err.detail, title=err.title, reasons=err.reasons, errors=errors, headers=headers,
                   current_version=getattr(err, "current_version", None))


def conflict_problem(err: Exception) -> Response:
    return problem(409, "Thao tác trùng với một thao tác khác vừa được thực hiện. Vui lòng tải lại.")


def busy_problem(err: Exception) -> Response:
    current_app.logger.warning("database busy on %s: %s", request.path, err)
    return problem(503, headers={"Retry-After": "2"})


def register_handlers(blueprint) -> None:
    """Handlers for exceptions raised inside the API's views (and their before_request hooks)."""
    blueprint.register_error_handler(DomainError, domain_problem)
    blueprint.register_error_handler(IntegrityError, conflict_problem)
    blueprint.register_error_handler(StaleDataError, conflict_problem)
    blueprint.register_error_handler(OperationalError, busy_problem)


class ProblemApi(Api):
    """flask-smorest's Api whose HTTPException handler answers problem+json under /api/ and leaves every other
    path (the server-rendered pages) to Flask's default handling."""

    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error):
        if not is_api_request():
            return error
        answer_without_cookies()  # an API path no blueprint routed (404, 405): no view of it reads the cookie either
        return http_problem(error)

    def _register_responses(self):
        """The error responses of the document, as problem+json (flask-smorest registers them as JSON)."""
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_MIMETYPE if status >= 400 else "application/json")
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Lỗi (problem+json)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_MIMETYPE)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def problem_fallback(response: Response) -> Response:
    """after_request safety net: an error under /api/ that some other handler rendered (an HTML page of another
    blueprint, a library's plain-text answer) is turned into problem+json, keeping the status and key headers."""
    if response.status_code < 400 or response.mimetype == PROBLEM_MIMETYPE or not is_api_request():
        return response
    keep = {k: v for k, v in response.headers.items() if k.lower() in ("allow", "retry-after", "www-authenticate")}
    if response.status_code == 401:
        keep.setdefault("WWW-Authenticate", 'Bearer realm="dienhinh"')
    return problem(response.status_code, headers=keep)
