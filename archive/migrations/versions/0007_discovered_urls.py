"""Discovered URLs: what each discovery document of a site led to, so that a later run fetches what is still owed.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None

# UTC instants: timestamptz on PostgreSQL, DATETIME (naive UTC) on SQLite; see archive.models.UtcDateTime.
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "discovered",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site", sa.String(length=200), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("url_key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_key", sa.String(length=64), nullable=False),
        sa.Column("first_listed_at", TIMESTAMP, nullable=False),
        sa.Column("last_listed_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discovered")),
        sa.UniqueConstraint("site", "url_key", name=op.f("uq_discovered_site_url_key")),
    )
    op.create_index("ix_discovered_site_source_key", "discovered", ["site", "source_key"])


def downgrade() -> None:
    op.drop_index("ix_discovered_site_source_key", table_name="discovered")
    op.drop_table("discovered")
