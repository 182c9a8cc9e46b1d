#!/usr/bin/env bash
# Development only, until the first release: rebuild the single initial migration from the
# models. Serialised with flock so that two people regenerating at once do not collide.
set -euo pipefail
cd "$(dirname "$0")/.."
exec 9>/tmp/portal-regen-migration.lock
flock 9
tmp=$(mktemp -d)
rm -f migrations/versions/*_foundation.py
PORTAL_ENV=development DATABASE_URL="sqlite:///$tmp/empty.sqlite3" \
  .venv/bin/flask --app wsgi db migrate -m "foundation" >/dev/null
rm -rf "$tmp"
ls migrations/versions/*_foundation.py
