#!/usr/bin/env bash
# Create (or refresh) the Python venv with the reference tools the tests compare against.
# Versions are pinned so that the comparison is reproducible.
set -euo pipefail
venv=${1:?usage: setup-venv.sh DIR}
here=$(cd "$(dirname "$0")" && pwd)
req="$here/../tests/compat/requirements.txt"
stamp="$venv/.requirements.sha1"
want=$(sha1sum "$req" | cut -d' ' -f1)
if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    exit 0
fi
echo "==> creating Python venv in $venv"
python3 -m venv "$venv"
"$venv/bin/pip" install -q --upgrade pip
"$venv/bin/pip" install -q -r "$req"
echo "$want" > "$stamp"
