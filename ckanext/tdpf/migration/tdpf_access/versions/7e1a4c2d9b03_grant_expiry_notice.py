"""Grants remember when their holder was told they end soon.

Revision ID: 7e1a4c2d9b03
Revises: 5b2d9e7c1f30
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "7e1a4c2d9b03"
down_revision = "5b2d9e7c1f30"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("tdpf_access_grant",
                  sa.Column("expiry_notice_sent_at", sa.DateTime(timezone=True)))


def downgrade():
    op.drop_column("tdpf_access_grant", "expiry_notice_sent_at")
