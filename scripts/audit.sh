#!/usr/bin/env bash
# Known vulnerabilities in the locked dependencies (requirements-dev.txt holds every package of
# requirements.txt too), with pip-audit against PyPI's advisory data. Advisories reviewed and
# accepted are listed, each with its reason, in .ci/pip-audit-ignore.txt.
# Exit 0: audited, nothing unexplained. 1: a known vulnerability. 2: the advisory data could not
# be reached, so nothing was audited (said loudly; never reported as a pass).
set -uo pipefail
cd "$(dirname "$0")/.."
ignore=()
while read -r id _; do
  [ -n "$id" ] && [ "${id:0:1}" != "#" ] && ignore+=(--ignore-vuln "$id")
done < .ci/pip-audit-ignore.txt
log=$(mktemp)
.venv/bin/pip-audit -r requirements-dev.txt --require-hashes --disable-pip --strict \
  --vulnerability-service pypi --progress-spinner off "${ignore[@]}" >"$log" 2>&1
status=$?
if [ "$status" -eq 0 ]; then
  echo "pip-audit: no known vulnerability in the locked dependencies"
  rm -f "$log"; exit 0
fi
if grep -q "could not be audited\|ConnectionError\|Max retries exceeded" "$log"; then
  echo "WARNING: pip-audit could not reach PyPI's advisory data: NOTHING WAS AUDITED" >&2
  grep -m 3 "could not be audited\|Error" "$log" >&2
  rm -f "$log"; exit 2
fi
cat "$log" >&2
rm -f "$log"; exit 1
