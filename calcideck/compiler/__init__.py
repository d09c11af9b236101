"""Markdown deck files -> intermediate representation -> rendered cards.

Pure functions over text and files: no database, no Qt.
"""
