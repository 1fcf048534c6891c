"""leases: outbox and inbox rows are owned by one instance for a while, with a fencing attempt

A claimed delivery carries its ``owner`` and ``lease_until``; ``attempts`` (already there) is the
fencing token, so an outcome is written only while the row is still that claim's. Deliveries that
the user blocked get a status of their own (``blocked``) instead of a text in ``last_error``.
Inbox rows get an owner and a lease, so a starting instance does not replay the updates of one that
is still alive. ``leases`` names which instance holds a role ("polling": the newest poller).

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
    # A row claimed by a version without leases: its lease runs out when its claim would have.
    op.execute("UPDATE deliveries SET lease_until = claimed_at WHERE status = 'sending'")
    op.execute("UPDATE deliveries SET status = 'blocked' WHERE status = 'skipped' AND last_error LIKE 'geblokkeerd%'")
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leases")),
    )


def downgrade() -> None:
    op.drop_table("leases")
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_column("lease_until")
        batch_op.drop_column("owner")
    op.execute("UPDATE deliveries SET status = 'skipped' WHERE status = 'blocked'")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("lease_until")
        batch_op.drop_column("owner")
