"""What happens in the workflow, one frozen dataclass per kind of event: the payload of its signal (workflow.signals).

A receiver subscribes to the events it needs and reads typed fields, instead of one catch-all signal with an action
string and an untyped `data` dict. Fields that name what happened are the ones the audit trail records (its table
in notifications.audit maps each class to the action, object and data it writes). Payloads hold ORM rows of the
sender's transaction: receivers run synchronously inside it (the sender is the SQLAlchemy session).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from workflow.context import CLI, Context


@dataclass(frozen=True, kw_only=True)
class Event:
    """Every event: who acted (an Actor, a User, or None for the command line and the system) and from where."""

    actor: Any = None
    context: Context = CLI


# ------------------------------------------------------------------------------------------------ nominations
@dataclass(frozen=True, kw_only=True)
class NominationsLocked(Event):
    """Rows locked (in id order) before any is changed, so receivers serialising on rows of their own lock them."""

    nominations: tuple = ()


@dataclass(frozen=True, kw_only=True)
class NominationCreated(Event):
    nomination: Any


@dataclass(frozen=True, kw_only=True)
class NominationUpdated(Event):
    nomination: Any
    changes: Mapping


@dataclass(frozen=True, kw_only=True)
class NominationTransitioned(Event):
    nomination: Any
    change: Any  # the StateChange row written


@dataclass(frozen=True, kw_only=True)
class NominationAccepted(Event):
    """The secretariat accepted a submitted dossier ("Tiếp nhận hồ sơ"): no state changes, the history has a row
    (`change`), the unit is told. `via_agenda`: recorded by setting a council session's agenda (see
    service.accept_on_agenda), not by the accept step itself."""

    nomination: Any
    change: Any  # the StateChange row written (action "accept")
    via_agenda: bool = False


@dataclass(frozen=True, kw_only=True)
class NominationsTransitioned(Event):
    """One step taken on several nominations by one operation (the council's close rejecting its failed items):
    each step exactly as a single transition would have sent it, sent once so that receivers write their rows in
    bulk (the audit trail one multi-row insert) — same rows, same order, fewer statements."""

    steps: tuple[NominationTransitioned, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ExampleRecognised(Event):
    """A nomination became an example (cơ sở) or a ngành example: what propagation and reports subscribe to."""

    nomination: Any
    level: str  # co_so | nganh
    decision_number: str | None


@dataclass(frozen=True, kw_only=True)
class CheckinAdded(Event):
    nomination: Any
    checkin: Any


@dataclass(frozen=True, kw_only=True)
class AttachmentAdded(Event):
    nomination: Any
    attachment: Any


@dataclass(frozen=True, kw_only=True)
class ActionRefused(Event):
    """Sent AFTER the refused action was rolled back, in a fresh transaction, so the refusal is recorded."""

    action: str
    object_type: str | None
    object_id: int | None
    error: Exception


# ------------------------------------------------------------------------------------------------ accounts
@dataclass(frozen=True, kw_only=True)
class LoginSucceeded(Event):
    user: Any


@dataclass(frozen=True, kw_only=True)
class LoginFailed(Event):
    username: str


@dataclass(frozen=True, kw_only=True)
class AccountCreatedFromCli(Event):
    """`dienhinh users create`: recorded as "user.create", apart from the admin pages' "admin.user_create"."""

    user_id: int
    username: str
    roles: tuple[str, ...]
    unit: str | None


@dataclass(frozen=True, kw_only=True)
class TokenIssued(Event):
    user_id: int
    username: str
    token_id: int
    name: str | None
    expires_at: str


@dataclass(frozen=True, kw_only=True)
class TokenRevoked(Event):
    user_id: int
    username: str
    token_id: int
    name: str | None


@dataclass(frozen=True, kw_only=True)
class TokensRevokedAll(Event):
    user_id: int
    username: str
    tokens_revoked: int


@dataclass(frozen=True, kw_only=True)
class PasswordChanged(Event):
    user_id: int
    username: str
    signed_out: Mapping = field(default_factory=dict)  # what sign_out_everywhere ended


@dataclass(frozen=True, kw_only=True)
class EmailPreferencesChanged(Event):
    user_id: int
    changes: Mapping


# ------------------------------------------------------------------------------------------------ administration
@dataclass(frozen=True, kw_only=True)
class UnitCreated(Event):
    unit_id: int
    code: str
    name: str
    kind: str
    parent_id: int | None


@dataclass(frozen=True, kw_only=True)
class UnitUpdated(Event):
    unit_id: int
    changes: Mapping


@dataclass(frozen=True, kw_only=True)
class UnitReorganised(Event):
    """A unit renamed, merged, split, moved or closed with an effective date (workflow.administration.units)."""

    change: Any
    unit_id: int
    kind: str
    effective_date: str
    details: Mapping


@dataclass(frozen=True, kw_only=True)
class PersonCreated(Event):
    person_id: int
    full_name: str
    unit_id: int | None


@dataclass(frozen=True, kw_only=True)
class PersonUpdated(Event):
    person_id: int
    changes: Mapping


@dataclass(frozen=True, kw_only=True)
class DisciplineRecorded(Event):
    person_id: int
    record_id: int
    form: str
    decided_on: str
    decision_number: str | None


@dataclass(frozen=True, kw_only=True)
class AwardRecorded(Event):
    subject_type: str  # person | unit
    subject_id: int
    record_id: int
    title: str
    level: str
    year: int
    decision_number: str | None


@dataclass(frozen=True, kw_only=True)
class UserCreated(Event):
    user_id: int
    username: str
    roles: tuple[str, ...]
    unit_id: int | None
    active: bool


@dataclass(frozen=True, kw_only=True)
class UserUpdated(Event):
    user_id: int
    changes: Mapping
    signed_out: Mapping = field(default_factory=dict)  # when the account was locked


@dataclass(frozen=True, kw_only=True)
class UserPasswordReset(Event):
    user_id: int
    username: str
    signed_out: Mapping = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class DelegationGranted(Event):
    """A delegation of signing (models.Delegation) granted: the director and the deputy are told."""

    delegation: Any


@dataclass(frozen=True, kw_only=True)
class DelegationEnded(Event):
    """A delegation ended early or cancelled before its start: both are told."""

    delegation: Any
    ends_on_before: dt.date  # the period's last day as granted (ending sets it to today, or cancels a future one)
    cancelled: bool  # it had not started yet


@dataclass(frozen=True, kw_only=True)
class CampaignCreated(Event):
    campaign_id: int
    campaign: Mapping  # the campaign as recorded (workflow.administration.campaigns.campaign_data)


@dataclass(frozen=True, kw_only=True)
class CampaignUpdated(Event):
    campaign_id: int
    changes: Mapping
    campaign: Mapping


def day_number(day: dt.date) -> int:
    """A calendar day as the audit trail's object_id: 2026-02-16 → 20260216."""
    return day.year * 10000 + day.month * 100 + day.day


@dataclass(frozen=True, kw_only=True)
class CalendarDayEvent(Event):
    day: dt.date

    @property
    def day_number(self) -> int:
        return day_number(self.day)


@dataclass(frozen=True, kw_only=True)
class CalendarDayCreated(CalendarDayEvent):
    is_working: bool
    name: str | None


@dataclass(frozen=True, kw_only=True)
class CalendarDayUpdated(CalendarDayEvent):
    changes: Mapping


@dataclass(frozen=True, kw_only=True)
class CalendarDayDeleted(CalendarDayEvent):
    is_working: bool
    name: str | None


@dataclass(frozen=True, kw_only=True)
class RecordsImported(Event):
    kind: str  # units | people
    rows: int
    created: int
    filename: str


@dataclass(frozen=True, kw_only=True)
class CouncilUpdated(Event):
    council_id: int
    changes: Mapping


@dataclass(frozen=True, kw_only=True)
class CouncilMemberSet(Event):
    council_id: int
    user_id: int
    function: str
    active: bool


# ------------------------------------------------------------------------------------------------ council sessions
@dataclass(frozen=True, kw_only=True)
class SessionEvent(Event):
    council_session: Any


@dataclass(frozen=True, kw_only=True)
class SessionScheduled(SessionEvent):
    date: str
    campaign_id: int


@dataclass(frozen=True, kw_only=True)
class SessionRescheduled(SessionEvent):
    """The date, hour, place or title of a session not yet opened changed: `changes` maps each field to
    (old, new) as text (ISO dates, HH:MM), what the audit trail keeps and the members are told."""

    changes: dict
    version: int


@dataclass(frozen=True, kw_only=True)
class SessionCancelled(SessionEvent):
    """A session not yet opened was cancelled; `nomination_ids` are the agenda items that went back to the pool."""

    reason: str
    nomination_ids: tuple[int, ...]


@dataclass(frozen=True, kw_only=True)
class AgendaSet(SessionEvent):
    nomination_ids: tuple[int, ...]


@dataclass(frozen=True, kw_only=True)
class ListPublished(SessionEvent):
    comments_until: str
    working_days: int


@dataclass(frozen=True, kw_only=True)
class AttendanceRecorded(SessionEvent):
    present: tuple[int, ...]
    members: int


@dataclass(frozen=True, kw_only=True)
class SessionOpened(SessionEvent):
    pass


@dataclass(frozen=True, kw_only=True)
class SessionClosed(SessionEvent):
    quorum_met: bool
    present: int
    members: int
    results: Mapping  # nomination id (text) -> tally and outcome
    not_voted: int = 0  # members present who cast no vote (the chair confirmed closing without them)


@dataclass(frozen=True, kw_only=True)
class TieResolved(SessionEvent):
    chosen: tuple[int, ...]
    tied: tuple[int, ...]


@dataclass(frozen=True, kw_only=True)
class CommentAdded(SessionEvent):
    comment: Any


@dataclass(frozen=True, kw_only=True)
class VoteCast(SessionEvent):
    """That a member voted on an item: never the choice."""

    item: Any


@dataclass(frozen=True, kw_only=True)
class DecisionIssued(Event):
    decision: Any
    nominations: tuple = ()


# ------------------------------------------------------------------------------------------------ proposals
@dataclass(frozen=True, kw_only=True)
class ProposalEvent(Event):
    proposal: Any
    nomination_ids: tuple[int, ...]


@dataclass(frozen=True, kw_only=True)
class ProposalCreated(ProposalEvent):
    pass


@dataclass(frozen=True, kw_only=True)
class ProposalItemsSet(ProposalEvent):
    pass


@dataclass(frozen=True, kw_only=True)
class ProposalSubmitted(ProposalEvent):
    number: str
    date: str


# ------------------------------------------------------------------------------------------------ propagation
@dataclass(frozen=True, kw_only=True)
class StoryEvent(Event):
    story: Any


@dataclass(frozen=True, kw_only=True)
class StoryCreated(StoryEvent):
    title: str
    channel: str
    removed: tuple[str, ...] = ()  # what the sanitiser dropped from the body sent (stories.removed_markup)


@dataclass(frozen=True, kw_only=True)
class StoryUpdated(StoryEvent):
    """A draft saved: its new revision is what the story now holds."""

    fields: tuple[str, ...]
    version: int
    revision: int | None = None
    removed: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class StoryRevised(StoryEvent):
    """An edit of a published story saved as revision `revision`, waiting: the public still reads the published one."""

    fields: tuple[str, ...]
    version: int
    revision: int
    removed: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class StoryPublished(StoryEvent):
    channel: str
    version: int
    revision: int | None = None


@dataclass(frozen=True, kw_only=True)
class StoryRevisionPublished(StoryEvent):
    """The waiting revision of a published story replaced the public one (`previous`)."""

    version: int
    revision: int
    previous: int


@dataclass(frozen=True, kw_only=True)
class StoryRevisionDiscarded(StoryEvent):
    """The waiting revision was dropped; it stays in the list of revisions, never published."""

    version: int
    revision: int


@dataclass(frozen=True, kw_only=True)
class StoryUnpublished(StoryEvent):
    version: int
    revision: int | None = None


@dataclass(frozen=True, kw_only=True)
class StoryImageAdded(StoryEvent):
    image_id: int
    sha256: str
    size: int


@dataclass(frozen=True, kw_only=True)
class StoryImageRemoved(StoryEvent):
    image_id: int


@dataclass(frozen=True, kw_only=True)
class IntroductionCreated(Event):
    introduction_id: int
    introduction: Mapping  # as recorded (workflow.propagation.introductions._data)


@dataclass(frozen=True, kw_only=True)
class IntroductionDeleted(Event):
    introduction_id: int
    introduction: Mapping


@dataclass(frozen=True, kw_only=True)
class ThemesUpdated(Event):
    department_id: int
    year: int
    changes: Mapping
