"""An index on each submission's campaign, supplier and family, the group supersession is
decided in, so that deciding it does not read the whole campaign for every new file.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_submissions_group", "submissions",
                    ["campaign_id", "supplier_key", "kind"])


def downgrade() -> None:
    op.drop_index("ix_submissions_group", table_name="submissions")
