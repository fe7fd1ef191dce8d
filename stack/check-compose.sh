#!/usr/bin/env bash
# Validates docker-compose.yml offline (no Docker engine needed) with Debian's docker-compose
# 1.29, installing it first when missing, and rejects what 1.29 cannot parse but newer Compose
# would silently accept elsewhere (a top-level `name:`).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if ! command -v docker-compose >/dev/null 2>&1; then
	if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
		echo "[check-compose] docker-compose not found: install it (Debian: apt-get install docker-compose)" >&2
		exit 1
	fi
	echo "[check-compose] installing Debian's docker-compose (apt-get)" >&2
	apt-get update -q >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends docker-compose >&2
fi
if grep -q '^name:' "$repo/docker-compose.yml"; then
	echo "[check-compose] docker-compose.yml: remove the top-level 'name:' key (docker-compose 1.29 rejects it)" >&2
	exit 1
fi
docker-compose --project-directory "$repo" -f "$repo/docker-compose.yml" config -q
echo "[check-compose] docker-compose.yml is valid ($(docker-compose version --short))" >&2
