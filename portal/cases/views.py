"""Views of the cases area."""
