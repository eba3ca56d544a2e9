"""The statements an engine runs while a block runs, transaction control left out: what the tests that pin a
request's or an operation's cost count. The tests' requests run in savepoints of the test's transaction and
production's in transactions of their own, so BEGIN, SAVEPOINT, RELEASE, ROLLBACK and COMMIT are not counted; each
statement is kept with its whitespace folded, to be searched in a failure's message."""
from __future__ import annotations

from sqlalchemy import event

TRANSACTION_CONTROL = ("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT")


class Statements:
    """`with Statements(engine) as seen:` — `seen` is the list of the block's statements."""

    def __init__(self, engine):
        self.engine, self.seen = engine, []

    def _count(self, _conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            self.seen.append(" ".join(statement.split()))

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self.seen

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._count)
