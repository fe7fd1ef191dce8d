#!/usr/bin/env bash
# Builds llmotel's collector distribution (llmotelcol) and prints the binary path as the last
# line of stdout; progress goes to stderr.
#
#   collector/build.sh                    build (or reuse) the binary for the current sources
#   collector/build.sh --generate         regenerate collector/distribution/ from manifest.yaml
#   collector/build.sh --check-generated  fail if regenerating would change distribution/
#
# The binary lives under ${LLMOTEL_CACHE:-$HOME/.cache/llmotel}/collector/, keyed by a hash of
# every input (manifest, generated sources, our own component modules, Go version, flags), so a
# changed input rebuilds and an unchanged one returns at once.
set -euo pipefail

OCB_VERSION=v0.159.0 # the release train: every v0.x module in manifest.yaml must match it
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${LLMOTEL_CACHE:-$HOME/.cache/llmotel}/collector"
export GOTOOLCHAIN=local CGO_ENABLED=0
# Two shared cores: build with at most two packages in parallel, at low priority.
build_jobs="${LLMOTEL_BUILD_JOBS:-2}"

log() { printf '[collector/build] %s\n' "$*" >&2; }

ocb() {
  local dir="$cache/tools/ocb-$OCB_VERSION"
  if [[ ! -x "$dir/builder" ]]; then
    log "installing OpenTelemetry Collector Builder $OCB_VERSION into $dir"
    GOBIN="$dir" nice go install "go.opentelemetry.io/collector/cmd/builder@$OCB_VERSION" >&2
  fi
  printf '%s\n' "$dir/builder"
}

# generate_into DIR: run OCB on a copy of manifest.yaml and our component modules inside DIR,
# so the generated go.mod's relative replace paths are the same as in the repository.
generate_into() {
  local dir="$1" builder
  builder="$(ocb)"
  mkdir -p "$dir/processor"
  cp "$here/manifest.yaml" "$dir/"
  for module in "$here"/processor/*/; do
    [[ -f "$module/go.mod" ]] && cp -r "${module%/}" "$dir/processor/"
  done
  log "generating sources with OCB $OCB_VERSION (downloads modules on a cold machine)"
  (cd "$dir" && nice "$builder" --config manifest.yaml --skip-compilation >"$dir/ocb.log" 2>&1) || {
    cat "$dir/ocb.log" >&2
    return 1
  }
}

input_hash() {
  {
    go version
    printf 'flags=%s\n' "-trimpath -ldflags=-s -w"
    cd "$here"
    find manifest.yaml distribution processor -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' -o -name '*.yaml' -o -name '*.json' \) \
      -not -path '*/testdata/*' | LC_ALL=C sort | xargs sha256sum
  } | sha256sum | cut -c1-16
}

case "${1:-}" in
  --generate)
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    generate_into "$tmp"
    rm -rf "$here/distribution"
    cp -r "$tmp/distribution" "$here/distribution"
    log "regenerated $here/distribution"
    exit 0
    ;;
  --check-generated)
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    generate_into "$tmp"
    if ! diff -ru "$here/distribution" "$tmp/distribution" >&2; then
      log "collector/distribution/ is stale: run collector/build.sh --generate and commit the result"
      exit 1
    fi
    log "collector/distribution/ matches manifest.yaml"
    exit 0
    ;;
  "") ;;
  *)
    log "unknown option $1 (use --generate, --check-generated or no option)"
    exit 2
    ;;
esac

key="$(input_hash)"
out="$cache/llmotelcol-$key"
if [[ -x "$out/llmotelcol" ]]; then
  log "up to date: $out/llmotelcol"
  printf '%s\n' "$out/llmotelcol"
  exit 0
fi
log "building llmotelcol ($key); a cold build downloads and compiles the whole distribution (about 10-25 min on 2 cores)"
mkdir -p "$cache"
staging="$(mktemp -d "$cache/.build-XXXXXX")"
trap 'rm -rf "$staging"' EXIT
start=$SECONDS
# go build is silent while it compiles; say every 30 s that it is still going.
(while sleep 30; do log "still building ($((SECONDS - start))s)"; done) &
heartbeat=$!
trap 'kill "$heartbeat" 2>/dev/null; rm -rf "$staging"' EXIT
(cd "$here/distribution" && nice go build -p "$build_jobs" -trimpath -ldflags='-s -w' -o "$staging/llmotelcol" .) >&2
kill "$heartbeat" 2>/dev/null
rm -rf "$out"
mv "$staging" "$out"
trap - EXIT
log "built in $((SECONDS - start))s: $out/llmotelcol"
# Keep the three newest builds; older ones only fill the disk.
ls -1dt "$cache"/llmotelcol-*/ 2>/dev/null | tail -n +4 | xargs -r rm -rf
printf '%s\n' "$out/llmotelcol"
