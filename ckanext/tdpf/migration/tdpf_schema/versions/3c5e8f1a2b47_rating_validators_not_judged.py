"""Resource rating: the rules not judged, when the file was last scored, and the server's
validators for conditional requests (issue #15).

Revision ID: 3c5e8f1a2b47
Revises: 7a1c2e4b9d10
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "3c5e8f1a2b47"
down_revision = "7a1c2e4b9d10"
branch_labels = None
depends_on = None

TABLE = "tdpf_schema_resource_rating"


def upgrade():
    op.add_column(TABLE, sa.Column("not_judged", JSONB, nullable=False, server_default="[]"))
    op.add_column(TABLE, sa.Column("scored_at", sa.DateTime(timezone=True)))
    op.add_column(TABLE, sa.Column("etag", sa.UnicodeText))
    op.add_column(TABLE, sa.Column("http_last_modified", sa.UnicodeText))
    op.execute(f"UPDATE {TABLE} SET scored_at = checked_at")


def downgrade():
    for column in ("http_last_modified", "etag", "scored_at", "not_judged"):
        op.drop_column(TABLE, column)
