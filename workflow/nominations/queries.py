"""Read side: lists and look-ups, always through the caller's scope (policy.scope)."""
from __future__ import annotations

import datetime as dt
import functools
import operator
from collections import namedtuple
from dataclasses import dataclass

from sqlalchemy import (
    DateTime,
    Integer,
    any_,
    bindparam,
    cast,
    event,
    false,
    func,
    inspect,
    literal_column,
    null,
    or_,
    select,
    true,
    type_coerce,
    union_all,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.sql import operators as sql_operators
from sqlalchemy.sql.selectable import CompoundSelect

from models import (
    Attachment,
    Campaign,
    Checkin,
    CriterionAnswer,
    Nomination,
    Person,
    StateChange,
    Unit,
    User,
    fold,
    plain,
)
from models.base import aware_utc
from models.nominations import subject_name_of
from models.plain import PlainSelect
from workflow import inputs, policy
from workflow.administration import unit_history
from workflow.errors import ValidationFailed
from workflow.policy import Actor

MAX_PER_PAGE = 100


@dataclass
class Page:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def page_params(page, per_page, default: int = 20) -> tuple[int, int]:
    try:
        page = inputs.integer(page) or 1
        per_page = inputs.integer(per_page) or default
    except inputs.Invalid:
        raise ValidationFailed("Tham số phân trang không hợp lệ.", ["page và per_page phải là số nguyên."]) from None
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise ValidationFailed("Tham số phân trang không hợp lệ.",
                               [f"page ≥ 1 và 1 ≤ per_page ≤ {MAX_PER_PAGE}."])
    return page, per_page


def int_filter(value, name: str) -> int | None:
    """A numeric id filter: None when absent, a 422 naming the filter when not a number or outside the ids a
    column can hold (a 20-digit id must not reach PostgreSQL's integer comparison)."""
    return inputs.one(name, inputs.integer, value, detail="Bộ lọc không hợp lệ.", minimum=1)


def _conditions(actor: Actor, *, state=None, campaign=None, unit=None, subject_type=None, q=None,
                verb: str = "view") -> list:
    """The WHERE of every nomination list: the caller's scope (policy.scope), then the filters. Each condition has an
    index ending in `id` (migration 0013), so a list's `ORDER BY id DESC LIMIT n` stops after n index entries.
    `verb="view_dossier"`: only whole dossiers (the home page's work queues), not those read in their public part
    during a publicity period."""
    clause = policy.scope(actor, "nomination", verb)
    where = [clause] if clause is not None else []
    if state:
        states = [s for s in str(state).split(",") if s]
        where.append(Nomination.state.in_(states))
    if (cid := int_filter(campaign, "campaign")) is not None:
        where.append(Nomination.campaign_id == cid)
    if (uid := int_filter(unit, "unit")) is not None:
        where.append(Nomination.unit_id == uid)
    if subject_type:
        where.append(Nomination.subject_type == subject_type)
    if q:
        for word in fold(q).split()[:8]:
            where.append(Nomination.search_text.contains(word, autoescape=True))
    return where


def nominations_query(actor: Actor, **filters):
    return select(Nomination).where(*_conditions(actor, **filters))


def paginate(session: Session, stmt, page: int, per_page: int, *order_by, options=()) -> Page:
    """One count and one page of rows of an already scoped statement (page and per_page already validated). A list
    whose rows join parents picks its page's ids first (`page_ids`): a many-to-one `joinedload` is otherwise joined
    to every row the OFFSET skips (the showcase's page 50 joined 1,000 nominations to keep 20)."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    if order_by:
        stmt = stmt.order_by(*order_by)
    rows = session.scalars(stmt.options(*options).limit(per_page).offset((page - 1) * per_page)).unique().all()
    return Page(list(rows), total, page, per_page)


def _reversed(clause):
    """`x DESC` → `x ASC` and back: the exact reverse on both databases (PostgreSQL sorts NULLs last ascending and
    first descending, SQLite first ascending and last descending)."""
    modifier = getattr(clause, "modifier", None)
    if modifier is sql_operators.desc_op:
        return clause.element.asc()
    if modifier is sql_operators.asc_op:
        return clause.element.desc()
    return clause.desc()


def page_ids(stmt, id_column, order_by, total: int, page: int, per_page: int):
    """The ids of one page of `stmt` (a scoped statement) in `order_by`, whose last key must be unique (the id), as a
    subquery for `id_column.in_(...)`; the caller orders the rows it then reads by `order_by`.

    A page in the second half is chosen from the end: the reverse order with the offset counted from the last row
    (`total` is the page's count, already read). The last page of 13,000 stories then walks 8 entries of an index
    instead of sorting (or walking) all 13,000 to skip them; the rows and their order are the same."""
    offset = (page - 1) * per_page
    ids = stmt.with_only_columns(id_column).order_by(None)
    if 0 < offset < total and total - offset - per_page < offset:
        end = min(offset + per_page, total)
        return ids.order_by(*(_reversed(c) for c in order_by)).limit(end - offset).offset(total - end)
    return ids.order_by(*order_by).limit(per_page).offset(offset)


# ------------------------------------------------------------------------------------------------ the list's rows
@dataclass(frozen=True, slots=True)
class UnitRef:
    id: int
    code: str
    name: str
    kind: str
    former: str | None = None  # its latest former name (issue 16), read in the row's statement
    successor: str | None = None  # the name of the unit that carries it on after a merger or a close

    @property
    def previous_name(self) -> str | None:
        return unit_history.previous_name(self.name, self.former, self.successor)

    @property
    def current_name(self) -> str:
        return unit_history.current_name(self.name, self.successor)

    @property
    def listed_name(self) -> str:
        """"Tên mới (trước đây: Tên cũ)" for a renamed or merged unit (`unit_history.listed_name`)."""
        return unit_history.listed_name(self.name, self.former, self.successor)


@dataclass(frozen=True, slots=True)
class CampaignRef:
    id: int
    name: str
    kind: str


@dataclass(frozen=True, slots=True)
class PersonRef:
    id: int
    full_name: str


@dataclass(frozen=True, slots=True)
class NominationRow:
    """One row of the list as the page and the API show it: plain values read by one SELECT (no ORM identity map,
    nothing left to load lazily — a template or serialiser asking for more fails loudly instead of querying per row).
    `unit`, `campaign`, `subject_person` and `subject_name` read as they do on a Nomination."""

    id: int
    state: str
    version: int
    subject_type: str
    title: str
    campaign_id: int
    unit_id: int
    department_id: int
    subject_person_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime
    unit: UnitRef
    campaign: CampaignRef
    subject_person: PersonRef | None

    @property
    def subject_name(self) -> str:
        person = self.subject_person
        return subject_name_of(self.subject_type, person.full_name if person is not None else None, self.unit.name)


@dataclass
class NominationPage(Page):
    """A Page of NominationRow; `next_before_id`: the cursor of the next page (`before_id=`), None on the last one."""

    next_before_id: int | None = None


_SUCCESSOR = aliased(Unit, name="successor_unit")
_ROW_COLUMNS = (
    Nomination.id, Nomination.state, Nomination.version, Nomination.subject_type, Nomination.title,
    Nomination.campaign_id, Nomination.unit_id, Nomination.department_id, Nomination.subject_person_id,
    # Read as the naive UTC they are stored as (`models.base.UTCDateTime` without its result processor): `_row` marks
    # them UTC when it makes a row, so a kept row is found without processing the statement's rows first.
    type_coerce(Nomination.created_at, DateTime()).label("created_at"),
    type_coerce(Nomination.updated_at, DateTime()).label("updated_at"),
    Unit.code, Unit.name, Unit.kind, Campaign.name, Campaign.kind, Person.full_name,
    unit_history.former_name_column(Unit), _SUCCESSOR.name,
)


ROWS_KEPT = 1024  # list rows kept per process (fifty pages of twenty, ~3 KB each with their HTML), emptied when full
_rows_kept: dict[tuple, NominationRow] = {}


def _row(r: tuple) -> NominationRow:
    """The NominationRow of a statement's row (`_ROW_COLUMNS`), the one already made for an equal row if it is kept.

    Issue 13, tenth increment: a row is four frozen dataclasses (~3.7 µs, their `__init__` setting each field through
    `object.__setattr__`), twenty a page, and the same first page is read again and again until a dossier on it
    changes. A NominationRow is a pure function of its row's values and cannot be changed (frozen, slotted), so equal
    rows may share one: found by the row's tuple (~0.25 µs), as the driver gives it (its two times naive UTC, marked
    UTC here as `models.base.UTCDateTime` marks them, `aware_utc`, so a kept row costs no processing of its values
    either). Equal tuples are equal values: each position holds one column of one SQL type, the times all naive. The
    key is every value the objects are made of, so a kept one equals the one the row would make: a dossier, unit,
    campaign or person changed reads as another row (another key). The list page and the API's list both read through
    here."""
    row = _rows_kept.get(r)
    if row is not None:
        return row
    (nid, state, version, subject_type, title, campaign_id, unit_id, department_id, person_id, created_at, updated_at,
     unit_code, unit_name, unit_kind, campaign_name, campaign_kind, person_name, former, successor) = r
    row = NominationRow(
        nid, state, version, subject_type, title, campaign_id, unit_id, department_id, person_id,
        aware_utc(created_at), aware_utc(updated_at),
        UnitRef(unit_id, unit_code, unit_name, unit_kind, former, successor),
        CampaignRef(campaign_id, campaign_name, campaign_kind),
        PersonRef(person_id, person_name) if person_id is not None else None,
    )
    if len(_rows_kept) >= ROWS_KEPT:
        _rows_kept.clear()
    _rows_kept[r] = row
    return row


MAX_WORDS = 8  # of `q=`


def _like_pattern(word: str) -> str:
    """`contains(word, autoescape=True)`'s pattern, made in Python so the statement can be built once: the word's
    `%`, `_` and the escape character itself escaped with `/`."""
    return "%" + word.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"


def _bound_conditions(actor: Actor, *, state=None, campaign=None, unit=None, subject_type=None,
                      q=None) -> tuple[tuple, dict]:
    """`_conditions` as a shape and its values: the scope's shape (`policy.scope_bound`) and which filters are
    present (and how many words `q` has) pick a statement built once (`_list_statements`), the values are bound."""
    scope, params = policy.scope_bound(actor, "nomination")
    states = [s for s in str(state).split(",") if s] if state else []
    if states:
        params["states"] = states
    if (cid := int_filter(campaign, "campaign")) is not None:
        params["campaign"] = cid
    if (uid := int_filter(unit, "unit")) is not None:
        params["unit"] = uid
    if subject_type:
        params["subject_type"] = subject_type
    words = fold(q).split()[:MAX_WORDS] if q else []
    for i, word in enumerate(words):
        params[f"q{i}"] = _like_pattern(word)
    shape = (scope, bool(states), cid is not None, uid is not None, bool(subject_type), len(words))
    return shape, params


def _filters(shape: tuple) -> list:
    """The conditions of the request's filters (the scope apart)."""
    _scope, states, campaign, unit, subject_type, words = shape
    where = []
    if states:
        where.append(Nomination.state.in_(bindparam("states", expanding=True)))
    if campaign:
        where.append(Nomination.campaign_id == bindparam("campaign"))
    if unit:
        where.append(Nomination.unit_id == bindparam("unit"))
    if subject_type:
        where.append(Nomination.subject_type == bindparam("subject_type"))
    for i in range(words):
        where.append(Nomination.search_text.like(bindparam(f"q{i}"), escape="/"))
    return where


@functools.lru_cache(maxsize=1024)
def _page_statement(shape: tuple, *, cursor: bool, rows: bool = False) -> PlainSelect:
    """The total and the page's ids in one statement, built once per shape (the scope's grants, which filters), bound
    per request: the shape's values, `limit`, `offset`, `reach` (= offset + limit) and, with `cursor`, `before_id`.
    One row per id of the page with the total beside it, or a single row (total, NULL) when the page is empty.
    `rows`: each id's row beside it (the columns of `_rows_by_ids` after the total, NULLs on an empty page's row), for
    a request whose values are all written into the text (`list_nominations`).

    The scope is an OR of the grants the reader holds ("the department's rows OR those of which I am the subject",
    "the unit's OR mine"); no single index orders such an OR by id, so it was read as a bitmap of every matching row,
    then sorted, and counted a second time (5,000 rows twice for a secretariat at 100k nominations: 1.5 ms of the
    server's CPU per list). Here each grant is a term of its own, made disjoint from the terms before it (`IS NOT
    TRUE`: a row two grants reach is counted once), so each is read along its own index: the total is the sum of the
    terms' counts (index-only), the page the merge of each term's newest `reach` ids (0.6 ms for the same list).

    With a filter, a term's matching ids are read whole before they are sorted (`OFFSET 0`, PostgreSQL's documented
    fence): a walk of the term's index filtering row by row, planned in the belief that matches are spread evenly, read
    65,000 rows for a unit's 20 newest at 100k nominations. Without one, a term is a plain walk of its index.

    Its values are written into its text (`inline`): planning it cost 3–15 times what running it did (0.3–1.5 ms of
    the server's CPU for a secretariat's or a unit head's first page, against ~0.1), and the same request now sends
    the same text, which psycopg prepares on its fifth execution and PostgreSQL then runs with the plan it made for
    those values. Prepared with its values as parameters, PostgreSQL switched to a generic plan estimated for a scope
    of average size, at twice the server's CPU of the custom plan on the demo department (a backward walk of the
    primary key filtering every row): the scope's ids and the page's bounds are what the plan depends on, and they
    are written out. What may stay a parameter:
    - the time of a running publicity period (a reader's LISTED grant): the plan is the same for any time, and
      PostgreSQL's generic plan of the text runs as fast as the custom one (0.45–0.6 ms with 120 dossiers listed at
      100k, against 1.3–1.9 ms planned each time), so such a text is prepared too;
    - a search's words: a trigram index is used only for a known pattern (its generic plan read every row: 5 ms
      against 0.5), so a text with words is never prepared (`prepare=False`), planned for each request."""
    scope, *_, words = shape
    filters = _filters(shape)
    terms = policy.scope_clauses(scope) or (false(),)
    counts, walks = [], []
    for i, term in enumerate(terms):
        where = [term, *filters]
        if i:
            where.append(or_(*terms[:i]).is_not(true()))
        counts.append(select(func.count()).select_from(Nomination).where(*where).scalar_subquery())
        if cursor:
            where.append(Nomination.id < bindparam("before_id"))
        matching = select(Nomination.id).where(*where)
        if filters:
            fenced = matching.offset(0).subquery(f"matching_{i}")
            walk = select(fenced.c.id).order_by(fenced.c.id.desc())
        else:
            walk = matching.order_by(Nomination.id.desc())
        walk = walk.limit(bindparam("reach", type_=Integer)).subquery(f"term_{i}")
        walks.append(select(walk.c.id))
    merged = (union_all(*walks) if len(walks) > 1 else walks[0]).subquery("merged")
    counted = select(functools.reduce(operator.add, counts).label("total")).subquery("counted")
    page = (select(merged.c.id).order_by(merged.c.id.desc())
            .limit(bindparam("limit", type_=Integer)).offset(bindparam("offset", type_=Integer)).subquery("page"))
    source = counted.outerjoin(page, true())
    columns = (page.c.id,)
    if rows:
        source, columns = _with_rows(source.outerjoin(Nomination, Nomination.id == page.c.id), outer=True), _ROW_COLUMNS
    return PlainSelect(select(counted.c.total, *columns).select_from(source).order_by(page.c.id.desc()),
                       prepare=False if words else None, inline=True)


def _with_rows(source, *, outer: bool = False):
    """`source` (nominations in it) joined to what a row of the list shows: its unit (and the unit's successor), its
    campaign, its person. `outer`: every join an outer one (the nominations themselves are, beside an empty page)."""
    join = source.outerjoin if outer else source.join
    source = join(Unit, Unit.id == Nomination.unit_id)
    source = (source.outerjoin if outer else source.join)(Campaign, Campaign.id == Nomination.campaign_id)
    return (source.outerjoin(Person, Person.id == Nomination.subject_person_id)
            .outerjoin(_SUCCESSOR, _SUCCESSOR.id == Unit.replaced_by_id))


@functools.cache
def _rows_by_ids(dialect: str) -> PlainSelect:
    """The rows of the page's ids, with their unit, campaign and person: one constant statement.

    The ids are chosen by a statement of their own (`_page_statement`) rather than a subquery of this one: joined to
    the choice of ids, the statement was planned anew on every request (PostgreSQL keeps custom plans for it, since
    a generic plan cannot know how many rows a scope matches) and its plan cost ~1.4 ms of server CPU for ~0.5 ms of
    execution — three times what the extra round trip costs. By ids alone its generic plan (primary-key look-ups) is
    the right one for every request, and PostgreSQL keeps it after psycopg prepares the statement."""
    if dialect == "postgresql":
        chosen = Nomination.id == any_(bindparam("ids", type_=postgresql.ARRAY(Integer)))
    else:
        chosen = Nomination.id.in_(bindparam("ids", expanding=True))
    return PlainSelect(select(*_ROW_COLUMNS).select_from(_with_rows(Nomination.__table__)).where(chosen)
                       .order_by(Nomination.id.desc()))


def list_nominations(session: Session | Connection, actor: Actor, *, page=1, per_page=20, before_id=None,
                     **filters) -> NominationPage:
    """A page of the nominations `actor` may see, newest first, in one or two statements whatever the page size: the
    total with the page's ids and their rows (`_page_statement`), or the total with the ids then their rows
    (`_rows_by_ids`) when a value stays a parameter (below); read as plain rows.

    `before_id` is the keyset cursor for reading far: the rows below that id (`next_before_id` of the previous page),
    `page` then counting from there; `total` stays the filters' total. `session` may be a Connection
    (`web.db.reads`): the list needs no ORM object."""
    page, per_page = page_params(page, per_page)
    cursor = int_filter(before_id, "before_id")
    shape, params = _bound_conditions(actor, **filters)
    offset = (page - 1) * per_page
    limit = per_page + 1 if cursor is not None else per_page
    bound = {**params, "limit": limit, "offset": offset, "reach": offset + limit}
    if cursor is not None:
        bound["before_id"] = cursor
    conn = plain.connection(session)
    # Issue 13, seventh increment: the rows come with the page's ids in one statement when every value is written into
    # its text, which is then prepared and planned once (`PlainSelect(inline=True)`). With a value left as a parameter
    # (a search's words, a list of states, a publicity period's time) PostgreSQL plans the statement per execution, and
    # planning the rows' joins too cost more than their own statement's round trip: they stay a statement of their
    # own, whose generic plan is kept.
    with_rows = all(plain.inlinable(value) for value in bound.values())
    chosen = _page_statement(shape, cursor=cursor is not None, rows=with_rows).all(conn, bound)
    total = chosen[0][0]
    if with_rows:
        rows = [_row(r[1:]) for r in chosen if r[1] is not None]
    else:
        ids = [r[1] for r in chosen if r[1] is not None]
        rows = [_row(r) for r in _rows_by_ids(conn.dialect.name).all(conn, {"ids": ids})] if ids else []
    if cursor is not None:
        more = len(rows) > per_page
        rows = rows[:per_page]
    else:
        more = offset + len(rows) < total
    next_before_id = rows[-1].id if rows and more else None
    return NominationPage(rows, total, page, per_page, next_before_id)


PARENTS = ("campaign", "unit", "subject_person")  # a nomination's many-to-one parents, read with its row


def load_detail(session: Session, actor: Actor, nomination_id: int) -> Nomination:
    """The nomination with everything its detail shows, if `actor` may see it; NotFound otherwise (the same scope
    clause as the list: policy.load). One statement (`policy.load_beside`): the row with its unit, campaign and
    subject joined, and its parts — history (and its people), criteria, check-ins, attachments (`load_parts`' rows) —
    none of them loaded lazily later. One statement is one snapshot: read apart, a step committed between the row and
    its parts answered a state and version the history disagreed with. On a session lent the request's reader
    connection (`web.db.reads`, the API detail) the statement runs there and the objects are still the session's."""
    n, rows = policy.load_beside(session, actor, "nomination", nomination_id, parents=PARENTS, beside=_PARTS_BESIDE,
                                 order=_PARTS_ORDER_NAMES, params={"nid": nomination_id})
    if rows is None:  # the ORM's load read the row (it was in the session): the parts as a change reads them
        load_parts(session, n)
    else:
        set_parts(session, n, rows)
    return n


def reads_whole_dossier(actor: Actor, n: Nomination) -> bool:
    """Whether `actor` reads the whole dossier, or only its public part (title, subject, unit, achievements,
    initiatives, attachments not marked internal) as the department's staff do during a publicity period."""
    return bool(policy.can(actor, "view_dossier", n))


def visible_attachments(actor: Actor, n: Nomination, *, whole: bool | None = None) -> list:
    """The attachments `actor` may see and download: all of them for a whole-dossier reader, else those not marked
    internal."""
    whole = reads_whole_dossier(actor, n) if whole is None else whole
    return [a for a in n.attachments if whole or not a.internal]


@dataclass(frozen=True, slots=True)
class UserRef:
    id: int
    username: str
    full_name: str


def history_users(session: Session, n: Nomination) -> dict[int, UserRef]:
    """The people named in a nomination's history (who acted, on whose behalf), by id: the three columns shown, in one
    statement (not whole accounts with their roles) — none when `load_parts` already read them with the history."""
    ids = set()
    for h in n.history:  # one pass over the rows, two columns each
        ids.add(h.actor_id)
        ids.add(h.on_behalf_of_id)
    ids.discard(None)
    if not ids:
        return {}
    known = session.info.get(_USER_REFS, {})
    missing = ids - known.keys()
    if missing:
        rows = session.execute(select(User.id, User.username, User.full_name).where(User.id.in_(sorted(missing))))
        known = known | {r.id: UserRef(r.id, r.username, r.full_name) for r in rows}
    return {i: known[i] for i in ids if i in known}


_USER_REFS = "dienhinh.nominations.user_refs"


@event.listens_for(Session, "after_transaction_end")
def _forget_user_refs(session: Session, *_) -> None:
    session.info.pop(_USER_REFS, None)


# ------------------------------------------------------------------------------------------------ a detail's parts
_SC, _CA, _CI, _AT, _U = (StateChange.__table__, CriterionAnswer.__table__, Checkin.__table__, Attachment.__table__,
                          User.__table__)
_ACTOR, _BEHALF = _U.alias("actor_user"), _U.alias("behalf_user")
# One column set for the four parts; each position keeps one type on both databases (the first SELECT's types are the
# ones SQLAlchemy reads the rows with: times, dates, JSON and booleans as their columns give them).
_TYPES = {
    "part": Integer(), "k": Integer(), "id": Integer(), "i1": Integer(), "i2": Integer(), "i3": Integer(),
    "s1": _AT.c.kind.type, "s2": _AT.c.filename.type, "s3": _AT.c.content_type.type, "s4": _SC.c.comment.type,
    "s5": _U.c.username.type, "s6": _U.c.full_name.type, "s7": _U.c.username.type, "s8": _U.c.full_name.type,
    "b": _CA.c.met.type, "d": _CI.c.date.type, "ts": _SC.c.created_at.type, "j": _SC.c.data.type,
}
_HISTORY, _CRITERIA, _CHECKINS, _ATTACHMENTS = range(4)


def _part(part: int, source, nomination_id, **columns):
    """One part of the detail as a SELECT of the shared column set (the columns it lacks are NULLs cast to the
    position's type: PostgreSQL types a UNION's columns pairwise, and two bare NULLs make text)."""
    columns["part"] = literal_column(str(part))
    return (select(*(type_coerce(columns[name], t).label(name) if name in columns else cast(null(), t).label(name)
                     for name, t in _TYPES.items()))
            .select_from(source).where(nomination_id == bindparam("nid", type_=Integer())))


_PART_SELECTS = (
    _part(_HISTORY, _SC.outerjoin(_ACTOR, _ACTOR.c.id == _SC.c.actor_id)
          .outerjoin(_BEHALF, _BEHALF.c.id == _SC.c.on_behalf_of_id), _SC.c.nomination_id,
          k=_SC.c.version, id=_SC.c.id, i1=_SC.c.version, i2=_SC.c.actor_id, i3=_SC.c.on_behalf_of_id,
          s1=_SC.c.action, s2=_SC.c.from_state, s3=_SC.c.to_state, s4=_SC.c.comment, s5=_ACTOR.c.username,
          s6=_ACTOR.c.full_name, s7=_BEHALF.c.username, s8=_BEHALF.c.full_name, ts=_SC.c.created_at, j=_SC.c.data),
    _part(_CRITERIA, _CA, _CA.c.nomination_id, s1=_CA.c.code, s4=_CA.c.evidence, b=_CA.c.met),
    _part(_CHECKINS, _CI, _CI.c.nomination_id, id=_CI.c.id, i1=_CI.c.author_id, s4=_CI.c.note, d=_CI.c.date,
          ts=_CI.c.created_at),
    _part(_ATTACHMENTS, _AT, _AT.c.nomination_id, k=_AT.c.id, id=_AT.c.id, i1=_AT.c.size, i2=_AT.c.uploaded_by_id,
          s1=_AT.c.kind, s2=_AT.c.filename, s3=_AT.c.content_type, s4=_AT.c.sha256, b=_AT.c.internal,
          ts=_AT.c.created_at),
)
# each part in its relationship's order: version, code, date, id
_PARTS_ORDER_NAMES = ("part", "k", "s1", "d", "id")
_PARTS_ORDER = tuple(literal_column(name) for name in _PARTS_ORDER_NAMES)
_PARTS = union_all(*_PART_SELECTS).order_by(*_PARTS_ORDER)
_PARTS_BESIDE = union_all(*_PART_SELECTS)  # beside the nomination's row (`load_detail`), ordered there
_PARTS_PLAIN = PlainSelect(_PARTS)
_PartRow = namedtuple("_PartRow", list(_TYPES))  # a row of _PARTS: its columns are _TYPES' names, in that order


def _history(n: Nomination, r) -> dict:
    return {"id": r.id, "nomination_id": n.id, "version": r.i1, "action": r.s1, "from_state": r.s2, "to_state": r.s3,
            "actor_id": r.i2, "on_behalf_of_id": r.i3, "comment": r.s4, "data": r.j, "created_at": r.ts}


def _criterion(n: Nomination, r) -> dict:
    return {"nomination_id": n.id, "code": r.s1, "met": r.b, "evidence": r.s4}


def _checkin(n: Nomination, r) -> dict:
    return {"id": r.id, "nomination_id": n.id, "date": r.d, "note": r.s4, "author_id": r.i1, "created_at": r.ts}


def _attachment(n: Nomination, r) -> dict:
    return {"id": r.id, "nomination_id": n.id, "kind": r.s1, "filename": r.s2, "content_type": r.s3, "size": r.i1,
            "sha256": r.s4, "internal": bool(r.b), "uploaded_by_id": r.i2, "created_at": r.ts}


_COLLECTIONS = {_HISTORY: ("history", StateChange, _history), _CRITERIA: ("criteria", CriterionAnswer, _criterion),
                _CHECKINS: ("checkins", Checkin, _checkin), _ATTACHMENTS: ("attachments", Attachment, _attachment)}


def load_parts(session: Session, n: Nomination) -> None:
    """Everything a nomination's detail shows beside its row — history (with the names of who acted), criteria,
    check-ins, attachments — in one statement, set on `n` as if each collection had been loaded (the objects are
    persistent, exactly what a load gives: `plain.persistent`; rows already in the session are kept as they are). A
    change answers with the detail (`web/api/nominations.py`): its locked row is in the session, current, and these
    parts were four lazy loads and a statement for the names otherwise. Collections already loaded (a guard read
    them) are left as they are; the names are kept for `history_users`. Nothing is read when all four are loaded and
    the names of the history's people known: a transition read them with its step (`parts_beside`)."""
    if not inspect(n).unloaded & _PART_KEYS and _named(session, n):
        return
    set_parts(session, n, _PARTS_PLAIN.all(session, {"nid": n.id}))


_PART_KEYS = frozenset(key for key, *_ in _COLLECTIONS.values())
# The row of a step's history row in `parts_beside`'s statement: before the parts.
STEP_PART = -1


def parts_beside(recorded, taken) -> CompoundSelect:
    """`load_parts`' statement with a row before the parts (part STEP_PART): the history row that `recorded` (a
    data-modifying CTE returning the row's id, nomination_id, actor_id and on_behalf_of_id) has just inserted, with
    the names of who acted, and what `taken` (a CTE returning an audit chain's `seq` and `hash`, at most one row)
    returned. A step and the detail it answers with are then one statement (`service._record_step` on PostgreSQL).
    Its parts are read in the statement's snapshot, so without the row it inserts: `set_parts` adds it."""
    step = _part(STEP_PART, recorded.outerjoin(_ACTOR, _ACTOR.c.id == recorded.c.actor_id)
                 .outerjoin(_BEHALF, _BEHALF.c.id == recorded.c.on_behalf_of_id).outerjoin(taken, true()),
                 recorded.c.nomination_id, id=recorded.c.id, i2=recorded.c.actor_id, i3=recorded.c.on_behalf_of_id,
                 s5=_ACTOR.c.username, s6=_ACTOR.c.full_name, s7=_BEHALF.c.username, s8=_BEHALF.c.full_name,
                 k=taken.c.seq, s4=taken.c.hash)
    return union_all(step, *_PART_SELECTS).order_by(*_PARTS_ORDER)


def step_id(rows) -> int | None:
    """The id of the history row in the rows of `parts_beside`'s statement (None: the step wrote nothing)."""
    return rows[0][_STEP_ID] if rows and rows[0][0] == STEP_PART else None


def step_taken(rows) -> tuple[int, str] | None:
    """What `parts_beside`'s `taken` returned: (seq, hash), or None."""
    if not rows or rows[0][0] != STEP_PART or rows[0][_STEP_SEQ] is None:
        return None
    return rows[0][_STEP_SEQ], rows[0][_STEP_HASH]


_STEP_ID, _STEP_SEQ, _STEP_HASH = (list(_TYPES).index(name) for name in ("id", "k", "s4"))


def set_parts(session: Session, n: Nomination, rows, recorded: StateChange | None = None) -> None:
    """Sets the rows of `load_parts`' (or `parts_beside`'s) statement on `n`, as `load_parts` does; `recorded`, the
    history row the statement inserted (persistent in the session already), last in the history."""
    state = instance_state(n)
    # `state.unloaded & _PART_KEYS`, asked of the four keys only (`unloaded` is a set over every attribute).
    loaded, committed = state.dict, state.committed_state
    unloaded = {key for key in _PART_KEYS if key not in loaded and key not in committed}
    parts: dict[int, list] = {part: [] for part in _COLLECTIONS}
    refs = session.info.setdefault(_USER_REFS, {})
    for r in map(_PartRow._make, rows):
        if r.part in (_HISTORY, STEP_PART):
            for uid, username, full_name in ((r.i2, r.s5, r.s6), (r.i3, r.s7, r.s8)):
                if uid is not None and username is not None:
                    refs[uid] = UserRef(uid, username, full_name)
            if r.part == STEP_PART:
                continue
        key, model, values = _COLLECTIONS[r.part]
        if key in unloaded:
            parts[r.part].append(plain.persistent(session, model, values(n, r)))
    if recorded is not None:
        parts[_HISTORY].append(recorded)
    plain.set_collections(n, {key: parts[part] for part, (key, *_) in _COLLECTIONS.items() if key in unloaded})


def _named(session: Session, n: Nomination) -> bool:
    """Whether the names of everyone in the (loaded) history are known to `history_users` without a statement."""
    refs = session.info.get(_USER_REFS, {})
    return all((h.actor_id is None or h.actor_id in refs) and (h.on_behalf_of_id is None or h.on_behalf_of_id in refs)
               for h in n.history)
