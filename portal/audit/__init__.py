"""Append-only audit trail of changes and of every reveal of personal data."""
