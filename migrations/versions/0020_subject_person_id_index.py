"""nominations (subject_person_id, id) in place of (subject_person_id): "the dossiers of which I am the subject" in
the order the lists read them

Revision ID: 0020_subject_person_id_index
Revises: 0019_list_indexes_deep
Create Date: 2026-11-30 04:30:00

Every reader's list holds, beside its department's or unit's rows, the nominations of which the reader is the subject
(the SUBJECT grant of ("nomination", "view")), and the list reads each grant along its own index, newest first
(`workflow/nominations/queries.py: _page_statement`). With (subject_person_id) alone that term was a bitmap scan and a
sort, and, planned once for any value, a backward walk of the primary key filtering every row (12,279 rows for none
found at demo size). With the id in the index the term is an index range read backwards in either plan. The new index
serves every query the old one did (its first column), so the old one is dropped.
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0020_subject_person_id_index'
down_revision: str | Sequence[str] | None = '0019_list_indexes_deep'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = 'ix_nominations_subject_person_id'
NEW = 'ix_nominations_subject_person_id_id'


def upgrade() -> None:
    op.create_index(NEW, 'nominations', ['subject_person_id', 'id'], unique=False)
    op.drop_index(OLD, table_name='nominations')


def downgrade() -> None:
    op.create_index(OLD, 'nominations', ['subject_person_id'], unique=False)
    op.drop_index(NEW, table_name='nominations')
