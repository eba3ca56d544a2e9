"""The e-mail delivery worker against a real SMTP server (aiosmtpd) on loopback, on SQLite and PostgreSQL:
each queued message arrives exactly once, with its stable Message-ID, whatever the crashes and races."""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import email.utils
import re
import socket
import threading
import uuid

import pytest
from aiosmtpd.controller import Controller
from samples import PDF
from sqlalchemy import select

from models import OutboxMessage
from models.base import utcnow
from notifications import delivery, outbox
from web.cli import main as cli_main
from workflow.nominations import rules, service


class Recorder:
    """aiosmtpd handler: keeps every accepted message; `refuse` makes DATA answer with that reply instead."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.refuse: str | None = None
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return self.refuse
        msg = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.lock:
            self.messages.append(msg)
        return "250 OK"

    def ids(self) -> list[str]:
        return [m["Message-ID"] for m in self.messages]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    handler.settings = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": controller.port, "MAIL_FROM": "dienhinh@so.test"}
    yield handler
    controller.stop()


@pytest.fixture
def email_enabled():
    before = dict(outbox.SETTINGS)
    outbox.configure(email_enabled=True)
    yield
    outbox.SETTINGS.clear()
    outbox.SETTINGS.update(before)


def _submitted(db, demo, tmp_path):
    """A nomination of PBGDPL submitted by its unit head: the secretariat (vanphong) is told, by e-mail too."""
    tp = demo.actor("tp_pbgdpl")
    n = service.create_nomination(db, tp, campaign_id=demo.campaign().id, subject_type="collective",
                                  unit_id=demo.unit("PBGDPL").id, title="Phòng PBGDPL")
    n = service.update_nomination(db, tp, n.id, n.version, achievements="Thành tích", criteria={
        c.code: {"met": True, "evidence": "x"} for c in rules.criteria_for("collective", "annual")})
    service.add_attachment(db, tp, n.id, kind="achievement_report", filename="bc.pdf", data=PDF)
    n = service.transition(db, tp, n.id, "start_nurturing", n.version, nurture_plan="Kế hoạch")
    service.transition(db, tp, n.id, "submit", n.version)
    db.commit()


def _queue(db, n: int, when: dt.datetime | None = None) -> list[str]:
    ids = []
    for i in range(n):
        mid = f"<{uuid.uuid4().hex}@dienhinh.test>"
        db.add(OutboxMessage(to_address=f"nguoi{i}@dienhinh.test", subject=f"[Điển hình] Hồ sơ số {i}",
                             body=f"Hồ sơ đã được trình — số {i}.", message_id=mid,
                             next_attempt_at=when or utcnow()))
        ids.append(mid)
    db.commit()
    return ids


def _rows(session_factory) -> list[OutboxMessage]:
    with session_factory() as s:
        return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_a_submitted_nomination_is_mailed_to_the_secretariat_once(db, demo, tmp_path, session_factory, smtp,
                                                                   email_enabled):
    _submitted(db, demo, tmp_path)
    (queued,) = _rows(session_factory)

    assert delivery.deliver_once(session_factory, smtp.settings) == (1, 0)
    (got,) = smtp.messages
    assert got["Message-ID"] == queued.message_id
    assert got["To"] == "vanphong@dienhinh.test" and got["From"] == "dienhinh@so.test"
    assert got["Subject"] == queued.subject
    assert got.get_content().strip() == queued.body
    (row,) = _rows(session_factory)
    assert row.status == "sent" and row.sent_at is not None and row.attempts == 0

    assert delivery.deliver_once(session_factory, smtp.settings) == (0, 0)
    assert len(smtp.messages) == 1


def test_only_due_messages_are_sent_and_a_second_pass_sends_nothing(db, session_factory, smtp):
    now = utcnow()
    due = _queue(db, 3, now - dt.timedelta(minutes=1))
    later = _queue(db, 1, now + dt.timedelta(hours=1))
    assert delivery.deliver_once(session_factory, smtp.settings, now=now) == (3, 0)
    assert sorted(smtp.ids()) == sorted(due)
    assert delivery.deliver_once(session_factory, smtp.settings, now=now) == (0, 0)
    assert len(smtp.messages) == 3
    assert delivery.deliver_once(session_factory, smtp.settings, now=now + dt.timedelta(hours=2)) == (1, 0)
    assert smtp.ids()[-1] == later[0]
    assert {r.status for r in _rows(session_factory)} == {"sent"}


@pytest.mark.fresh_db
def test_two_racing_workers_deliver_each_message_exactly_once(db, session_factory, smtp):
    ids = _queue(db, 40)
    results, errors = [], []
    start = threading.Barrier(2)

    def worker():
        try:
            start.wait()
            for _ in range(10):
                results.append(delivery.deliver_once(session_factory, smtp.settings, limit=5))
        except Exception as err:  # surfaced by the assertion below
            errors.append(err)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    assert sorted(smtp.ids()) == sorted(ids)  # each once: no duplicates, none missing
    assert sum(sent for sent, _ in results) == 40 and sum(f for _, f in results) == 0
    assert {r.status for r in _rows(session_factory)} == {"sent"}


def test_a_worker_killed_after_claiming_leaves_the_message_for_the_next_run(db, session_factory, smtp):
    now = utcnow()
    (mid,) = _queue(db, 1, now)
    with session_factory() as s:  # the dead worker: claimed, never sent
        (claimed,) = delivery.claim(s, limit=10, now=now)
    assert claimed.status == "sending"

    assert delivery.deliver_once(session_factory, smtp.settings, now=now + dt.timedelta(minutes=1)) == (0, 0)
    assert smtp.messages == []  # still leased to the dead worker

    later = now + delivery.LEASE + dt.timedelta(seconds=1)
    assert delivery.deliver_once(session_factory, smtp.settings, now=later) == (1, 0)
    assert smtp.ids() == [mid]
    assert delivery.deliver_once(session_factory, smtp.settings, now=later + delivery.LEASE * 2) == (0, 0)
    assert smtp.ids() == [mid]
    (row,) = _rows(session_factory)
    assert row.status == "sent" and row.sent_at == later


def test_a_refusing_server_means_backoff_then_failed_with_the_error(db, session_factory, smtp):
    now = utcnow()
    _queue(db, 1, now)
    smtp.refuse = "451 Hộp thư tạm thời không nhận"
    expected = [dt.timedelta(minutes=m) for m in (1, 5, 30, 120)]
    for attempt, wait in enumerate(expected, start=1):
        assert delivery.deliver_once(session_factory, smtp.settings, now=now) == (0, 1)
        (row,) = _rows(session_factory)
        assert (row.status, row.attempts, row.next_attempt_at) == ("pending", attempt, now + wait)
        assert "451" in row.last_error
        assert delivery.deliver_once(session_factory, smtp.settings, now=now + wait - dt.timedelta(seconds=1)) \
            == (0, 0)  # not due before its backoff
        now = now + wait
    assert delivery.deliver_once(session_factory, smtp.settings, now=now) == (0, 1)
    (row,) = _rows(session_factory)
    assert (row.status, row.attempts) == ("failed", 5) and "451" in row.last_error
    smtp.refuse = None
    assert delivery.deliver_once(session_factory, smtp.settings, now=now + dt.timedelta(days=1)) == (0, 0)
    assert smtp.messages == []


def test_a_permanent_refusal_of_the_message_fails_it_at_once(db, session_factory, smtp):
    now = utcnow()
    _queue(db, 1, now)
    smtp.refuse = "554 5.7.1 Nội dung bị từ chối"
    assert delivery.deliver_once(session_factory, smtp.settings, now=now) == (0, 1)
    (row,) = _rows(session_factory)
    assert (row.status, row.attempts) == ("failed", 1) and "554" in row.last_error
    assert delivery.deliver_once(session_factory, smtp.settings, now=now + dt.timedelta(days=1)) == (0, 0)


def test_which_refusals_are_permanent():
    import smtplib

    assert delivery.permanent(smtplib.SMTPRecipientsRefused({"a@x.test": (550, b"no such user")}))
    assert not delivery.permanent(smtplib.SMTPRecipientsRefused({"a@x.test": (450, b"mailbox busy")}))
    assert delivery.permanent(smtplib.SMTPDataError(552, b"too big"))
    assert not delivery.permanent(smtplib.SMTPDataError(451, b"try later"))
    # Sender or login refused: the settings are wrong for every message; keep retrying until they are fixed.
    assert not delivery.permanent(smtplib.SMTPSenderRefused(553, b"bad sender", "x@y"))
    assert not delivery.permanent(smtplib.SMTPAuthenticationError(535, b"bad credentials"))


def test_an_unreachable_server_counts_as_a_failed_attempt(db, session_factory):
    _queue(db, 2)
    settings = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": _free_port(), "MAIL_FROM": "dienhinh@so.test"}
    assert delivery.deliver_once(session_factory, settings) == (0, 2)
    rows = _rows(session_factory)
    assert [(r.status, r.attempts) for r in rows] == [("pending", 1), ("pending", 1)]
    assert all(r.last_error for r in rows)


def test_cli_deliver_once(app, db, session_factory, smtp):
    ids = _queue(db, 2)
    runner = app.test_cli_runner()
    app.config["SMTP_HOST"] = None
    result = runner.invoke(cli_main, ["notifications", "deliver", "--once"])
    assert result.exit_code == 0, result.output
    assert "tắt" in result.output and smtp.messages == []

    app.config.update(smtp.settings)
    result = runner.invoke(cli_main, ["notifications", "deliver", "--once"])
    assert result.exit_code == 0, result.output
    assert "Đã gửi 2, lỗi 0" in result.output
    assert sorted(smtp.ids()) == sorted(ids)


# ------------------------------------------------------------------------------------------------ what is received
@pytest.fixture
def mail_app(make_app, smtp, tmp_path):
    """The application configured as a department runs it: its SMTP server, a sender with a display name and the
    address users reach it at (with a path prefix and a trailing slash). Restores the outbox settings after."""
    before = dict(outbox.SETTINGS)
    app = make_app(
        instance_path=str(tmp_path / "instance"), WTF_CSRF_ENABLED=True,
        SMTP_HOST=smtp.settings["SMTP_HOST"], SMTP_PORT=smtp.settings["SMTP_PORT"],
        MAIL_FROM="Sở Tư pháp An Giang <thongbao@STP.AnGiang.test>", BASE_URL="https://dienhinh.stp.test/ung-dung/",
    )
    yield app
    outbox.SETTINGS.clear()
    outbox.SETTINGS.update(before)


def test_received_messages_have_a_date_the_senders_domain_and_absolute_links(mail_app, db, demo, tmp_path,
                                                                              session_factory, smtp):
    sent_after = utcnow().replace(microsecond=0)
    _submitted(db, demo, tmp_path)
    result = mail_app.test_cli_runner().invoke(cli_main, ["notifications", "deliver", "--once"])
    assert "Đã gửi 1, lỗi 0" in result.output, result.output
    (got,) = smtp.messages
    (row,) = _rows(session_factory)

    date = email.utils.parsedate_to_datetime(got["Date"])
    assert date.utcoffset() == dt.timedelta(hours=7)  # Asia/Ho_Chi_Minh
    assert sent_after <= date <= utcnow()
    assert got["Message-ID"] == row.message_id and got["Message-ID"].endswith("@stp.angiang.test>")
    assert got["From"].addresses[0].addr_spec == "thongbao@STP.AnGiang.test"

    body = got.get_content()
    nomination_id = db.scalar(select(OutboxMessage.notification_id))  # the link is the nomination's page
    assert nomination_id is not None
    links = re.findall(r"\S*/\S*", body)
    assert links and all(link.startswith("https://dienhinh.stp.test/ung-dung/") for link in links), body
    assert re.search(r"^https://dienhinh\.stp\.test/ung-dung/nominations/\d+$", body, re.M), body

    # A retry (after a crash between the send and its record) sends the same message: same Date, same Message-ID.
    again = delivery.build_email(row, "thongbao@stp.angiang.test")
    assert (again["Date"], again["Message-ID"]) == (got["Date"], got["Message-ID"])
