"""nominations.furthest_stage: the furthest stage of the main road each nomination reached, for the reports' funnel

Revision ID: 0015_furthest_stage
Revises: 0014_list_indexes
Create Date: 2026-11-29 17:30:00

The funnel (registered → nurtured → submitted → evaluated_co_so → proposed_nganh → recognized) counts, per stage, the
nominations whose history (or current state) went at least that far. It read every state change of the visible
nominations for each report (bench/lists.py at 100k: the Ministry's /reports 177 ms median, a secretariat's 61 ms);
each step now raises the stored stage in its own UPDATE (workflow/nominations/service.py), and this revision fills it
for the rows already there from the same history: the highest rank over the nomination's state changes and its state
(1 = registered … 6 = recognized, any state off the main road 1, as workflow.nominations.machine.stage_rank ranks).
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015_furthest_stage'
down_revision: str | Sequence[str] | None = '0014_list_indexes'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy of machine.MAIN_ROAD at this revision (a migration must not change when the code does).
MAIN_ROAD = ("registered", "nurtured", "submitted", "evaluated_co_so", "proposed_nganh", "recognized")


def _rank(column: str) -> str:
    whens = " ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(MAIN_ROAD, start=1))
    return f"CASE {column} {whens} ELSE 1 END"


def upgrade() -> None:
    with op.batch_alter_table('nominations') as batch:
        batch.add_column(sa.Column('furthest_stage', sa.SmallInteger(), nullable=False, server_default='1'))
    op.execute(
        "UPDATE nominations SET furthest_stage = ("
        f" SELECT max(r) FROM (SELECT {_rank('sc.to_state')} AS r FROM state_changes sc"
        "  WHERE sc.nomination_id = nominations.id"
        f"  UNION ALL SELECT {_rank('nominations.state')}) AS ranks)"
    )


def downgrade() -> None:
    with op.batch_alter_table('nominations') as batch:
        batch.drop_column('furthest_stage')
