"""Revision 0018: every story written before it becomes its revision 1 — its text, its author, published when the
story is — so the list of revisions is never empty and the next save is revision 2; downgrade drops the table and
the columns. On a fresh database of each backend."""
# ruff: noqa: F811 - `empty_engine` is test_migrations' fixture, imported here
from __future__ import annotations

import datetime as dt

from alembic import command
from sqlalchemy import inspect, text
from test_migrations import empty_engine  # noqa: F401

from web import migrate

BEFORE = "0017_minutes_numbers"
T = dt.datetime(2026, 1, 1)


def test_each_story_becomes_its_first_revision_and_the_downgrade_works(empty_engine):
    migrate.upgrade(empty_engine, BEFORE)
    with empty_engine.begin() as conn:
        conn.execute(text("INSERT INTO units (id, code, name, kind, active, search_text) "
                          "VALUES (1, 'STP', 'Sở', 'department', :t, 'so')"), {"t": True})
        conn.execute(text("INSERT INTO campaigns (id, department_id, name, kind, start_date, end_date, "
                          "registration_deadline, allows_collective, allows_individual, created_at) "
                          "VALUES (1, 1, 'Đợt', 'annual', :d, :d, :d, :t, :t, :now)"),
                     {"d": T.date(), "t": True, "now": T})
        conn.execute(text("INSERT INTO nominations (id, campaign_id, department_id, unit_id, subject_type, "
                          "subject_key, title, achievements, initiatives, state, version, search_text, "
                          "created_at, updated_at) VALUES (1, 1, 1, 1, 'collective', 'u:1', 'Hồ sơ', '', '', "
                          "'evaluated_co_so', 1, '', :now, :now)"), {"now": T})
        for sid, state, published in ((1, "draft", None), (2, "published", T)):
            conn.execute(text("INSERT INTO stories (id, department_id, nomination_id, title, summary, body_html, "
                              "channel, state, version, published_at, created_at, updated_at) VALUES (:id, 1, 1, "
                              ":title, 'Tóm tắt', '<p>Bài</p>', 'bulletin', :state, 3, :pub, :now, :now)"),
                         {"id": sid, "title": f"Bài {sid}", "state": state, "pub": published, "now": T})
    migrate.upgrade(empty_engine)
    with empty_engine.connect() as conn:
        rows = conn.execute(text("SELECT story_id, number, title, summary, body_html, channel, published_at "
                                 "FROM story_revisions ORDER BY story_id")).all()
        stories = conn.execute(text("SELECT id, revision, pending_revision FROM stories ORDER BY id")).all()
    assert [(r[0], r[1], r[2], r[3], r[4], r[5], r[6] is not None) for r in rows] == [
        (1, 1, "Bài 1", "Tóm tắt", "<p>Bài</p>", "bulletin", False),
        (2, 1, "Bài 2", "Tóm tắt", "<p>Bài</p>", "bulletin", True)]
    assert [tuple(s) for s in stories] == [(1, 1, None), (2, 1, None)]

    command.downgrade(migrate.alembic_config(empty_engine), BEFORE)
    assert "story_revisions" not in inspect(empty_engine).get_table_names()
    assert "revision" not in {c["name"] for c in inspect(empty_engine).get_columns("stories")}
