"""Near-duplicate Simhash with its LSH bands, article URL aliases, ETag/Last-Modified of captures.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

BANDS = [f"simhash_band{i}" for i in range(4)]


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("simhash", sa.BigInteger(), nullable=True))
        for band in BANDS:
            batch.add_column(sa.Column(band, sa.Integer(), nullable=True))
            batch.create_index(f"ix_articles_{band}", [band])
    with op.batch_alter_table("captures") as batch:
        batch.add_column(sa.Column("etag", sa.Text(), nullable=True))
        batch.add_column(sa.Column("last_modified", sa.String(length=100), nullable=True))
    op.create_table(
        "article_urls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site", sa.String(length=200), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name=op.f("fk_article_urls_article_id_articles"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_urls")),
        sa.UniqueConstraint("site", "url", name=op.f("uq_article_urls_site_url")),
    )
    op.create_index("ix_article_urls_article_id", "article_urls", ["article_id"])
    # Every archived article is reachable under its canonical URL.
    op.execute("INSERT INTO article_urls (site, url, article_id) SELECT site, canonical_url, id FROM articles")


def downgrade() -> None:
    op.drop_table("article_urls")
    with op.batch_alter_table("captures") as batch:
        batch.drop_column("last_modified")
        batch.drop_column("etag")
    with op.batch_alter_table("articles") as batch:
        for band in BANDS:
            batch.drop_index(f"ix_articles_{band}")
            batch.drop_column(band)
        batch.drop_column("simhash")
