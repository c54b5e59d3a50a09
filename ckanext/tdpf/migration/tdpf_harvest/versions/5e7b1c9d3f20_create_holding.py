"""Create the table of which harvest sources hold which dataset.

Each current harvest object with a dataset becomes its source's holding of that dataset,
shown (until now every dataset had one source), with the dataset's content hash, so that
an unchanged record stays unchanged, and its match keys, computed from the object's
content (the mapped record) as the harvest computes them, so that another source's records
merge with it at once. (A holding whose keys cannot be computed here gets them from its
source's next run.)

Revision ID: 5e7b1c9d3f20
Revises: 8c4d2f6a1b57
Create Date: 2026-12-01
"""
import json

import sqlalchemy as sa
from alembic import op

revision = "5e7b1c9d3f20"
down_revision = "8c4d2f6a1b57"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "tdpf_harvest_holding",
        sa.Column("source_id", sa.UnicodeText, primary_key=True),
        sa.Column("guid", sa.UnicodeText, primary_key=True),
        sa.Column("package_id", sa.UnicodeText, nullable=False),
        sa.Column("object_id", sa.UnicodeText),
        sa.Column("content_hash", sa.UnicodeText),
        sa.Column("url_key", sa.UnicodeText),
        sa.Column("title_key", sa.UnicodeText),
        sa.Column("remote_url", sa.UnicodeText),
        sa.Column("shown", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("source_id", "package_id",
                            name="tdpf_harvest_holding_source_package"),
    )
    for column in ("package_id", "url_key", "title_key"):
        op.create_index(f"ix_tdpf_harvest_holding_{column}", "tdpf_harvest_holding",
                        [column])
    op.execute("""
        INSERT INTO tdpf_harvest_holding (source_id, guid, package_id, object_id,
                                          content_hash, remote_url, shown, created)
        SELECT DISTINCT ON (o.harvest_source_id, o.package_id)
               o.harvest_source_id, o.guid, o.package_id, o.id,
               p.extras ->> 'tdpf_source_hash', p.extras ->> 'tdpf_source_url', true,
               coalesce(o.import_finished, now())
        FROM harvest_object o JOIN package p ON p.id = o.package_id
        WHERE o.current AND o.package_id IS NOT NULL AND o.guid IS NOT NULL
        ORDER BY o.harvest_source_id, o.package_id, o.import_finished DESC NULLS LAST
        ON CONFLICT DO NOTHING
    """)
    from ckanext.tdpf.harvest.mapping import match_keys

    bind = op.get_bind()
    rows = bind.execute(sa.text("""
        SELECT h.source_id, h.guid, o.content FROM tdpf_harvest_holding h
        JOIN harvest_object o ON o.id = h.object_id WHERE o.content IS NOT NULL
    """)).yield_per(500)
    for chunk in rows.partitions():
        keys = []
        for source_id, guid, content in chunk:
            try:
                payload = json.loads(content)
                url_key, title_key = match_keys(payload["dataset"], payload["organization"])
            except (ValueError, KeyError, TypeError, AttributeError):
                continue
            keys.append({"s": source_id, "g": guid, "u": url_key, "t": title_key})
        if keys:
            bind.execute(sa.text("UPDATE tdpf_harvest_holding SET url_key = :u, "
                                 "title_key = :t WHERE source_id = :s AND guid = :g"), keys)


def downgrade():
    op.drop_table("tdpf_harvest_holding")
