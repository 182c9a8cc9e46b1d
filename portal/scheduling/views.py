"""Views of the scheduling area."""
