"""The first schema: machines, recordings, diagnoses, spectra.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from rotordx.service.db import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "machines",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("bearing", sa.String(100), nullable=True),
        sa.Column("rpm", sa.Float(), nullable=True),
        sa.Column("channels", sa.JSON(), nullable=True),
        sa.Column("directions", sa.JSON(), nullable=True),
        sa.Column("units", sa.String(8), nullable=True),
        sa.Column("sensitivity", sa.String(40), nullable=True),
        sa.Column("thresholds", sa.String(32), nullable=False),
        sa.Column("description", sa.String(500), nullable=True),
        sa.Column("created", UTCDateTime(), nullable=False),
        sa.Column("updated", UTCDateTime(), nullable=False),
        sa.Column("latest_id", sa.Integer(), nullable=True),
        sa.Column("latest_time", UTCDateTime(), nullable=True),
        sa.Column("n_diagnoses", sa.Integer(), nullable=False),
    )
    op.create_table(
        "recordings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "machine_id",
            sa.Integer(),
            sa.ForeignKey("machines.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("time", UTCDateTime(), nullable=False),
        sa.Column("received", UTCDateTime(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("rate", sa.Float(), nullable=True),
        sa.Column("channels", sa.JSON(), nullable=True),
        sa.Column("samples", sa.Integer(), nullable=True),
        sa.Column("bytes", sa.Integer(), nullable=True),
        sa.Column("units", sa.String(8), nullable=True),
        sa.Column("raw_path", sa.String(300), nullable=True, unique=True),
    )
    op.create_index("ix_recordings_machine_time", "recordings", ["machine_id", "time"])
    op.create_table(
        "diagnoses",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "recording_id",
            sa.Integer(),
            sa.ForeignKey("recordings.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        ),
        sa.Column(
            "machine_id",
            sa.Integer(),
            sa.ForeignKey("machines.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("time", UTCDateTime(), nullable=False),
        sa.Column("verdict", sa.String(64), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("faults", sa.JSON(), nullable=False),
        sa.Column("severity_mm_s", sa.Float(), nullable=True),
        sa.Column("zone", sa.String(4), nullable=True),
        sa.Column("rpm", sa.Float(), nullable=True),
        sa.Column("rpm_source", sa.String(32), nullable=True),
        sa.Column("order_1x", sa.Float(), nullable=True),
        sa.Column("order_2x", sa.Float(), nullable=True),
        sa.Column("orders", sa.JSON(), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
    )
    op.create_index("ix_diagnoses_machine_time", "diagnoses", ["machine_id", "time"])
    op.create_table(
        "spectra",
        sa.Column(
            "machine_id",
            sa.Integer(),
            sa.ForeignKey("machines.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("diagnosis_id", sa.Integer(), nullable=False),
        sa.Column("time", UTCDateTime(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("spectra")
    op.drop_index("ix_diagnoses_machine_time", table_name="diagnoses")
    op.drop_table("diagnoses")
    op.drop_index("ix_recordings_machine_time", table_name="recordings")
    op.drop_table("recordings")
    op.drop_table("machines")
