"""Views of the certificates area."""
