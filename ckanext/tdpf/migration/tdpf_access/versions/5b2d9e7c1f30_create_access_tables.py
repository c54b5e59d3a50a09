"""Create the access tables: requests, grants, usage, charges, organization applications.

Revision ID: 5b2d9e7c1f30
Revises:
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = "5b2d9e7c1f30"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "tdpf_access_request",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("package_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("user_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("purpose", sa.UnicodeText, nullable=False),
        sa.Column("purpose_text", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("user_type", sa.UnicodeText, nullable=False),
        sa.Column("pledge_no_other_purpose", sa.Boolean, nullable=False),
        sa.Column("pledge_no_personal_linking", sa.Boolean, nullable=False),
        sa.Column("terms_version", sa.UnicodeText, nullable=False),
        sa.Column("state", sa.UnicodeText, nullable=False, server_default="pending"),
        sa.Column("decided_by", sa.UnicodeText),
        sa.Column("decided_at", TZ),
        sa.Column("reason", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("created", TZ, nullable=False),
    )
    op.create_table(
        "tdpf_access_grant",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("request_id", sa.UnicodeText),
        sa.Column("package_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("user_id", sa.UnicodeText, nullable=False),
        sa.Column("valid_from", TZ, nullable=False),
        sa.Column("valid_until", TZ, nullable=False),
        sa.Column("terms_version", sa.UnicodeText, nullable=False),
        sa.Column("daily_quota", sa.Integer),
        sa.Column("granted_by", sa.UnicodeText, nullable=False),
        sa.Column("revoked_at", TZ),
        sa.Column("revoked_by", sa.UnicodeText),
        sa.Column("revoke_reason", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("created", TZ, nullable=False),
    )
    op.create_index("tdpf_access_grant_user_package_idx", "tdpf_access_grant",
                    ["user_id", "package_id"])
    op.create_table(
        "tdpf_access_usage",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("grant_id", sa.UnicodeText),
        sa.Column("package_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("resource_id", sa.UnicodeText, nullable=False),
        sa.Column("user_id", sa.UnicodeText, nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("bytes", sa.BigInteger),
        sa.Column("channel", sa.UnicodeText, nullable=False),
    )
    op.create_index("tdpf_access_usage_grant_at_idx", "tdpf_access_usage", ["grant_id", "at"])
    op.create_table(
        "tdpf_access_charge",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("grant_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("package_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("user_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("amount_jpy", sa.BigInteger, nullable=False),
        sa.Column("price_unit", sa.UnicodeText),
        sa.Column("exemption", sa.UnicodeText),
        sa.Column("state", sa.UnicodeText, nullable=False, server_default="due"),
        sa.Column("updated_by", sa.UnicodeText),
        sa.Column("updated_at", TZ),
        sa.Column("created", TZ, nullable=False),
    )
    op.create_table(
        "tdpf_access_org_application",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("user_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("name", sa.UnicodeText, nullable=False),
        sa.Column("title", sa.UnicodeText, nullable=False),
        sa.Column("description", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("provider_type", sa.UnicodeText, nullable=False),
        sa.Column("municipality_code", sa.UnicodeText),
        sa.Column("contact_email", sa.UnicodeText, nullable=False),
        sa.Column("state", sa.UnicodeText, nullable=False, server_default="pending"),
        sa.Column("organization_id", sa.UnicodeText),
        sa.Column("decided_by", sa.UnicodeText),
        sa.Column("decided_at", TZ),
        sa.Column("reason", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("created", TZ, nullable=False),
    )


def downgrade():
    for table in ("tdpf_access_org_application", "tdpf_access_charge", "tdpf_access_usage",
                  "tdpf_access_grant", "tdpf_access_request"):
        op.drop_table(table)
