"""The password rule, one for every entry point: `dienhinh users create`, the admin's create and reset pages and the
user's own password change page.

A password is accepted when it
- has at least MIN_LENGTH characters (and at most MAX_LENGTH),
- is not whitespace only,
- does not contain the username (case-insensitive),
- is not one of the 30,000 most common passwords of the list shipped with the `zxcvbn` package (case-insensitive;
  leading and trailing spaces ignored, so "password  " is as common as "password").

`problems()` names every rule a password breaks, in Vietnamese; `check()` raises ValidationFailed with them.
The demo data (`dienhinh seed-demo`) is the one exception: its shared password is chosen by whoever loads it and is
documented as a demonstration password (README).
"""
from __future__ import annotations

from functools import cache

from workflow.errors import ValidationFailed

MIN_LENGTH = 10
MAX_LENGTH = 200
RULE = (f"Mật khẩu tối thiểu {MIN_LENGTH} ký tự, không chỉ gồm khoảng trắng, không chứa tên đăng nhập và không "
        "thuộc danh sách mật khẩu phổ biến.")


@cache
def common_passwords() -> frozenset[str]:
    """zxcvbn's list of common passwords (lower case), loaded once on first use."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def problems(password: str | None, *, username: str | None = None) -> list[str]:
    """Every rule `password` breaks, as Vietnamese sentences (empty when it is acceptable)."""
    password = password if isinstance(password, str) else ""
    found: list[str] = []
    if not password.strip():
        return ["Mật khẩu không được để trống hoặc chỉ gồm khoảng trắng."]
    if len(password) < MIN_LENGTH:
        found.append(f"Mật khẩu quá ngắn: tối thiểu {MIN_LENGTH} ký tự (mới có {len(password)}).")
    elif len(password) > MAX_LENGTH:
        found.append(f"Mật khẩu quá dài: tối đa {MAX_LENGTH} ký tự.")
    name = (username or "").strip().casefold()
    if name and name in password.casefold():
        found.append("Mật khẩu không được chứa tên đăng nhập.")
    if password.strip().lower() in common_passwords():
        found.append("Mật khẩu nằm trong danh sách mật khẩu phổ biến, dễ bị đoán: hãy chọn mật khẩu khác.")
    return found


def check(password: str | None, *, username: str | None = None, field: str = "password") -> str:
    """Returns the password when it is acceptable, else raises ValidationFailed naming what is wrong (under `field`
    in `field_errors`)."""
    found = problems(password, username=username)
    if found:
        raise ValidationFailed("Mật khẩu chưa đạt yêu cầu.", found, {field: " ".join(found)})
    return password
