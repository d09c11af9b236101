"""Scheduling: option presets, settings, undo, FSRS fits, cards.deck_id, student tags.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

``cards.deck_id`` is filled from the cards' notes, so a collection built by
0.1 keeps every card in its deck.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "presets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_presets"),
        sa.UniqueConstraint("name", name="uq_presets_name"),
    )
    op.create_table(
        "settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_settings"),
    )
    op.create_table(
        "undo_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_undo_log"),
    )
    op.create_table(
        "fsrs_fits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("preset_id", sa.Integer(), nullable=False),
        sa.Column("fitted_at", sa.DateTime(), nullable=False),
        sa.Column("reviews_used", sa.Integer(), nullable=False),
        sa.Column("log_loss_before", sa.Float(), nullable=False),
        sa.Column("log_loss_after", sa.Float(), nullable=False),
        sa.Column("kept", sa.Boolean(), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["preset_id"], ["presets.id"], name="fk_fsrs_fits_preset_id_presets", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_fsrs_fits"),
    )
    op.create_index("ix_fsrs_fits_preset_id", "fsrs_fits", ["preset_id"], unique=False)
    with op.batch_alter_table("decks") as batch:
        batch.add_column(sa.Column("preset_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_decks_preset_id_presets", "presets", ["preset_id"], ["id"], ondelete="SET NULL")
    with op.batch_alter_table("notes") as batch:
        batch.add_column(sa.Column("user_tags", sa.JSON(), nullable=True))
    with op.batch_alter_table("cards") as batch:
        batch.add_column(sa.Column("deck_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_cards_deck_id_decks", "decks", ["deck_id"], ["id"])
        batch.create_index("ix_cards_deck_state_due", ["deck_id", "state", "due"], unique=False)
        batch.create_index("ix_cards_state_due", ["state", "due"], unique=False)
    op.execute("UPDATE cards SET deck_id = (SELECT notes.deck_id FROM notes WHERE notes.id = cards.note_id)")


def downgrade() -> None:
    with op.batch_alter_table("cards") as batch:
        batch.drop_index("ix_cards_state_due")
        batch.drop_index("ix_cards_deck_state_due")
        batch.drop_constraint("fk_cards_deck_id_decks", type_="foreignkey")
        batch.drop_column("deck_id")
    with op.batch_alter_table("notes") as batch:
        batch.drop_column("user_tags")
    with op.batch_alter_table("decks") as batch:
        batch.drop_constraint("fk_decks_preset_id_presets", type_="foreignkey")
        batch.drop_column("preset_id")
    op.drop_index("ix_fsrs_fits_preset_id", table_name="fsrs_fits")
    op.drop_table("fsrs_fits")
    op.drop_table("undo_log")
    op.drop_table("settings")
    op.drop_table("presets")
