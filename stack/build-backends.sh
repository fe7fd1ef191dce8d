#!/usr/bin/env bash
# Builds the observability backends (Prometheus with its native OTLP receiver, promtool, Loki,
# dashboard-linter) from the Go module proxy, one pinned tools module per backend under
# stack/backends/<name>/ (go.mod with `tool` directives + go.sum + build-tags).
#
# Binaries are cached outside the clone under ${LLMOTEL_CACHE:-$HOME/.cache/llmotel}/backends/<name>/<key>/
# where <key> hashes everything that changes the output (go.mod, go.sum, tags, Go version), so a
# changed pin rebuilds and a warm run only hashes a few files.
#
# Usage: stack/build-backends.sh [name...]     (default: every backend)
# Progress goes to stderr; stdout gets one line per backend: `<name> <bin-dir>`.
set -euo pipefail

stack_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache_root=${LLMOTEL_CACHE:-$HOME/.cache/llmotel}/backends
export GOTOOLCHAIN=local CGO_ENABLED=0

log() { printf '[build-backends] %s\n' "$*" >&2; }

if ! command -v go >/dev/null 2>&1; then
	log "go not found on PATH: install Go >= 1.26 (the tools modules need the go.mod 'tool' directive)"
	exit 1
fi

build_key() {
	local dir=$1
	{
		cat "$dir/go.mod" "$dir/go.sum" "$dir/build-tags"
		go version
	} | sha256sum | cut -c1-16
}

# Runs `go build` in the background and prints a heartbeat with the number of packages compiled,
# because a cold build takes minutes and would otherwise look hung.
build_with_progress() {
	local name=$1 dir=$2 out=$3 tags
	tags=$(tr -d '[:space:]' <"$dir/build-tags")
	local build_log=$out.log
	local started=$SECONDS
	(cd "$dir" && exec nice -n 10 go build -p 2 -v -tags "$tags" -o "$out/" tool) >"$build_log" 2>&1 &
	local pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		sleep 15
		if kill -0 "$pid" 2>/dev/null; then
			log "$name: building... $((SECONDS - started))s, $(grep -c . "$build_log" || true) packages compiled"
		fi
	done
	if ! wait "$pid"; then
		log "$name: go build failed; last lines of $build_log:"
		# -v lists each compiled package alone on a line; everything else is a diagnostic.
		grep -v '^[A-Za-z0-9./_~+-]*$' "$build_log" | tail -n 20 >&2
		return 1
	fi
	log "$name: built in $((SECONDS - started))s"
}

build_backend() {
	local name=$1 dir=$stack_dir/backends/$1
	if [[ ! -f $dir/go.mod || ! -f $dir/build-tags ]]; then
		log "unknown backend '$name': expected $dir/go.mod and $dir/build-tags"
		return 1
	fi
	local key bin_dir
	key=$(build_key "$dir")
	bin_dir=$cache_root/$name/$key
	if [[ -f $bin_dir/.complete ]]; then
		log "$name: cached at $bin_dir"
	else
		log "$name: cold build into $bin_dir (several minutes on 2 cores)"
		mkdir -p "$cache_root/$name"
		local staging
		staging=$(mktemp -d "$cache_root/$name/.staging.XXXXXX")
		if ! build_with_progress "$name" "$dir" "$staging"; then
			rm -rf "$staging"
			return 1
		fi
		rm -f "$staging.log"
		touch "$staging/.complete"
		rm -rf "$bin_dir"
		mv "$staging" "$bin_dir"
	fi
	printf '%s %s\n' "$name" "$bin_dir"
}

if (($# == 0)); then
	set -- $(cd "$stack_dir/backends" && ls -d */ | tr -d /)
fi
for name in "$@"; do
	build_backend "$name"
done
