"""discord front end: the foundation's server, vote reminders, posted messages, checkpoint values

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('discord_posts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(), nullable=False),
    sa.Column('channel_id', sa.String(), nullable=False),
    sa.Column('message_id', sa.String(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('edited_at', sa.DateTime(), nullable=True),
    sa.Column('shown', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    with op.batch_alter_table('foundation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('discord', sa.JSON(), nullable=False, server_default='{}'))

    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminded_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('checkpoints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('value', sa.String(), nullable=False, server_default=''))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('checkpoints', schema=None) as batch_op:
        batch_op.drop_column('value')

    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.drop_column('reminded_at')

    with op.batch_alter_table('foundation', schema=None) as batch_op:
        batch_op.drop_column('discord')

    op.drop_table('discord_posts')
