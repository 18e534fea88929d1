"""Initial schema: crawl runs, articles with captions and versions, captures.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

# UTC instants: timestamptz on PostgreSQL, DATETIME (naive UTC) on SQLite; see archive.models.UtcDateTime.
TIMESTAMP = sa.DateTime(timezone=True)


def warc_columns(prefix: str = "warc_") -> list[sa.Column]:
    return [
        sa.Column(f"{prefix}file", sa.Text(), nullable=True),
        sa.Column(f"{prefix}offset", sa.BigInteger(), nullable=True),
        sa.Column(f"{prefix}length", sa.BigInteger(), nullable=True),
        sa.Column(f"{prefix}record_id", sa.String(length=200), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "crawl_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site", sa.String(length=200), nullable=False),
        sa.Column("arguments", sa.JSON(), nullable=False),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("finished_at", TIMESTAMP, nullable=True),
        sa.Column("stats", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crawl_runs")),
    )
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site", sa.String(length=200), nullable=False),
        sa.Column("canonical_url", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("lead", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("authors", sa.JSON(), nullable=False),
        sa.Column("section", sa.String(length=500), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("main_image", sa.Text(), nullable=True),
        sa.Column("published_at", TIMESTAMP, nullable=True),
        sa.Column("published_offset", sa.Integer(), nullable=True),
        sa.Column("modified_at", TIMESTAMP, nullable=True),
        sa.Column("modified_offset", sa.Integer(), nullable=True),
        sa.Column("fetched_at", TIMESTAMP, nullable=True),
        sa.Column("first_seen", TIMESTAMP, nullable=False),
        sa.Column("last_seen", TIMESTAMP, nullable=False),
        sa.Column("content_hash", sa.String(length=128), nullable=False),
        sa.Column("duplicate_of", sa.Text(), nullable=True),
        sa.Column("duplicate_kind", sa.String(length=16), nullable=True),
        sa.Column("similarity", sa.Float(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("issues", sa.Text(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        *warc_columns(),
        sa.Column("warc_payload_digest", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["crawl_runs.id"], name=op.f("fk_articles_run_id_crawl_runs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_articles")),
        sa.UniqueConstraint("site", "canonical_url", name=op.f("uq_articles_site_canonical_url")),
    )
    op.create_index("ix_articles_content_hash", "articles", ["content_hash"])
    op.create_index("ix_articles_site_published_at", "articles", ["site", "published_at"])
    op.create_index("ix_articles_site_section", "articles", ["site", "section"])
    op.create_table(
        "captions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("credit", sa.Text(), nullable=True),
        sa.Column("image_url", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name=op.f("fk_captions_article_id_articles"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_captions")),
        sa.UniqueConstraint("article_id", "position", name=op.f("uq_captions_article_id_position")),
    )
    op.create_table(
        "article_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("lead", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("captions", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(length=128), nullable=False),
        sa.Column("modified_at", TIMESTAMP, nullable=True),
        sa.Column("fetched_at", TIMESTAMP, nullable=True),
        sa.Column("archived_at", TIMESTAMP, nullable=False),
        *warc_columns(),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_versions_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_versions")),
        sa.UniqueConstraint("article_id", "version", name=op.f("uq_article_versions_article_id_version")),
    )
    op.create_table(
        "captures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("url_key", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("fetched_at", TIMESTAMP, nullable=False),
        sa.Column("record_type", sa.String(length=32), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        *warc_columns(),
        sa.Column("payload_digest", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["crawl_runs.id"], name=op.f("fk_captures_run_id_crawl_runs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_captures")),
    )
    op.create_index("ix_captures_outcome", "captures", ["outcome"])
    op.create_index("ix_captures_payload_digest", "captures", ["payload_digest"])
    op.create_index("ix_captures_run_id", "captures", ["run_id"])
    op.create_index("ix_captures_url_key_fetched_at", "captures", ["url_key", "fetched_at"])


def downgrade() -> None:
    op.drop_table("captures")
    op.drop_table("article_versions")
    op.drop_table("captions")
    op.drop_table("articles")
    op.drop_table("crawl_runs")
