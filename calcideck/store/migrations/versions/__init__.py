"""Alembic revisions, one module per schema revision (``NNNN_description.py``)."""
