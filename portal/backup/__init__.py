"""Backups that restore: the database and every evidence object with its SHA-256, and a
restore into an empty database and store that checks all of it (`flask backup`, `flask
restore`; docs/backup.md)."""
