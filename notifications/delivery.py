"""The e-mail delivery worker: claims due outbox rows, sends them over SMTP, records the outcome.

Claiming is safe with several workers: on PostgreSQL the due rows are locked with ``FOR UPDATE SKIP LOCKED`` so a
second worker passes over them; on SQLite every transaction begins IMMEDIATE (models/base.py), so claims queue on the
write lock. A claimed row has status "sending" and, while in that status, ``next_attempt_at`` holds the lease expiry:
a worker that dies between claim and send leaves the row to be claimed again once the lease has run out.

The sent-state is written only after the server accepted the message, in its own short transaction. A crash between
the two means the message is sent again later, with the same ``Message-ID`` so the duplicate is recognisable.
"""
from __future__ import annotations

import datetime as dt
import smtplib
from collections.abc import Callable, Mapping
from email.message import EmailMessage
from email.utils import format_datetime
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from models import OutboxMessage
from workflow import clock

LEASE = dt.timedelta(minutes=10)
BACKOFF_MINUTES = (1, 5, 30, 120)  # after the 1st, 2nd, 3rd, 4th failed attempt
MAX_ATTEMPTS = 5  # the 5th failure marks the message "failed"
SMTP_TIMEOUT = 30
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def claim(session: Session, *, limit: int, now: dt.datetime) -> list[OutboxMessage]:
    """Claim up to `limit` due messages for this worker (status "sending", lease until now + LEASE) and commit.
    The returned rows stay readable after the commit (the session factory sets `expire_on_commit=False`)."""
    due = or_(OutboxMessage.status == "pending", OutboxMessage.status == "sending")  # "sending": lease expired
    stmt = (
        select(OutboxMessage)
        .where(due, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # ignored on SQLite, where BEGIN IMMEDIATE holds the write lock
    )
    try:
        rows = list(session.scalars(stmt))
        lease_until = now + LEASE
        for row in rows:
            row.status = "sending"
            row.next_attempt_at = lease_until
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return rows


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(minutes=BACKOFF_MINUTES[min(attempts, len(BACKOFF_MINUTES)) - 1])


def build_email(msg: OutboxMessage, mail_from: str) -> EmailMessage:
    """The message as sent. Its Date is when it was queued (RFC 5322's origination date: the moment it was complete),
    in Asia/Ho_Chi_Minh; like the Message-ID, it is the same on every attempt, so a resent duplicate is identical."""
    created = msg.created_at or clock.now()
    if created.tzinfo is None:  # SQLite hands back naive UTC
        created = created.replace(tzinfo=dt.UTC)
    email = EmailMessage()
    email["From"] = mail_from
    email["To"] = msg.to_address
    email["Subject"] = msg.subject
    email["Date"] = format_datetime(created.astimezone(LOCAL_TZ))
    email["Message-ID"] = msg.message_id
    email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to a notification
    email.set_content(msg.body, charset="utf-8")
    return email


class _Connection:
    """One SMTP connection per pass, opened lazily and reopened after an error."""

    def __init__(self, settings: Mapping):
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def send(self, email: EmailMessage) -> None:
        if self.smtp is None:
            s = self.settings
            smtp = smtplib.SMTP(s["SMTP_HOST"], int(s.get("SMTP_PORT") or 25), timeout=SMTP_TIMEOUT)
            try:
                if s.get("SMTP_STARTTLS"):
                    smtp.starttls()
                if s.get("SMTP_USER"):
                    smtp.login(s["SMTP_USER"], s.get("SMTP_PASSWORD") or "")
            except BaseException:
                _quietly_close(smtp)
                raise
            self.smtp = smtp
        self.smtp.send_message(email)

    def reset(self) -> None:
        if self.smtp is not None:
            _quietly_close(self.smtp)
            self.smtp = None

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            finally:
                _quietly_close(self.smtp)
                self.smtp = None


def _quietly_close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.close()
    except OSError:
        pass


def _mark_sent(session_factory: Callable[[], Session], msg: OutboxMessage, now: dt.datetime) -> None:
    # The server accepted it: that is a fact whatever became of our lease.
    with session_factory() as session, session.begin():
        session.execute(
            update(OutboxMessage).where(OutboxMessage.id == msg.id, OutboxMessage.status != "sent")
            .values(status="sent", sent_at=now, last_error=None)
        )


def permanent(err: Exception) -> bool:
    """A 5xx about this message itself (its recipient or its content) will not change on retry: fail it now.

    A 5xx about the sender or the login (SMTPSenderRefused, SMTPAuthenticationError) is a configuration problem
    shared by every message: those are retried, so fixing the settings delivers the backlog."""
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in err.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(err, smtplib.SMTPDataError):
        return 500 <= err.smtp_code < 600
    return False


def _mark_failed(session_factory: Callable[[], Session], msg: OutboxMessage, lease_until: dt.datetime,
                 now: dt.datetime, error: str, *, final: bool = False) -> str | None:
    """Record a failed attempt unless another worker took the row over (our lease expired). Returns the new status."""
    with session_factory() as session, session.begin():
        row = session.scalar(
            select(OutboxMessage).where(OutboxMessage.id == msg.id).with_for_update()
        )
        if row is None or row.status != "sending" or row.next_attempt_at != lease_until:
            return None
        row.attempts += 1
        row.last_error = error[:2000]
        if final or row.attempts >= MAX_ATTEMPTS:
            row.status = "failed"
        else:
            row.status = "pending"
            row.next_attempt_at = now + backoff(row.attempts)
        return row.status


def deliver_once(session_factory: Callable[[], Session], smtp_settings: Mapping, *, now: dt.datetime | None = None,
                 limit: int = 50) -> tuple[int, int]:
    """One pass: claim due messages, send each, record the outcome. Returns (sent, failed attempts)."""
    now = now or clock.now()
    with session_factory() as session:
        messages = claim(session, limit=limit, now=now)
    sent = failed = 0
    if not messages:
        return sent, failed
    mail_from = smtp_settings.get("MAIL_FROM") or "dienhinh@localhost"
    conn = _Connection(smtp_settings)
    try:
        for msg in messages:
            lease_until = msg.next_attempt_at
            try:
                conn.send(build_email(msg, mail_from))
            except (smtplib.SMTPException, OSError) as err:
                conn.reset()
                _mark_failed(session_factory, msg, lease_until, now, f"{type(err).__name__}: {err}",
                             final=permanent(err))
                failed += 1
                continue
            _mark_sent(session_factory, msg, now)
            sent += 1
    finally:
        conn.close()
    return sent, failed
