"""The video assessment media service: relays doctor and applicant, records, takes snapshots."""
