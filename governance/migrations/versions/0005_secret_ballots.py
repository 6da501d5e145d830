"""secret ballots: commitments' nonces, receipts kept in the ballot history, secret rankings

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('nonce', sa.String(), nullable=True))

    with op.batch_alter_table('ballot_history', schema=None) as batch_op:
        batch_op.add_column(sa.Column('receipt', sa.String(), nullable=True))
        batch_op.add_column(sa.Column('nonce', sa.String(), nullable=True))

    with op.batch_alter_table('ranked_ballots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('receipt', sa.String(), nullable=True))
        batch_op.add_column(sa.Column('nonce', sa.String(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('ranked_ballots', schema=None) as batch_op:
        batch_op.drop_column('nonce')
        batch_op.drop_column('receipt')

    with op.batch_alter_table('ballot_history', schema=None) as batch_op:
        batch_op.drop_column('nonce')
        batch_op.drop_column('receipt')

    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.drop_column('nonce')
