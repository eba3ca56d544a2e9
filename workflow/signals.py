"""One signal per event the workflow emits, each carrying one payload: the event's frozen dataclass
(workflow.events). Only `workflow` emits (`emit`); receivers live in `notifications` and subscribe to the signals
they need (the table in notifications/__init__.py).

Every signal is sent with `sender=session` (the SQLAlchemy session of the unit of work) and `event=<payload>`, so
receivers write their rows in the same transaction as the change.
"""
from __future__ import annotations

import re

from blinker import Namespace, Signal

from workflow import events as ev

_signals = Namespace()
PAYLOADS: dict[Signal, type[ev.Event]] = {}
_BY_EVENT: dict[type[ev.Event], Signal] = {}


def _signal(payload: type[ev.Event]) -> Signal:
    name = re.sub(r"(?<!^)(?=[A-Z])", "-", payload.__name__).lower()
    signal = _signals.signal(name, doc=f"event: workflow.events.{payload.__name__}")
    PAYLOADS[signal] = payload
    _BY_EVENT[payload] = signal
    return signal


def emit(session, event: ev.Event) -> None:
    """Sends `event` on its own signal, in the caller's transaction."""
    _BY_EVENT[type(event)].send(session, event=event)


# nominations
nominations_locked = _signal(ev.NominationsLocked)
nomination_created = _signal(ev.NominationCreated)
nomination_updated = _signal(ev.NominationUpdated)
nomination_transitioned = _signal(ev.NominationTransitioned)
nominations_transitioned = _signal(ev.NominationsTransitioned)
nomination_accepted = _signal(ev.NominationAccepted)
example_recognised = _signal(ev.ExampleRecognised)
checkin_added = _signal(ev.CheckinAdded)
attachment_added = _signal(ev.AttachmentAdded)
action_refused = _signal(ev.ActionRefused)
# accounts
login_succeeded = _signal(ev.LoginSucceeded)
login_failed = _signal(ev.LoginFailed)
account_created_from_cli = _signal(ev.AccountCreatedFromCli)
token_issued = _signal(ev.TokenIssued)
token_revoked = _signal(ev.TokenRevoked)
tokens_revoked_all = _signal(ev.TokensRevokedAll)
password_changed = _signal(ev.PasswordChanged)
email_preferences_changed = _signal(ev.EmailPreferencesChanged)
# administration
unit_created = _signal(ev.UnitCreated)
unit_updated = _signal(ev.UnitUpdated)
unit_reorganised = _signal(ev.UnitReorganised)
person_created = _signal(ev.PersonCreated)
person_updated = _signal(ev.PersonUpdated)
discipline_recorded = _signal(ev.DisciplineRecorded)
award_recorded = _signal(ev.AwardRecorded)
user_created = _signal(ev.UserCreated)
user_updated = _signal(ev.UserUpdated)
user_password_reset = _signal(ev.UserPasswordReset)
delegation_granted = _signal(ev.DelegationGranted)
delegation_ended = _signal(ev.DelegationEnded)
campaign_created = _signal(ev.CampaignCreated)
campaign_updated = _signal(ev.CampaignUpdated)
calendar_day_created = _signal(ev.CalendarDayCreated)
calendar_day_updated = _signal(ev.CalendarDayUpdated)
calendar_day_deleted = _signal(ev.CalendarDayDeleted)
records_imported = _signal(ev.RecordsImported)
council_updated = _signal(ev.CouncilUpdated)
council_member_set = _signal(ev.CouncilMemberSet)
# council sessions and decisions
session_scheduled = _signal(ev.SessionScheduled)
session_rescheduled = _signal(ev.SessionRescheduled)
session_cancelled = _signal(ev.SessionCancelled)
agenda_set = _signal(ev.AgendaSet)
list_published = _signal(ev.ListPublished)
attendance_recorded = _signal(ev.AttendanceRecorded)
session_opened = _signal(ev.SessionOpened)
session_closed = _signal(ev.SessionClosed)
tie_resolved = _signal(ev.TieResolved)
comment_added = _signal(ev.CommentAdded)
vote_cast = _signal(ev.VoteCast)
decision_issued = _signal(ev.DecisionIssued)
# proposals
proposal_created = _signal(ev.ProposalCreated)
proposal_items_set = _signal(ev.ProposalItemsSet)
proposal_submitted = _signal(ev.ProposalSubmitted)
# propagation
story_created = _signal(ev.StoryCreated)
story_updated = _signal(ev.StoryUpdated)
story_revised = _signal(ev.StoryRevised)
story_revision_published = _signal(ev.StoryRevisionPublished)
story_revision_discarded = _signal(ev.StoryRevisionDiscarded)
story_published = _signal(ev.StoryPublished)
story_unpublished = _signal(ev.StoryUnpublished)
story_image_added = _signal(ev.StoryImageAdded)
story_image_removed = _signal(ev.StoryImageRemoved)
introduction_created = _signal(ev.IntroductionCreated)
introduction_deleted = _signal(ev.IntroductionDeleted)
themes_updated = _signal(ev.ThemesUpdated)
