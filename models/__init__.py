"""Tables, relationships, constraints and indexes. Knows nothing of Flask or of the workflow."""
from models.accounts import ROLES, ApiToken, Delegation, EmailOptOut, User, UserRole, UserSession
from models.audit import AuditChainHead, AuditCheckpoint, AuditCount, AuditEvent, AuditVerification
from models.base import Base, fold, make_engine, make_session_factory, utcnow
from models.calendar import CalendarDay
from models.campaigns import CAMPAIGN_KINDS, SUBJECT_TYPES, Campaign
from models.council import (
    BALLOT_CHOICES,
    ITEM_OUTCOMES,
    MEMBER_FUNCTIONS,
    SESSION_STATES,
    AgendaItem,
    AnonymousBallot,
    Attendance,
    BallotReceipt,
    BallotSlot,
    Council,
    CouncilMember,
    CouncilSession,
    PublicComment,
)
from models.decisions import DECISION_LEVELS, Decision, DecisionItem
from models.files import StoredFile, StoredFileChunk
from models.nominations import (
    ATTACHMENT_KINDS,
    DEAD_STATES,
    STATES,
    Attachment,
    Checkin,
    CriterionAnswer,
    Nomination,
    StateChange,
)
from models.notifications import Notification, OutboxMessage
from models.org import (
    AWARD_LEVELS,
    DISCIPLINE_FORMS,
    EMPLOYMENT_TYPES,
    UNIT_CHANGE_KINDS,
    UNIT_KINDS,
    AwardRecord,
    DisciplineRecord,
    Person,
    Unit,
    UnitChange,
    UnitName,
    UnitSuccessor,
)
from models.propagation import (
    STORY_CHANNELS,
    STORY_STATES,
    MonthlyIntroduction,
    PropagandaTheme,
    Story,
    StoryImage,
    StoryRevision,
)
from models.proposals import PROPOSAL_STATES, Proposal, ProposalItem
from models.reminders import ReminderLog
from models.stamps import DataStamp

__all__ = [
    "EmailOptOut", "AuditVerification", "AuditChainHead", "AuditCount", "AuditCheckpoint", "CalendarDay",
    "STORY_CHANNELS", "STORY_STATES", "MonthlyIntroduction", "PropagandaTheme", "Story", "StoryImage",
    "StoryRevision",
    "ReminderLog", "UserSession", "DataStamp",
    "StoredFile", "StoredFileChunk",
    "PROPOSAL_STATES", "Proposal", "ProposalItem",
    "BALLOT_CHOICES", "ITEM_OUTCOMES", "MEMBER_FUNCTIONS", "SESSION_STATES", "AgendaItem", "AnonymousBallot",
    "Attendance", "BallotReceipt", "BallotSlot",
    "Council", "CouncilMember", "CouncilSession", "PublicComment", "DECISION_LEVELS", "Decision", "DecisionItem",
    "ATTACHMENT_KINDS", "AWARD_LEVELS", "CAMPAIGN_KINDS", "DEAD_STATES", "DISCIPLINE_FORMS", "EMPLOYMENT_TYPES",
    "ROLES", "STATES", "SUBJECT_TYPES", "UNIT_KINDS", "ApiToken", "Attachment", "AuditEvent", "AwardRecord", "Base",
    "Campaign", "Checkin", "CriterionAnswer", "Delegation", "DisciplineRecord", "Nomination", "Notification",
    "OutboxMessage", "Person", "StateChange", "Unit", "User", "UserRole", "fold", "make_engine",
    "make_session_factory", "utcnow", "UNIT_CHANGE_KINDS", "UnitChange", "UnitName", "UnitSuccessor",
]
