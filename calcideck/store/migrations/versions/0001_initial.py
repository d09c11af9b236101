"""Initial collection schema.

Revision ID: 0001
Revises:
Create Date: 2025-11-25

Written out by hand to match ``calcideck.store.models`` at this revision;
constraint names follow the models' naming convention. ``UTCDateTime`` is
stored as a plain (naive, UTC) ``DateTime``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("root_path", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sources"),
        sa.UniqueConstraint("name", name="uq_sources_name"),
    )
    op.create_table(
        "decks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=1024), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["parent_id"], ["decks.id"], name="fk_decks_parent_id_decks"),
        sa.PrimaryKeyConstraint("id", name="pk_decks"),
        sa.UniqueConstraint("name", name="uq_decks_name"),
    )
    op.create_index("ix_decks_parent_id", "decks", ["parent_id"], unique=False)
    op.create_table(
        "source_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("media_paths", sa.JSON(), nullable=False),
        sa.Column("media_digest", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["sources.id"], name="fk_source_files_source_id_sources", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_source_files"),
        sa.UniqueConstraint("source_id", "path", name="uq_source_files_source_id_path"),
    )
    op.create_table(
        "notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guid", sa.String(length=64), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("deck_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("file_path", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("anchor", sa.String(length=255), nullable=True),
        sa.Column("meaning_rev", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("render_key", sa.String(length=64), nullable=False),
        sa.Column("meta_key", sa.String(length=64), nullable=False),
        sa.Column("source_text", sa.Text(), nullable=False),
        sa.Column("breadcrumb", sa.JSON(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("lang", sa.String(length=32), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("retired_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["deck_id"], ["decks.id"], name="fk_notes_deck_id_decks"),
        sa.ForeignKeyConstraint(["source_id"], ["sources.id"], name="fk_notes_source_id_sources", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_notes"),
        sa.UniqueConstraint("guid", name="uq_notes_guid"),
        sa.UniqueConstraint("source_id", "anchor", name="uq_notes_source_id_anchor"),
    )
    op.create_index("ix_notes_deck_id", "notes", ["deck_id"], unique=False)
    op.create_index("ix_notes_source_file", "notes", ["source_id", "file_path"], unique=False)
    op.create_index("ix_notes_source_fingerprint", "notes", ["source_id", "fingerprint"], unique=False)
    op.create_table(
        "cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("note_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("match_text", sa.Text(), nullable=False),
        sa.Column("question_html", sa.Text(), nullable=False),
        sa.Column("answer_html", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("retired_at", sa.DateTime(), nullable=True),
        sa.Column("superseded", sa.Boolean(), nullable=False),
        sa.Column("state", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=True),
        sa.Column("due", sa.DateTime(), nullable=True),
        sa.Column("stability", sa.Float(), nullable=True),
        sa.Column("difficulty", sa.Float(), nullable=True),
        sa.Column("reps", sa.Integer(), nullable=False),
        sa.Column("lapses", sa.Integer(), nullable=False),
        sa.Column("last_review", sa.DateTime(), nullable=True),
        sa.Column("suspended", sa.Boolean(), nullable=False),
        sa.Column("buried_until", sa.DateTime(), nullable=True),
        sa.Column("flag", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["note_id"], ["notes.id"], name="fk_cards_note_id_notes", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_cards"),
    )
    op.create_index("ix_cards_due", "cards", ["due"], unique=False)
    op.create_index("ix_cards_note_key", "cards", ["note_id", "key"], unique=False)
    op.create_table(
        "review_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("state_before", sa.Integer(), nullable=False),
        sa.Column("step_before", sa.Integer(), nullable=True),
        sa.Column("due_before", sa.DateTime(), nullable=True),
        sa.Column("stability_before", sa.Float(), nullable=True),
        sa.Column("difficulty_before", sa.Float(), nullable=True),
        sa.Column("last_review_before", sa.DateTime(), nullable=True),
        sa.Column("state_after", sa.Integer(), nullable=False),
        sa.Column("step_after", sa.Integer(), nullable=True),
        sa.Column("due_after", sa.DateTime(), nullable=True),
        sa.Column("stability_after", sa.Float(), nullable=True),
        sa.Column("difficulty_after", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["card_id"], ["cards.id"], name="fk_review_log_card_id_cards", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_review_log"),
    )
    op.create_index("ix_review_log_card_time", "review_log", ["card_id", "reviewed_at"], unique=False)
    op.create_index("ix_review_log_reviewed_at", "review_log", ["reviewed_at"], unique=False)
    op.create_table(
        "media",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=80), nullable=False),
        sa.Column("mime", sa.String(length=64), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name="pk_media"),
        sa.UniqueConstraint("filename", name="uq_media_filename"),
    )
    op.create_table(
        "note_media",
        sa.Column("note_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["note_id"], ["notes.id"], name="fk_note_media_note_id_notes", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["sha256"], ["media.sha256"], name="fk_note_media_sha256_media"),
        sa.PrimaryKeyConstraint("note_id", "sha256", name="pk_note_media"),
    )
    op.create_table(
        "build_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["sources.id"], name="fk_build_runs_source_id_sources", ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_build_runs"),
    )


def downgrade() -> None:
    op.drop_table("build_runs")
    op.drop_table("note_media")
    op.drop_table("media")
    op.drop_index("ix_review_log_reviewed_at", table_name="review_log")
    op.drop_index("ix_review_log_card_time", table_name="review_log")
    op.drop_table("review_log")
    op.drop_index("ix_cards_note_key", table_name="cards")
    op.drop_index("ix_cards_due", table_name="cards")
    op.drop_table("cards")
    op.drop_index("ix_notes_source_fingerprint", table_name="notes")
    op.drop_index("ix_notes_source_file", table_name="notes")
    op.drop_index("ix_notes_deck_id", table_name="notes")
    op.drop_table("notes")
    op.drop_table("source_files")
    op.drop_index("ix_decks_parent_id", table_name="decks")
    op.drop_table("decks")
    op.drop_table("sources")
