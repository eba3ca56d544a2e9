"""stories keep their revisions: an edit of a published story waits as a new revision until it is published

Revision ID: 0018_story_revisions
Revises: 0017_minutes_numbers
Create Date: 2026-11-29 20:30:00

Issue 14, finding 11: fixing a typo in a published story meant taking it down. Every save of a story is now a
numbered row of `story_revisions`; `stories.revision` is the revision the story's own columns hold (the public one
while published), `stories.pending_revision` an edit of the published story not yet published, `stories.revised_at`
when a later revision was last made public. Each story written before this revision becomes its revision 1 (saved by
its author when it was last updated, published when the story was, if it is published).
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018_story_revisions'
down_revision: str | Sequence[str] | None = '0017_minutes_numbers'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'story_revisions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('story_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('summary', sa.Text(), nullable=False),
        sa.Column('body_html', sa.Text(), nullable=False),
        sa.Column('channel', sa.String(length=20), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('published_at', sa.DateTime(), nullable=True),
        sa.Column('published_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint("channel IN ('portal', 'bulletin', 'social')", name=op.f('ck_story_revisions_channel')),
        sa.CheckConstraint('number >= 1', name=op.f('ck_story_revisions_number')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_story_revisions_created_by_id_users')),
        sa.ForeignKeyConstraint(['published_by_id'], ['users.id'],
                                name=op.f('fk_story_revisions_published_by_id_users')),
        sa.ForeignKeyConstraint(['story_id'], ['stories.id'], name=op.f('fk_story_revisions_story_id_stories'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_story_revisions')),
        sa.UniqueConstraint('story_id', 'number', name=op.f('uq_story_revisions_story_id_number')),
    )
    with op.batch_alter_table('stories') as batch:
        batch.add_column(sa.Column('revision', sa.Integer(), server_default='1', nullable=False))
        batch.add_column(sa.Column('pending_revision', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('revised_at', sa.DateTime(), nullable=True))
    op.execute(
        "INSERT INTO story_revisions (story_id, number, title, summary, body_html, channel, created_by_id, "
        "created_at, published_at, published_by_id) "
        "SELECT id, 1, title, summary, body_html, channel, author_id, updated_at, "
        "CASE WHEN state = 'published' THEN published_at END, "
        "CASE WHEN state = 'published' THEN published_by_id END FROM stories")


def downgrade() -> None:
    with op.batch_alter_table('stories') as batch:
        batch.drop_column('revised_at')
        batch.drop_column('pending_revision')
        batch.drop_column('revision')
    op.drop_table('story_revisions')
