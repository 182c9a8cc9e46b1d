"""Views of the guardian area."""
