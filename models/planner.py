"""Hints to SQLite's query planner, written into statements that both databases run.

SQLite plans without statistics (no ANALYZE is kept): it assumes an equality on an indexed column picks about ten rows.
For `nominations.state` that is wrong by three orders of magnitude at a national scale (nine states, 100k rows): a
state filter beside a selective one (a unit, a person) led SQLite to walk every nomination in that state, and beside
an `ORDER BY ... LIMIT` that a partial index serves in order, to sort thousands of rows for twenty (bench/README.md,
"Thirteenth increment"). PostgreSQL keeps statistics and plans by them; it gets the condition unchanged.
"""
from __future__ import annotations

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement, Grouping
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import Boolean


class Broad(ColumnElement[bool]):
    """A condition most rows meet (see `broad`)."""

    __visit_name__ = "broad"
    _traverse_internals = [("clause", InternalTraversal.dp_clauseelement)]
    inherit_cache = True
    type = Boolean()

    def __init__(self, clause: ColumnElement[bool]):
        self.clause = clause

    def self_group(self, against=None):
        """Grouped where its condition would be (an OR under an AND or a NOT): PostgreSQL gets the condition bare."""
        return Grouping(self) if self.clause.self_group(against=against) is not self.clause else self

    def _negate(self):
        """Its negation is the condition's own (which few rows meet: no hint)."""
        return ~self.clause


def broad(clause: ColumnElement[bool]) -> Broad:
    """`clause`, which most rows meet. On SQLite `likely(clause)`: the planner takes it as true of ~94% of the rows and
    prefers another index to seek by (it may still seek by this one as the later column of a compound index), and its
    values are written as literals (bound at execution, so the compiled statement stays cacheable): SQLite uses a
    partial index only for a WHERE that holds the index's own term, value for value — a bound parameter proves
    nothing. Elsewhere `clause` itself."""
    return Broad(clause)


@compiles(Broad)
def _broad(element: Broad, compiler, **kw) -> str:
    return compiler.process(element.clause, **kw)


@compiles(Broad, "sqlite")
def _broad_sqlite(element: Broad, compiler, **kw) -> str:
    return f"likely({compiler.process(element.clause, **{**kw, 'literal_execute': True})})"
