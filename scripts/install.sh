#!/usr/bin/env bash
# Install the portal into .venv (created if missing) and compile the translations.
# Usage: scripts/install.sh [requirements file]   (default: requirements.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
reqs=${1:-requirements.txt}
if [ ! -x .venv/bin/python ]; then
  python3.11 -m venv .venv 2>/dev/null || python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes -r "$reqs" 2>&1 \
  | grep -v "is ignored: it is neither a file nor a directory" || true
.venv/bin/python -m pip check >/dev/null
.venv/bin/pybabel -q compile -d portal/translations
