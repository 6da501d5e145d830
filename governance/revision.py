"""The schema revision this code expects, kept apart so that reading it imports nothing heavy."""

HEAD_REVISION = "0005"
"""The newest migration; a test keeps it equal to Alembic's head so start-up can skip Alembic."""
