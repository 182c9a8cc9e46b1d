"""Views of the doctors area."""
