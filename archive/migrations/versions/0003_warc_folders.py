"""The WARC folders of an archive: where crawls wrote and imports read the files its rows point into.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

TIMESTAMP = sa.DateTime(timezone=True)  # as in 0001: timestamptz on PostgreSQL, naive UTC on SQLite


def upgrade() -> None:
    op.create_table(
        "warc_folders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("first_used_at", TIMESTAMP, nullable=False),
        sa.Column("last_used_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warc_folders")),
        sa.UniqueConstraint("host", "path", name=op.f("uq_warc_folders_host_path")),
    )


def downgrade() -> None:
    op.drop_table("warc_folders")
