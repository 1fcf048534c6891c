"""broadcasts: coordinators' messages to (part of) a partnership, delivered through the outbox

The author and the chat that gets the report are emptied when the author is forgotten; the outbox
rows of a broadcast ("broadcast:<id>") cascade with their recipients like every delivery.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership", sa.String(length=64), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=True),
        sa.Column("report_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("roles", sa.String(length=255), nullable=False),
        sa.Column("school_id", sa.String(length=64), nullable=True),
        sa.Column("category", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_broadcasts_author_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["report_chat_id"], ["chats.id"], name=op.f("fk_broadcasts_report_chat_id_chats"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcasts")),
    )
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_broadcasts_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_broadcasts_report_chat_id"), ["report_chat_id"], unique=False)
        batch_op.create_index("ix_broadcasts_partnership_created_at", ["partnership", "created_at"], unique=False)
        batch_op.create_index("ix_broadcasts_status", ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.drop_index("ix_broadcasts_status")
        batch_op.drop_index("ix_broadcasts_partnership_created_at")
        batch_op.drop_index(batch_op.f("ix_broadcasts_report_chat_id"))
        batch_op.drop_index(batch_op.f("ix_broadcasts_author_id"))
    op.drop_table("broadcasts")
