"""Create the resource rating table (data rate, SPEC §2).

Revision ID: 7a1c2e4b9d10
Revises:
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "7a1c2e4b9d10"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "tdpf_schema_resource_rating",
        sa.Column("resource_id", sa.UnicodeText, primary_key=True),
        sa.Column("package_id", sa.UnicodeText, nullable=False),
        sa.Column("stage", sa.Integer),
        sa.Column("content_stage", sa.Integer),
        sa.Column("l1", sa.Integer),
        sa.Column("l2", sa.Integer),
        sa.Column("l3", sa.Integer),
        sa.Column("findings", JSONB, nullable=False, server_default="[]"),
        sa.Column("columns", JSONB, nullable=False, server_default="[]"),
        sa.Column("detected_format", sa.UnicodeText),
        sa.Column("encoding", sa.UnicodeText),
        sa.Column("error", sa.UnicodeText),
        sa.Column("size", sa.BigInteger),
        sa.Column("sha256", sa.UnicodeText),
        sa.Column("fingerprint", sa.UnicodeText),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("tdpf_schema_resource_rating_package_id_idx",
                    "tdpf_schema_resource_rating", ["package_id"])


def downgrade():
    op.drop_index("tdpf_schema_resource_rating_package_id_idx",
                  table_name="tdpf_schema_resource_rating")
    op.drop_table("tdpf_schema_resource_rating")
