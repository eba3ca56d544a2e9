"""Domain errors. Each maps to one HTTP status in `web`; the message is Vietnamese and shown to the user."""
from __future__ import annotations


class DomainError(Exception):
    status = 400
    title = "Yêu cầu không hợp lệ"

    def __init__(self, detail: str, reasons: list[str] | None = None, field_errors: dict | None = None):
        super().__init__(detail)
        self.detail = detail
        self.reasons = reasons or []
        self.field_errors = field_errors or {}


class NotFound(DomainError):
    status = 404
    title = "Không tìm thấy"


class Forbidden(DomainError):
    status = 403
    title = "Không có quyền thực hiện"


class Conflict(DomainError):
    """Stale version, a trigger not valid from the current state, or a concurrent writer won."""

    status = 409
    title = "Xung đột dữ liệu"


class StaleVersion(Conflict):
    """The object changed since the caller read it (optimistic locking). Carries the version it holds now, so a
    client can fetch it, show it beside what the user typed and let them decide; nothing of the edit is lost."""

    def __init__(self, detail: str, reasons: list[str] | None = None, *, current_version: int):
        super().__init__(detail, reasons)
        self.current_version = current_version


class ValidationFailed(DomainError):
    """Input invalid or a guard failed; `reasons` names each failed rule."""

    status = 422
    title = "Dữ liệu không hợp lệ hoặc chưa đủ điều kiện"


class AuthenticationFailed(DomainError):
    status = 401
    title = "Chưa xác thực"
