"""Run locks: the crawls holding the lock of a site on this archive (archive/runlock.py).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

# UTC instants: timestamptz on PostgreSQL, DATETIME (naive UTC) on SQLite; see archive.models.UtcDateTime.
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "run_locks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site", sa.String(length=200), nullable=False),
        sa.Column("job", sa.String(length=200), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("acquired_at", TIMESTAMP, nullable=False),
        sa.Column("heartbeat_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_locks")),
        sa.UniqueConstraint("token", name=op.f("uq_run_locks_token")),
    )
    op.create_index(op.f("ix_run_locks_site"), "run_locks", ["site"])


def downgrade() -> None:
    op.drop_index(op.f("ix_run_locks_site"), table_name="run_locks")
    op.drop_table("run_locks")
