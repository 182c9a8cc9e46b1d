#!/usr/bin/env bash
# Newcomer's one command: install, migrate, load reference and demo data, serve the portal
# on http://127.0.0.1:5000 (SQLite in instance/, evidence in instance/evidence).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh requirements.txt
export PORTAL_ENV=${PORTAL_ENV:-development}
flask=".venv/bin/flask --app wsgi"
$flask db upgrade
$flask seed reference
$flask seed demo --persons "${DEMO_PERSONS:-2000}"
echo "Portal: http://127.0.0.1:5000  (demo accounts printed above the first time)"
exec $flask run --host 127.0.0.1 --port 5000
