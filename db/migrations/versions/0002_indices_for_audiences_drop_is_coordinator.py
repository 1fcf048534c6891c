"""indices for audiences and the question log by chat; drop the unused users.is_coordinator; question ids
made by the application

Coordinator rights arrive per partnership with the coordinator tools; one flag per user was too coarse.
Question ids are 63-bit numbers made by the application (db.repositories.new_question_id), so the
question log can be written after the reply.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_role"))
        batch_op.drop_index(batch_op.f("ix_users_partnership"))
        batch_op.create_index("ix_users_partnership_role", ["partnership", "role"], unique=False)
        batch_op.drop_column("is_coordinator")
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_questions_chat_id"), ["chat_id"], unique=False)
        batch_op.alter_column("id", existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.alter_column("id", existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=False)
        batch_op.drop_index(batch_op.f("ix_questions_chat_id"))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("is_coordinator", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.drop_index("ix_users_partnership_role")
        batch_op.create_index(batch_op.f("ix_users_partnership"), ["partnership"], unique=False)
        batch_op.create_index(batch_op.f("ix_users_role"), ["role"], unique=False)
