"""Create the harvest job summary table.

Revision ID: 3f5e0c1d2a44
Revises:
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = "3f5e0c1d2a44"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "tdpf_harvest_job_summary",
        sa.Column("job_id", sa.UnicodeText, primary_key=True),
        sa.Column("listed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("unchanged", sa.Integer, nullable=False, server_default="0"),
        sa.Column("gather_errors", sa.Integer, nullable=False, server_default="0"),
        sa.Column("listing_complete", sa.Boolean, nullable=False, server_default="true"),
        sa.Column("withdrawal_refused", sa.UnicodeText),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade():
    op.drop_table("tdpf_harvest_job_summary")
