"""The transition's raw floor over HTTP: the work a transition cannot do without, written as a minimal Flask view
on psycopg, served by gunicorn as the project and hello world are (`bench/http_bench.py`, request kind
`raw_transition`).

Per request, in one transaction on the worker's own connection, the same statements as the project's transition:
the accounts stamp (the caller's rows kept per process while it is unchanged, read again when it changes), the
nomination's row locked in the caller's department with its campaign, unit and person, the version and state checked,
the project's own step statement (`service._STEP_PG_PARTS`: the move, its history row, the audit chain's next
position and the detail's parts), the event hashed and signed by the project's functions and written by its statement
(`notifications.audit`), COMMIT; then the nomination with its history as JSON. What it leaves out is everything
above the SQL: the ORM, the policy and the state machine, the signals, webargs, the metrics, the access log, the
security headers, the answer's available actions and eligibility. The ratio of the endpoint to this floor is what
the project's own code costs; the floor's ratio to hello world is the most any implementation of the same statements
can reach on the machine.

Environment: RAW_URL (a psycopg URL of the working copy), RAW_AUDIT_KEY (hex; any key: the chain is the bench's)."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os

import orjson
import psycopg
from flask import Flask, Response, request
from sqlalchemy.dialects.postgresql import psycopg as pg_psycopg

from notifications import audit
from workflow.nominations import queries, service

URL = os.environ["RAW_URL"]
KEY = bytes.fromhex(os.environ.get("RAW_AUDIT_KEY", "6b" * 32))
_compiled = service._STEP_PG_PARTS.statement.compile(dialect=pg_psycopg.dialect())
STEP, STEP_DEFAULTS = _compiled.string, dict(_compiled.params)
STAMP = "SELECT stamp FROM data_stamps WHERE name = 'accounts'"
CALLER = ("SELECT t.expires_at, u.id, u.username, u.department_id FROM api_tokens t JOIN users u ON u.id = t.user_id "
          "WHERE t.token_hash = %(digest)s AND NOT t.revoked AND t.expires_at > %(now)s AND u.active")
LOAD = ("SELECT n.id, n.department_id, n.state, n.version, n.furthest_stage, n.title, n.campaign_id, c.name, "
        "n.unit_id, u.name, p.full_name, n.created_at FROM nominations n JOIN campaigns c ON c.id = n.campaign_id "
        "JOIN units u ON u.id = n.unit_id LEFT JOIN people p ON p.id = n.subject_person_id "
        "WHERE n.id = %(id)s AND n.department_id = %(department)s FOR UPDATE OF n")
FIRST_HEAD = ("INSERT INTO audit_chain_heads (chain, seq, prev_hash, hash) VALUES (%(chain)s, 0, %(genesis)s, "
              "%(genesis)s) ON CONFLICT (chain) DO NOTHING")
PLAN = "nurture_plan"

app = Flask(__name__)
_connection: psycopg.Connection | None = None
_callers: dict[str, tuple] = {}


def _conn() -> psycopg.Connection:
    global _connection
    if _connection is None or _connection.closed:
        _connection = psycopg.connect(URL)
    return _connection


def _problem(status: int) -> Response:
    return Response(orjson.dumps({"status": status}), status, mimetype="application/problem+json")


@app.get("/ping")
def ping():
    return "ok"


@app.post("/api/v1/nominations/<int:nid>/transitions")
def transition(nid: int):
    body = request.get_json()
    token = request.headers.get("Authorization", "").removeprefix("Bearer ")
    conn = _conn()
    cur = conn.cursor()
    try:
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)  # naive UTC, as the tables store it
        stamp = cur.execute(STAMP).fetchone()[0]
        caller = _callers.get(token)
        if caller is None or caller[0] != stamp or caller[1] <= now:  # as `accounts.caller_for_token` keeps one
            row = cur.execute(CALLER, {"digest": hashlib.sha256(token.encode()).hexdigest(), "now": now}).fetchone()
            if row is None:
                conn.rollback()
                return _problem(401)
            caller = _callers[token] = (stamp, *row)
        _, _, user_id, username, department = caller
        n = cur.execute(LOAD, {"id": nid, "department": department}).fetchone()
        if n is None:
            conn.rollback()
            return _problem(404)
        state, version = n[2], n[3]
        if version != body.get("version") or state != "registered" or not body.get(PLAN):
            conn.rollback()
            return _problem(409)
        plan, chain = body[PLAN], f"dept:{n[1]}"
        rows = cur.execute(STEP, STEP_DEFAULTS | {
            "nid": nid, "old_version": version, "new_state": "nurtured", "new_plan": plan, "new_version": version + 1,
            "new_stage": max(n[4], 2), "now": now, "h_version": version + 1, "h_action": "start_nurturing",
            "h_from_state": "registered", "h_to_state": "nurtured", "h_actor_id": user_id, "h_on_behalf_of_id": None,
            "h_comment": "", "h_data": json.dumps({PLAN: plan}), "h_created_at": now, "audit_chain": chain}).fetchall()
        step_id, taken = queries.step_id(rows), queries.step_taken(rows)
        if step_id is None:
            conn.rollback()
            return _problem(409)
        if taken is None:  # the chain's first event (a new copy of the database): its head made, as the project does
            cur.execute(FIRST_HEAD, {"chain": chain, "genesis": audit.GENESIS})
            taken = cur.execute(audit._TAKE_PG, {"head": chain}).fetchone()
        seq, prev = taken
        text = audit.data_text({"from": "registered", "to": "nurtured", "via": "api"})
        action, ip, agent = "nomination.start_nurturing", request.remote_addr, request.user_agent.string[:500] or None
        hash_ = audit.hash_of(prev, audit.canonical_fields(chain, seq, now.replace(tzinfo=dt.UTC), user_id, username,
                                                           action, "ok", "nomination", nid, ip, agent, text))
        cur.execute(audit._PUT_PG, {
            "created_at": now, "actor_id": user_id, "actor_username": username, "action": action, "outcome": "ok",
            "object_type": "nomination", "object_id": nid, "data": text, "ip": ip, "user_agent": agent,
            "chain": chain, "seq": seq, "prev_hash": prev, "hash": hash_, "mac": audit.mac_of(KEY, hash_)}).fetchone()
        conn.commit()
    except Exception:
        conn.rollback()
        raise
    history = [{"id": r[2], "version": r[3], "action": r[6], "from_state": r[7], "to_state": r[8], "comment": r[9],
                "actor": r[10]} for r in rows if r[0] == 0]
    history.append({"id": step_id, "version": version + 1, "action": "start_nurturing", "from_state": "registered",
                    "to_state": "nurtured", "comment": "", "actor": username})
    return Response(orjson.dumps({
        "id": nid, "title": n[5], "state": "nurtured", "version": version + 1, "nurture_plan": plan,
        "campaign": {"id": n[6], "name": n[7]}, "unit": {"id": n[8], "name": n[9]}, "subject_person": n[10],
        "created_at": n[11], "updated_at": now, "history": history}), 200, mimetype="application/json")
