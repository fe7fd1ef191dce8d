#!/usr/bin/env bash
# Regenerates grafana/dashboards/*.json from grafana/generator (or, with --check, fails when the
# committed JSON differs). Runs in a venv cached under ${LLMOTEL_CACHE:-$HOME/.cache/llmotel}/venvs/,
# keyed by grafana/requirements.txt, so only a changed pin reinstalls.
set -euo pipefail
grafana_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
key=$(cat "$grafana_dir/requirements.txt" <(python3 --version) | sha256sum | cut -c1-16)
venv=${LLMOTEL_CACHE:-$HOME/.cache/llmotel}/venvs/grafana-$key
if [[ ! -x $venv/bin/python ]]; then
	echo "[grafana] creating $venv (grafana-foundation-sdk)" >&2
	python3 -m venv "$venv.tmp"
	"$venv.tmp/bin/pip" install --quiet --disable-pip-version-check -r "$grafana_dir/requirements.txt"
	mv "$venv.tmp" "$venv"
fi
exec "$venv/bin/python" "$grafana_dir/generator" "$@"
