#!/usr/bin/env bash
# Install the portal with its test extras and run the whole test suite on 2 workers.
# SQLite always; PostgreSQL too when TEST_DATABASE_URL is set (e.g.
# TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test). Extra args go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh requirements-dev.txt
exec .venv/bin/python -m pytest -n 2 -p no:cacheprovider "$@"
