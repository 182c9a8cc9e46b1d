"""Append-only audit trail of changes and of every reveal of personal data."""
# Importing the chain registers the flush hook that links new events into the hash chain.
from portal.audit import chain  # noqa: F401
