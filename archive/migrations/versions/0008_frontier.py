"""The frontier: the date a discovery document gave each listed URL, and an index to read a site's listed article
URLs in listing order (`ArchiveStore.due_articles`).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None

# UTC instants: timestamptz on PostgreSQL, DATETIME (naive UTC) on SQLite; see archive.models.UtcDateTime.
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("discovered") as table:
        table.add_column(sa.Column("listed_date", TIMESTAMP, nullable=True))
    op.create_index("ix_discovered_frontier", "discovered", ["site", "kind", "last_listed_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_discovered_frontier", table_name="discovered")
    with op.batch_alter_table("discovered") as table:
        table.drop_column("listed_date")
