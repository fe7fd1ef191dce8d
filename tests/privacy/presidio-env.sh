#!/usr/bin/env bash
# Prints the path of a Python with llmotel (this checkout, editable), its `presidio` extra and pytest,
# for tests/privacy/test_privacy_presidio.py. The virtualenv lives in $LLMOTEL_CACHE,
# keyed by pyproject.toml and this script; the first run downloads presidio-analyzer and spaCy (a few hundred MB, a few minutes).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cache=${LLMOTEL_CACHE:-$HOME/.cache/llmotel}
key=$(cat "$root/pyproject.toml" "$0" | sha256sum | cut -c1-12)  # a changed install line rebuilds
venv="$cache/venv-presidio-$key"
mkdir -p "$cache"
exec 9>"$venv.lock"
flock 9
if [ ! -x "$venv/bin/python" ] || [ ! -f "$venv/.complete" ]; then
  echo "presidio-env: creating $venv (first run; several minutes)" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --upgrade pip >&2
  "$venv/bin/pip" install --progress-bar off -e "$root[presidio]" pytest pytest-asyncio >&2
  touch "$venv/.complete"
fi
if ! "$venv/bin/python" -c "import llmotel, sys; sys.exit(0 if llmotel.__file__.startswith('$root/') else 1)" 2>/dev/null; then
  "$venv/bin/pip" install --quiet --no-deps -e "$root" >&2
fi
echo "$venv/bin/python"
