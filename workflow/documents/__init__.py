"""Official documents as .docx: the decision recognising advanced examples (Quyết định), the council's minutes
(Biên bản), a department's proposal to the Minister (Tờ trình) and the certificate of a recognised example (Giấy
chứng nhận, `certificate`), laid out per Nghị định 30/2020/NĐ-CP
(DOCUMENTS.md): A4 portrait, Times New Roman, the two-column header (issuing body | Quốc hiệu, Tiêu ngữ), the centred
type and summary, the body, then "Nơi nhận" and the signer's block. The lists of a proposal and of a decision also
come as .xlsx (`proposal_xlsx`, `decision_xlsx`), every text cell neutralised against formula injection (`_safe_cell`).

Pure: every public function takes a SQLAlchemy session and a model object and returns the bytes of a .docx or .xlsx;
no Flask, no commit. The building blocks `issuer_of`, `_header`, `_title`, `_signer_block`, `_recipients` and
`_closing` are shared by every document so they all look the same.

Secret ballot: the minutes print counts only. Member names appear in the attendance and recusal lists, never next
to a choice, and the ballots themselves are never read here (the counts were stored when the session closed).
"""
# ruff: noqa: F401  (this module re-exports every name of the former single module workflow/documents.py)
from __future__ import annotations

# Every name the former single module had (public and underscore helpers), re-exported unchanged.
import datetime as dt
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt
from docx.table import _Cell
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import (
    AgendaItem,
    Campaign,
    CouncilMember,
    CouncilSession,
    Decision,
    DecisionItem,
    Nomination,
    Proposal,
    PublicComment,
    Unit,
    User,
)
from workflow.council.operations import FUNCTION_LABELS, OUTCOME_LABELS, TZ, recusal_reason, share
from workflow.council.queries import active_members
from workflow.documents.certificate import (
    CERTIFICATE_LEVEL,
    Certificate,
    certificate,
    certificate_docx,
    certificate_level,
)
from workflow.documents.common import (
    _AFTER_PBDR,
    _FORMULA_LEADS,
    _LOCALITY,
    ACHIEVEMENT_CHARS,
    BODY_SIZE,
    FONT,
    HEADER_COLUMNS_CM,
    HEADER_SIZE,
    LAW_BASES,
    LEVEL_WORDS,
    LIST_ACHIEVEMENT_CHARS,
    MOTTO_SIZE,
    MOTTO_WIDTH_CM,
    TEXT_WIDTH_CM,
    Issuer,
    _body,
    _cell,
    _closing,
    _council_issuer,
    _excerpt,
    _header,
    _heading,
    _local_date,
    _new_document,
    _page_break,
    _page_numbers,
    _para,
    _recipients,
    _row_flags,
    _rule,
    _safe_cell,
    _signature_capacity,
    _signer_block,
    _table,
    _title,
    _to_bytes,
    issuer_of,
    vn_count,
    vn_date,
    vn_day,
    vn_int,
    vn_month,
    vn_percent,
    vn_short_date,
    vn_time,
)
from workflow.documents.decision import (
    _annex,
    _articles,
    _by_department,
    _campaigns,
    _department_of,
    _judging_sessions,
    _legal_bases,
    _period,
    _position_and_unit,
    _subjects_phrase,
    _summary,
    decision_docx,
)
from workflow.documents.minutes import (
    _composition,
    _conclusion,
    _item_subject,
    _Member,
    _member_line,
    _name,
    _outcome,
    _presiding,
    _publicity,
    _quorum,
    _quota,
    _results,
    _results_table,
    _roster,
    _time_place,
    minutes_docx,
    minutes_number_text,
)
from workflow.documents.proposal import (
    BLANK_DATE,
    DRAFT_MARK,
    PROPOSAL_RECIPIENTS,
    _co_so_decisions,
    _decision_ref,
    _proposal_annex,
    _proposal_bases,
    _proposal_parts,
    _subject_order,
    proposal_docx,
)
from workflow.documents.spreadsheets import (
    _list_rows,
    _list_xlsx,
    decision_xlsx,
    proposal_xlsx,
)
from workflow.labels import SUBJECT_TYPE_LABELS
from workflow.proposals.decisions import nominations_of, symbol
