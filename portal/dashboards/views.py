"""Views of the dashboards area."""
