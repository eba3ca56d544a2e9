"""What /readyz checks: the database answers (within a short time), its schema is at the head revision, and Redis
answers when the rate limits are kept there. The checks run at once, each in a daemon thread, under one deadline,
so a host that does not answer at all (not even with a refusal) still gets a 503 in time."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import cache

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from web.migrate import head_revision as head

TIMED_OUT = "không trả lời kịp (quá thời gian chờ)"


class NotReady(Exception):
    """A check's answer in words (Vietnamese), shown as is."""


@cache
def head_revision() -> str:
    return head()


def database(engine: Engine) -> None:
    """The database answers and its schema is at head (the revision this code was written for)."""
    with engine.connect() as conn:
        try:
            current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except DBAPIError as err:
            if err.connection_invalidated:
                raise
            current = None  # no alembic_version table: never migrated
        finally:
            conn.rollback()
    if current is None:
        raise NotReady("lược đồ chưa được tạo (chạy dienhinh init-db)")
    if current != head_revision():
        raise NotReady(f"lược đồ ở phiên bản {current}, cần {head_revision()} (chạy dienhinh init-db)")


def redis(storage) -> None:
    """The rate limits' storage (flask-limiter's `limiter.storage`) answers its ping."""
    if not storage.check():
        raise NotReady("không kết nối được Redis (RATELIMIT_STORAGE_URI)")


def _short(err: BaseException) -> str:
    """The first line of an error, without the SQL or the link SQLAlchemy appends."""
    lines = str(getattr(err, "orig", None) or err).strip().splitlines()
    return f"{type(err).__name__}: {lines[0][:200]}" if lines else type(err).__name__


def run(checks: dict[str, Callable[[], None]], timeout: float) -> dict[str, tuple[bool, str]]:
    """{name: (ok, detail)} of every check, waiting at most `timeout` seconds for all of them together."""
    outcomes: dict[str, tuple[bool, str]] = {}

    def target(name, fn):
        try:
            fn()
        except NotReady as err:
            outcomes[name] = (False, str(err))
        except Exception as err:  # noqa: BLE001 - whatever stopped the check is its answer
            outcomes[name] = (False, _short(err))
        else:
            outcomes[name] = (True, "ok")

    threads = [threading.Thread(target=target, args=item, name=f"readyz-{item[0]}", daemon=True)
               for item in checks.items()]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return {name: outcomes.get(name, (False, TIMED_OUT)) for name in checks}
