"""How precise each article date is (day, minute, second) and whether its offset was declared or assumed.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

COLUMNS = ("published_precision", "published_zone", "modified_precision", "modified_zone")


def upgrade() -> None:
    # Articles archived before stay NULL: their precision was never recorded, and guessing it would be invented.
    with op.batch_alter_table("articles") as batch:
        for column in COLUMNS:
            batch.add_column(sa.Column(column, sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        for column in reversed(COLUMNS):
            batch.drop_column(column)
