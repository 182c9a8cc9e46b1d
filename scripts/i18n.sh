#!/usr/bin/env bash
# Re-extract the interface strings and merge them into the catalogues (then translate the
# new entries in portal/translations/*/LC_MESSAGES/messages.po and commit).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
  -o portal/translations/messages.pot --ignore-dirs='.venv .git instance bench tests' . 2>/dev/null
if [ ! -f portal/translations/zh_Hans_CN/LC_MESSAGES/messages.po ]; then
  .venv/bin/pybabel init -i portal/translations/messages.pot -d portal/translations -l zh_Hans_CN
else
  .venv/bin/pybabel update --no-fuzzy-matching -i portal/translations/messages.pot \
    -d portal/translations -l zh_Hans_CN
fi
