"""Create the table of merged datasets (one standard dataset across municipalities).

Revision ID: 9d3b6a2e4c81
Revises:
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "9d3b6a2e4c81"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "tdpf_prep_merge",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("package_id", sa.UnicodeText, nullable=False, unique=True),
        sa.Column("standard", sa.UnicodeText, nullable=False),
        sa.Column("resource_ids", JSONB, nullable=False, server_default="[]"),
        sa.Column("organizations", JSONB, nullable=False, server_default="[]"),
        sa.Column("user_id", sa.UnicodeText, nullable=False),
        sa.Column("merged_resource_id", sa.UnicodeText),
        sa.Column("trace_resource_id", sa.UnicodeText),
        sa.Column("state", sa.UnicodeText, nullable=False, server_default="pending"),
        sa.Column("sources", JSONB, nullable=False, server_default="[]"),
        sa.Column("errors", JSONB, nullable=False, server_default="[]"),
        sa.Column("row_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("digest", sa.UnicodeText),
        sa.Column("conformance", JSONB),
        sa.Column("last_merged", sa.DateTime(timezone=True)),
        sa.Column("last_attempt", sa.DateTime(timezone=True)),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("tdpf_prep_merge_standard_idx", "tdpf_prep_merge", ["standard"])


def downgrade():
    op.drop_index("tdpf_prep_merge_standard_idx", table_name="tdpf_prep_merge")
    op.drop_table("tdpf_prep_merge")
