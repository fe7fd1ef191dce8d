#!/usr/bin/env bash
# Prints the path of a Python that has llmotel (this checkout, editable) and its dev dependencies.
# The virtualenv lives outside the clone, in $LLMOTEL_CACHE, keyed by pyproject.toml, so repeat runs reuse it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${LLMOTEL_CACHE:-$HOME/.cache/llmotel}
key=$(sha256sum "$root/pyproject.toml" | cut -c1-12)
venv="$cache/venv-$key"
mkdir -p "$cache"
exec 9>"$venv.lock"
flock 9  # one creator at a time: parallel make jobs and CI share the cache
if [ ! -x "$venv/bin/python" ] || [ ! -f "$venv/.complete" ]; then
  echo "python-env: creating $venv (first run; a minute or two)" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --upgrade pip >&2
  "$venv/bin/pip" install --quiet --progress-bar off -e "$root[dev]" >&2
  touch "$venv/.complete"
fi
# The checkout may have moved (CI clones afresh): re-point the editable install, which is quick and offline.
if ! "$venv/bin/python" -c "import llmotel, sys; sys.exit(0 if llmotel.__file__.startswith('$root/') else 1)" 2>/dev/null; then
  "$venv/bin/pip" install --quiet --no-deps --no-build-isolation -e "$root" >&2 2>/dev/null \
    || "$venv/bin/pip" install --quiet --no-deps -e "$root" >&2
fi
echo "$venv/bin/python"
