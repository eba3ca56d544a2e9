"""The home page's cards read by statements built once per shape (`dashboard._preview`, `policy.scope_bound`) count
and list exactly what their definitions on the ORM read: the scope of the nomination list (`nominations_query`),
each card's states and conditions, and the council's rule of a nomination held by a session — for every demo
account, with nominations in every state a card shows, on agendas of sessions in every state."""
import datetime as dt

import pytest
from factories import closed_session, item_of, nomination, nomination_in, open_session, schedule
from sqlalchemy import case, func, select

from models import AgendaItem, Campaign, CouncilSession, Nomination, Person, Unit, User
from workflow import clock, policy
from workflow.council import operations as council
from workflow.nominations import service
from workflow.nominations.queries import nominations_query
from workflow.proposals import decisions
from workflow.reporting import dashboard

STATES = ("registered", "nurtured", "submitted", "evaluated_co_so")


@pytest.fixture
def work(db, demo):
    """Nominations in each state a card shows, one returned for revision, and submitted ones held by sessions in
    every way (scheduled, open, passed, tied) or free again (failed)."""
    people = iter(db.scalars(
        select(Person.full_name).join(Unit, Unit.id == Person.unit_id)
        .where(Unit.code.in_(("HCTP", "PBGDPL", "XDKT", "TGPL")), Person.active.is_(True))
        .order_by(Person.id)))
    for state in STATES:  # written straight into their state: only what the cards read matters here
        nomination(db, demo, person=next(people), state=state, title=f"Hồ sơ {state}")
    returned = nomination_in(db, demo, "submitted", title="Hồ sơ bị trả lại")
    service.transition(db, demo.actor("vanphong"), returned.id, "return_for_revision", returned.version,
                       reason="Bổ sung")
    held = [nomination(db, demo, person=next(people), title=f"Hồ sơ chờ {i}") for i in range(5)]
    schedule(db, demo, [held[0]])
    closed = closed_session(db, demo, [held[1], held[2], held[3]], agree={held[2].id: 0})  # [2] fails: free again
    item_of(closed, held[3]).outcome = "tie"  # a tie at the quota, waiting for the chair
    db.flush()
    open_session(db, demo, [held[4]])
    return held


def _reference_card(db, actor, spec, today):
    """The definition of a work queue's card on the ORM (as the dashboard read it before its statements were
    prebuilt): count, nearest deadline ahead, the first ids in (deadline, id desc) order."""
    stmt = nominations_query(actor, state=",".join(spec.states) or None, verb="view_dossier")
    if spec.returned is not None:
        stmt = stmt.where(dashboard._returned_clause() if spec.returned else ~dashboard._returned_clause())
    col = dashboard._deadline_column(spec.deadline)
    base = stmt.order_by(None).subquery()
    count, deadline = db.execute(
        select(func.count(), func.min(case((col >= today, col))))
        .select_from(base).join(Campaign, Campaign.id == base.c.campaign_id)).one()
    ids = list(db.scalars(stmt.join(Campaign, Campaign.id == Nomination.campaign_id)
                          .with_only_columns(Nomination.id)
                          .order_by(col.asc().nulls_last(), Nomination.id.desc()).limit(dashboard.PREVIEW)))
    return count, deadline, ids


def _reference_agenda(db, actor, today):
    stmt = nominations_query(actor, state="submitted").where(
        Nomination.department_id == actor.department_id, ~council.held_by_a_session())
    count = db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    deadline = db.scalar(select(func.min(Campaign.evaluation_deadline)).where(
        Campaign.id.in_(stmt.with_only_columns(Nomination.campaign_id).order_by(None)),
        Campaign.evaluation_deadline >= today))
    ids = list(db.scalars(stmt.with_only_columns(Nomination.id).order_by(Nomination.id).limit(dashboard.PREVIEW)))
    return count, deadline if count else None, ids


def _reference_decide(db, actor):
    rows = db.execute(
        select(Nomination.id, CouncilSession.id).join(AgendaItem, AgendaItem.nomination_id == Nomination.id)
        .join(CouncilSession, CouncilSession.id == AgendaItem.session_id)
        .where(*decisions.awaiting_decision_where(actor.department_id))
        .order_by(CouncilSession.closed_at, Nomination.id)).all()
    return len(rows), {sid for _, sid in rows}, [nid for nid, _ in rows[:dashboard.PREVIEW]], rows


def test_not_held_by_a_session_is_the_negation_of_held_by_a_session(db, demo, work):
    held = set(db.scalars(select(Nomination.id).where(council.held_by_a_session())))
    free = set(db.scalars(select(Nomination.id).where(council.not_held_by_a_session())))
    every = set(db.scalars(select(Nomination.id)))
    assert held and free and held | free == every and not held & free
    assert {n.id for n in work} & free == {work[2].id}  # only the one the council did not pass is free again


def test_every_card_counts_and_lists_what_its_definition_reads_for_every_account(db, demo, work):
    today = clock.today()
    usernames = db.scalars(select(User.username).where(User.active.is_(True)).order_by(User.id)).all()
    seen = set()
    for username in usernames:
        actor = demo.actor(username)
        cards = {c.key: c for c in dashboard.pending_work(db, actor, today)}
        for spec in dashboard.SPECS:
            if spec.key not in cards:
                continue
            card = cards[spec.key]
            assert (card.count, card.deadline, [i.id for i in card.items]) == \
                _reference_card(db, actor, spec, today), (username, spec.key)
            seen.add(spec.key)
        if policy.can(actor, "prepare", "council_session"):
            count, deadline, ids = _reference_agenda(db, actor, today)
            card = cards.get("council_agenda")
            got = (card.count, card.deadline, [i.id for i in card.items]) if card else (0, None, [])
            assert got == (count, deadline, ids), username
            seen.add("council_agenda")
        if policy.can(actor, "chair", "council_session"):
            count, sessions, ids, rows = _reference_decide(db, actor)
            card = cards.get("council_decide")
            assert (card.count if card else 0, [i.id for i in card.items] if card else []) == (count, ids)
            if card and len(sessions) == 1:
                assert f"session={rows[0][1]}" in card.link
            seen.add("council_decide")
    assert {"to_check", "secretariat_registered", "council_items", "returned", "council_agenda",
            "council_decide"} <= seen


def test_a_card_shows_the_title_subject_and_state_a_nomination_has(db, demo, work):
    cards = {c.key: c for c in dashboard.pending_work(db, demo.actor("vanphong"), clock.today())}
    for item in cards["to_check"].items:
        n = db.get(Nomination, item.id)
        assert (item.title, item.state, item.subject_name) == (n.title, n.state, n.subject_name)


def test_a_card_reads_the_day_it_is_given(db, demo, work):
    """The nearest deadline still ahead is counted from the request's day, a bound value of a statement built once."""
    actor = demo.actor("vanphong")
    spec = next(s for s in dashboard.SPECS if s.key == "to_check")
    for today in (clock.today(), clock.today() + dt.timedelta(days=400)):
        card = dashboard._nomination_card(db, actor, spec, today)
        assert card.deadline == _reference_card(db, actor, spec, today)[1]


def test_the_session_cards_list_what_their_conditions_select(db, demo, work):
    """One statement reads the sessions of every session card: each card lists what its own condition selects."""
    now = clock.now()
    dept = demo.unit("STP").id
    tied = select(AgendaItem.id).where(AgendaItem.session_id == CouncilSession.id,
                                       AgendaItem.outcome == "tie").exists()
    conditions = {
        "council_publish": (CouncilSession.state == "scheduled", CouncilSession.published_at.is_(None)),
        "council_open": (CouncilSession.state == "scheduled", CouncilSession.published_at.is_not(None),
                         CouncilSession.comments_until <= now),
        "council_close": (CouncilSession.state == "open",),
        "council_ties": (CouncilSession.state == "closed", tied),
    }
    schedule(db, demo, [], publish=False)  # one to publish
    found = dashboard._sessions(db, dept, now)
    for key, where in conditions.items():
        expected = db.scalars(select(CouncilSession.id).where(CouncilSession.department_id == dept, *where)
                              .order_by(CouncilSession.date, CouncilSession.id)).all()
        assert [s.id for s in found[key]] == expected, key
    assert all(found.values())
    cards = {c.key: c for a in ("vanphong", "giamdoc") for c in dashboard.council_cards(db, demo.actor(a), now)}
    assert {"council_publish", "council_open", "council_close", "council_ties"} <= cards.keys()


def test_the_index_of_awaiting_items_holds_the_outcomes_that_hold_a_nomination():
    """`agenda_items (nomination_id) WHERE outcome IN (…)` (migration 0023) serves `not_held_by_a_session` only while
    its outcomes are the council's."""
    from models.council import _AWAITING_SQL
    assert _AWAITING_SQL == "outcome IN (" + ", ".join(f"'{o}'" for o in council.AWAITING_OUTCOMES) + ")"
