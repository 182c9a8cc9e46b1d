#!/usr/bin/env bash
# Newcomer's one command: install, migrate, load reference and demo data, then serve the portal
# on http://127.0.0.1:5000 together with the video media service (assessment_video) on
# 127.0.0.1:8765. Both share a freshly generated signing secret; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh requirements.txt
export PORTAL_ENV=${PORTAL_ENV:-development}
flask=".venv/bin/flask --app wsgi"
$flask db upgrade
$flask seed reference
$flask seed demo --persons "${DEMO_PERSONS:-2000}"

# The portal signs every request to the media service with this secret (HMAC).
MEDIA_SHARED_SECRET=${MEDIA_SHARED_SECRET:-$(.venv/bin/python -c 'import secrets; print(secrets.token_hex(32))')}
MEDIA_PORT=${MEDIA_PORT:-8765}
export MEDIA_SHARED_SECRET
export MEDIA_SERVICE_URL=${MEDIA_SERVICE_URL:-http://127.0.0.1:$MEDIA_PORT}
# The same ICE servers (STUN/TURN) for browsers and the media service; none by default.
export VIDEO_ICE_SERVERS=${VIDEO_ICE_SERVERS:-[]}
export MEDIA_ICE_SERVERS=${MEDIA_ICE_SERVERS:-$VIDEO_ICE_SERVERS}
export EVIDENCE_DIR=${EVIDENCE_DIR:-$PWD/instance/evidence}
export MEDIA_SPOOL_DIR=${MEDIA_SPOOL_DIR:-$PWD/instance/media-spool}

.venv/bin/python -m assessment_video --host 127.0.0.1 --port "$MEDIA_PORT" &
media_pid=$!
stop_media() {
  if kill -0 "$media_pid" 2>/dev/null; then
    kill "$media_pid" 2>/dev/null || true
    wait "$media_pid" 2>/dev/null || true
  fi
}
trap stop_media EXIT
trap 'exit 130' INT TERM

echo "Portal: http://127.0.0.1:5000  (demo accounts printed above the first time)"
echo "Video media service: $MEDIA_SERVICE_URL (pid $media_pid)"
$flask run --host 127.0.0.1 --port 5000
