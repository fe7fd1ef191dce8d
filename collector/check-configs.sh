#!/usr/bin/env bash
# Validates every shipped collector config (and each documented overlay stack) with the built
# binary, fails when any of them uses a deprecated component name, and fails when the manifest
# compiles in a component that no config uses.
#   collector/check-configs.sh [path/to/llmotelcol]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="${1:-$("$here/build.sh" | tail -n 1)}"
# LLMOTEL_CONFIG_DIR lets the tests point the check at a deliberately broken copy.
cd "${LLMOTEL_CONFIG_DIR:-$here/config}"

# The stacks users run (see collector/README.md); every file in config/ must appear in one.
stacks=(
  "agent.yaml"
  "agent.yaml agent-tls.yaml"
  "agent.yaml agent-pool.yaml"
  "gateway.yaml"
  "gateway.yaml gateway-tls.yaml"
)
# Canonical component names compiled into the binary, as "kind type" lines. A config that uses
# any other name is using a deprecated alias (otlp -> otlp_grpc, deltatocumulative ->
# delta_to_cumulative, ...): old aliases still load, which is exactly why CI must catch them.
compiled="$("$bin" components | awk '
  /^[a-z]+:/ { kind = $1; sub(":", "", kind) }
  /^    - name: / && kind != "providers" { print kind, $3 }')"

# "kind type" of every component defined in a config: two-space keys under the top-level
# receivers/processors/exporters/connectors/extensions sections (id = type[/name]).
defined() {
  awk '
    /^[a-z_]+:/ { kind = $1; sub(":", "", kind) }
    kind ~ /^(receivers|processors|exporters|connectors|extensions)$/ && /^  [a-z0-9_]+(\/[^:]*)?:/ {
      id = $1; sub(":$", "", id); sub("/.*", "", id); print kind, id
    }' "$@"
}

status=0
for f in *.yaml; do
  if ! printf '%s\n' "${stacks[@]}" | tr ' ' '\n' | grep -qx "$f"; then
    echo "check-configs: $f is not in any validated stack; add it to stacks in $0" >&2
    status=1
  fi
  while read -r kind type; do
    if ! grep -qx "$kind $type" <<<"$compiled"; then
      echo "check-configs: $f uses $kind '$type', which is not a canonical component name of this build (deprecated alias or missing from manifest.yaml); use the name printed by \`llmotelcol components\`" >&2
      status=1
    fi
  done < <(defined "$f")
done

# The manifest holds exactly what the configs use: an unused component only costs build time
# and attack surface.
used="$(defined *.yaml | sort -u)"
while read -r kind type; do
  if ! grep -qx "$kind $type" <<<"$used"; then
    echo "check-configs: $kind '$type' is compiled in but no config uses it; remove it from manifest.yaml" >&2
    status=1
  fi
done <<<"$compiled"

export LLMOTEL_PRICE_TABLE="${LLMOTEL_PRICE_TABLE:-$here/../pricing/prices.yaml}"
for stack in "${stacks[@]}"; do
  args=()
  for f in $stack; do args+=(--config "$f"); done
  if ! out="$("$bin" validate "${args[@]}" 2>&1)"; then
    echo "check-configs: validate failed for [$stack]:" >&2
    echo "$out" >&2
    status=1
    continue
  fi
  echo "check-configs: ok [$stack]" >&2
done
exit "$status"
