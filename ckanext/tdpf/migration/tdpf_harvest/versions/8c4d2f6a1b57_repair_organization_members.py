"""Repair the organization memberships of harvested datasets.

Imports before this revision wrote a dataset's membership of its organization without the
organization's id (the member row's group_id was NULL), so ``member_list`` and the other
readers of memberships did not find harvested datasets. The dataset's ``owner_org`` says
which organization it belongs to; deleted memberships are left as they are.

Revision ID: 8c4d2f6a1b57
Revises: 3f5e0c1d2a44
Create Date: 2026-11-22
"""
from alembic import op

revision = "8c4d2f6a1b57"
down_revision = "3f5e0c1d2a44"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("""
        UPDATE member SET group_id = package.owner_org
        FROM package
        WHERE member.table_id = package.id AND member.table_name = 'package'
          AND member.capacity = 'organization' AND member.state = 'active'
          AND member.group_id IS NULL AND package.owner_org IS NOT NULL
    """)


def downgrade():
    pass  # a repair: nothing to undo
