"""Views of the video area."""
