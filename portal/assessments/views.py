"""Views of the assessments area."""
