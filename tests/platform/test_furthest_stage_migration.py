"""Revision 0015: every nomination already there gets the furthest stage its history (or its state) reached — a
return, a withdrawal, a rejection does not lower it — so the reports' funnel, which now counts the stored stage,
keeps the figures it read from the history; downgrade drops the column. On a fresh database of each backend."""
# ruff: noqa: F811 - `empty_engine` is test_migrations' fixture, imported here
from __future__ import annotations

import datetime as dt

from alembic import command
from sqlalchemy import inspect, text
from test_migrations import empty_engine  # noqa: F401

from web import migrate

BEFORE = "0014_list_indexes"
T = dt.datetime(2026, 1, 1)
# state now, the path its history took, the stage it reached (1 = registered … 6 = recognized)
CASES = {
    1: ("registered", ["registered"], 1),
    2: ("withdrawn", ["registered", "nurtured", "withdrawn"], 2),
    3: ("nurtured", ["registered", "nurtured", "submitted", "nurtured"], 3),  # returned for revision
    4: ("not_recognized", ["registered", "nurtured", "submitted", "not_recognized"], 3),
    5: ("evaluated_co_so", ["registered", "nurtured", "submitted", "evaluated_co_so", "proposed_nganh",
                            "evaluated_co_so"], 5),  # the Ministry sent the proposal back
    6: ("recognized", ["registered", "nurtured", "submitted", "evaluated_co_so", "proposed_nganh", "recognized"], 6),
    7: ("revoked", ["registered", "nurtured", "submitted", "evaluated_co_so", "revoked"], 4),
    8: ("submitted", [], 3),  # no history at all (imported): its state counts
}


def test_the_furthest_stage_is_filled_from_the_history_and_the_downgrade_works(empty_engine):
    migrate.upgrade(empty_engine, BEFORE)
    with empty_engine.begin() as conn:
        conn.execute(text("INSERT INTO units (id, code, name, kind, active, search_text) "
                          "VALUES (1, 'STP', 'Sở', 'department', :t, 'so')"), {"t": True})
        conn.execute(text("INSERT INTO campaigns (id, department_id, name, kind, start_date, end_date, "
                          "registration_deadline, allows_collective, allows_individual, created_at) "
                          "VALUES (1, 1, 'Đợt', 'annual', :d, :d, :d, :t, :t, :now)"),
                     {"d": T.date(), "t": True, "now": T})
        for nid, (state, path, _) in CASES.items():
            conn.execute(text("INSERT INTO nominations (id, campaign_id, department_id, unit_id, subject_type, "
                              "subject_key, title, achievements, initiatives, state, version, search_text, "
                              "created_at, updated_at) VALUES (:id, 1, 1, 1, 'collective', :key, 'Hồ sơ', '', '', "
                              ":state, :v, '', :now, :now)"),
                         {"id": nid, "key": f"u:{nid}", "state": state, "v": max(len(path), 1), "now": T})
            for v, to_state in enumerate(path, start=1):
                conn.execute(text("INSERT INTO state_changes (nomination_id, version, action, to_state, comment, "
                                  "data, created_at) VALUES (:n, :v, 'step', :to, '', '{}', :now)"),
                             {"n": nid, "v": v, "to": to_state, "now": T})
    migrate.upgrade(empty_engine)
    with empty_engine.connect() as conn:
        stored = dict(conn.execute(text("SELECT id, furthest_stage FROM nominations")).all())
    assert stored == {nid: stage for nid, (_, _, stage) in CASES.items()}

    command.downgrade(migrate.alembic_config(empty_engine), BEFORE)
    assert "furthest_stage" not in {c["name"] for c in inspect(empty_engine).get_columns("nominations")}
