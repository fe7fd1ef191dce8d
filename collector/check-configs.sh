#!/usr/bin/env bash
# Validates every shipped collector config (and each documented overlay stack) with the built
# binary, and fails when any of them uses a deprecated component name.
#   collector/check-configs.sh [path/to/llmotelcol]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="${1:-$("$here/build.sh" | tail -n 1)}"
cd "$here/config"

# The stacks users run (see collector/README.md); every file in config/ must appear in one.
stacks=(
  "agent.yaml"
  "agent.yaml agent-tls.yaml"
  "agent.yaml agent-pool.yaml"
  "gateway.yaml"
  "gateway.yaml gateway-tls.yaml"
)
# Names renamed in the v0.159 train: old aliases still load but are on their way out.
deprecated='otlp|otlphttp|spanmetrics|loadbalancing|prometheusremotewrite|signaltometrics|logging|batch'

status=0
for f in *.yaml; do
  if ! printf '%s\n' "${stacks[@]}" | tr ' ' '\n' | grep -qx "$f"; then
    echo "check-configs: $f is not in any validated stack; add it to stacks in $0" >&2
    status=1
  fi
  # Component ids are defined at two-space indent under receivers/exporters/connectors/...;
  # the OTLP *receiver* keeps its name `otlp`, so only exporters are checked for it.
  if grep -nE "^  ($deprecated)(/[^:]*)?:" "$f" | grep -vE '^[0-9]+:  otlp:' | grep -q .; then
    echo "check-configs: $f defines a deprecated component name:" >&2
    grep -nE "^  ($deprecated)(/[^:]*)?:" "$f" | grep -vE '^[0-9]+:  otlp:' >&2
    status=1
  fi
done

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
  if grep -qi 'deprecat' <<<"$out"; then
    echo "check-configs: [$stack] validates but uses deprecated names:" >&2
    grep -i 'deprecat' <<<"$out" >&2
    status=1
    continue
  fi
  echo "check-configs: ok [$stack]" >&2
done
exit "$status"
