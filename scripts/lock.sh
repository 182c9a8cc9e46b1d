#!/usr/bin/env bash
# Lock the dependencies: requirements.txt, requirements-dev.txt and requirements-media.txt (a
# media node without Flask), with the hash of every
# package (transitive ones included), from the matching .in files. Run after
# changing a pin in a .in file; scripts/install.sh installs the locks with --require-hashes.
set -euo pipefail
cd "$(dirname "$0")/.."
tools=${LOCK_VENV:-/tmp/portal-lock-venv}
if [ ! -x "$tools/bin/pip-compile" ]; then
  python3.11 -m venv "$tools" 2>/dev/null || python3 -m venv "$tools"
  "$tools/bin/pip" install --quiet --disable-pip-version-check pip-tools==7.7.0 2>&1 \
    | grep -v "is ignored: it is neither a file nor a directory" || true
fi
for name in requirements requirements-dev requirements-media; do
  "$tools/bin/pip-compile" --quiet --generate-hashes --allow-unsafe --strip-extras \
    --no-emit-index-url --no-emit-find-links --resolver=backtracking \
    --output-file "$name.txt" "$name.in" 2>&1 \
    | grep -v "is ignored: it is neither a file nor a directory" || true
done
