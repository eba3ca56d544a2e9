"""A nomination (hồ sơ điển hình) and what hangs off it: criteria answers, check-ins, attachments, history."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.campaigns import Campaign
from models.org import Person, Unit

STATES = (
    "registered", "nurtured", "submitted", "evaluated_co_so", "proposed_nganh",
    "recognized", "not_recognized", "withdrawn", "revoked",
)
# A nomination in one of these no longer blocks a new one for the same subject in the campaign.
DEAD_STATES = ("not_recognized", "withdrawn", "revoked")
_DEAD_SQL = "state NOT IN ('not_recognized', 'withdrawn', 'revoked')"
SEARCH_INDEX = "ix_nominations_search_text_trgm"
# workflow.nominations.machine.RECOGNISED_STATES, which the showcase lists (models import nothing of workflow).
_EXAMPLES_SQL = "state IN ('evaluated_co_so', 'proposed_nganh', 'recognized')"
# The steps the proposals' read model shows beside each nomination of a proposal: the cơ sở recognition (a ngành rule)
# and the Ministry's answer (workflow.proposals.operations reads them through the index below).
PROPOSAL_STEPS = ("recognize_co_so", "propose_nganh", "recognize_nganh", "reject_nganh", "revoke")
_PROPOSAL_STEPS_SQL = "action IN ({})".format(", ".join(f"'{a}'" for a in PROPOSAL_STEPS))
# What the reports group the nominations of a set of states by, held in ix_nominations_state_id after its keys.
STATE_INDEX_COVERS = ("unit_id", "furthest_stage", "subject_type", "campaign_id")


def trigram_search_possible(ddl, target, bind, **kw) -> bool:
    """Whether the search index can be built here. On PostgreSQL it is a `pg_trgm` GIN index (`q=` matches anywhere
    in the folded text: a btree cannot serve `LIKE '%word%'`, the trigrams can): the extension is created if missing,
    and where it cannot be (not installed, no privilege) the index is left out — `q=` then scans, with the same
    results. Elsewhere (SQLite) a plain index of the column, which keeps the schema the migrations build."""
    dialect = bind.dialect if bind is not None else kw.get("dialect")
    if dialect is None or dialect.name != "postgresql" or not hasattr(bind, "exec_driver_sql"):
        return True  # not PostgreSQL, or DDL rendered as text (no connection to ask): the index as declared
    if bind.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'").scalar() is not None:
        return True
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception:  # noqa: BLE001 - any refusal means "no trigram index", never a failed schema
        return False
    return True


class Nomination(Base):
    __tablename__ = "nominations"
    __table_args__ = (
        CheckConstraint(f"state IN {STATES}", name="state"),
        CheckConstraint("subject_type IN ('collective', 'individual')", name="subject_type"),
        CheckConstraint(
            "(subject_type = 'individual' AND subject_person_id IS NOT NULL)"
            " OR (subject_type = 'collective' AND subject_person_id IS NULL)",
            name="subject",
        ),
        CheckConstraint("version >= 1", name="version"),
        # One live nomination per subject per campaign, enforced by the database itself.
        Index(
            "uq_nominations_live_subject", "campaign_id", "subject_key", unique=True,
            sqlite_where=text(_DEAD_SQL), postgresql_where=text(_DEAD_SQL),
        ),
        # With the campaign in its leaves (PostgreSQL's INCLUDE, migration 0022): the home page's cards count a
        # department's nominations in their states with their campaign's deadline from the index alone.
        Index("ix_nominations_dept_state", "department_id", "state", "id", postgresql_include=["campaign_id"]),
        Index("ix_nominations_unit_state", "unit_id", "state", "id"),
        Index("ix_nominations_campaign_state", "campaign_id", "state"),
        # The lists run `ORDER BY id DESC LIMIT n` inside a scope or a filter: each of these serves that order
        # directly (an index scan that stops after n rows, not a sort of the department's or the unit's rows).
        Index("ix_nominations_department_id_id", "department_id", "id"),
        Index("ix_nominations_unit_id_id", "unit_id", "id"),
        Index("ix_nominations_campaign_id_id", "campaign_id", "id"),
        # "The dossiers of which I am the subject", a term of every reader's list (migration 0020).
        Index("ix_nominations_subject_person_id_id", "subject_person_id", "id"),
        # With the columns the reports group by after its keys (migrations 0019, 0029): the Ministry's scope is a set
        # of states, and its summary reads the index alone instead of ~4,000 pages of the table at 100k. They are key
        # columns, not PostgreSQL's INCLUDE, so that SQLite (which has no INCLUDE) covers the same reads; `id` is
        # unique, so they change neither the index's order nor, on PostgreSQL, its inner pages (suffix truncation).
        Index("ix_nominations_state_id", "state", "id", *STATE_INDEX_COVERS),
        # `q=`: the accent-folded search text, matched anywhere (see trigram_search_possible).
        Index(SEARCH_INDEX, "search_text", postgresql_using="gin",
              postgresql_ops={"search_text": "gin_trgm_ops"}).ddl_if(callable_=trigram_search_possible),
        # The showcase lists the recognised examples newest first (migration 0014): only those rows (0019), so its
        # walk chooses a page without reading each row's state from the table.
        Index("ix_nominations_updated", "updated_at", "id",
              sqlite_where=text(_EXAMPLES_SQL), postgresql_where=text(_EXAMPLES_SQL)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    # The nominating unit: the collective itself, or the unit of the individual.
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    subject_key: Mapped[str] = mapped_column(String(40))  # "u:<unit id>" or "p:<person id>"
    title: Mapped[str] = mapped_column(String(500))
    achievements: Mapped[str] = mapped_column(Text, default="")
    initiatives: Mapped[str] = mapped_column(Text, default="")
    nurture_plan: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(30), default="registered")
    version: Mapped[int] = mapped_column(default=1)
    # The furthest stage of the main road its history reached (1 = registered … 6 = recognized, as ranked by
    # workflow.nominations.machine.stage_rank), raised by each step in the step's own UPDATE and never lowered by a
    # return, a withdrawal or a rejection: the reports' funnel counts it instead of reading every state change.
    furthest_stage: Mapped[int] = mapped_column(SmallInteger, default=1, server_default="1")
    search_text: Mapped[str] = mapped_column(String(1000), default="")
    # The secretariat's "Tiếp nhận hồ sơ" of the submitted dossier (workflow.nominations.service.accept_nomination):
    # when and by whom; cleared by a return for revision, so a resubmitted dossier is accepted again (migration 0018).
    accepted_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    campaign: Mapped[Campaign] = relationship()
    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
    subject_person: Mapped[Person | None] = relationship()
    criteria: Mapped[list[CriterionAnswer]] = relationship(
        cascade="all, delete-orphan", order_by="CriterionAnswer.code", back_populates="nomination"
    )
    checkins: Mapped[list[Checkin]] = relationship(cascade="all, delete-orphan", order_by="Checkin.date")
    attachments: Mapped[list[Attachment]] = relationship(order_by="Attachment.id")
    history: Mapped[list[StateChange]] = relationship(order_by="StateChange.version")

    # SQLAlchemy adds "AND version = :old" to every UPDATE: a lost update becomes StaleDataError.
    __mapper_args__ = {"version_id_col": version}

    @property
    def subject_name(self) -> str:
        """What `subject_name_of` says, of the objects: each parent read only when it is the answer (no load of a
        unit's name for an individual)."""
        if self.subject_type == "individual" and self.subject_person is not None:
            return self.subject_person.full_name
        return self.unit.name if self.unit is not None else ""


def subject_name_of(subject_type: str, person_name: str | None, unit_name: str | None) -> str:
    """Whom a nomination is about, by name: the person's for an individual, else the unit's. `Nomination.subject_name`
    says it of the objects; the read models that take the two names as plain columns (a page of proposals' items, of
    decisions) say it with this."""
    if subject_type == "individual" and person_name is not None:
        return person_name
    return unit_name if unit_name is not None else ""


class CriterionAnswer(Base):
    __tablename__ = "criterion_answers"

    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    met: Mapped[bool | None]
    evidence: Mapped[str] = mapped_column(Text, default="")

    nomination: Mapped[Nomination] = relationship(back_populates="criteria")


class Checkin(Base):
    """A nurture check-in (theo dõi, kiểm tra, đánh giá trong quá trình bồi dưỡng)."""

    __tablename__ = "checkins"

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id", ondelete="CASCADE"), index=True)
    date: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


ATTACHMENT_KINDS = ("achievement_report", "evidence", "nurture_plan", "other")


class Attachment(Base):
    __tablename__ = "attachments"
    __table_args__ = (CheckConstraint(f"kind IN {ATTACHMENT_KINDS}", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    # Internal: not part of the dossier's public part, which the department's staff read while the list is public
    # for comments (workflow.policy, "nomination" "view" in the LISTED scope); only whole-dossier readers see it.
    internal: Mapped[bool] = mapped_column(default=False, server_default=false())
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class StateChange(Base):
    """One row per step of a nomination. (nomination_id, version) is unique: a step can never be doubled."""

    __tablename__ = "state_changes"
    __table_args__ = (
        UniqueConstraint("nomination_id", "version"),
        # The period reports read the states "as they were on" a review date.
        Index("ix_state_changes_nomination_created", "nomination_id", "created_at"),
        # A page of proposals reads these steps of its ~600 nominations (the Ministry's): only those rows (~15% of the
        # history), so PostgreSQL probes each nomination's few instead of scanning the whole history (migration 0027).
        Index("ix_state_changes_proposal_steps", "nomination_id", "version",
              sqlite_where=text(_PROPOSAL_STEPS_SQL), postgresql_where=text(_PROPOSAL_STEPS_SQL)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id"))
    version: Mapped[int]  # the nomination's version after the step
    action: Mapped[str] = mapped_column(String(30))
    from_state: Mapped[str | None] = mapped_column(String(30))
    to_state: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    comment: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    actor = relationship("User", foreign_keys=[actor_id])
    on_behalf_of = relationship("User", foreign_keys=[on_behalf_of_id])
