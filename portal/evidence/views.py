"""Views of the evidence area."""
