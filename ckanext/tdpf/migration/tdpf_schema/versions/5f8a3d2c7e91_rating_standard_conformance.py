"""Resource rating: the 自治体標準オープンデータセット a file is and its conformance (issue #17).

Ratings made before have neither; the rating job derives the stage from their stored header
until the file is scored again (``ckan tdpf-schema rescore --force`` fills both at once).

Revision ID: 5f8a3d2c7e91
Revises: 3c5e8f1a2b47
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "5f8a3d2c7e91"
down_revision = "3c5e8f1a2b47"
branch_labels = None
depends_on = None

TABLE = "tdpf_schema_resource_rating"


def upgrade():
    op.add_column(TABLE, sa.Column("standard", sa.UnicodeText))
    op.add_column(TABLE, sa.Column("conformance", JSONB))


def downgrade():
    for column in ("conformance", "standard"):
        op.drop_column(TABLE, column)
