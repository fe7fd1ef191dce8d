# Make fragment for the observability stack (included by the root Makefile; paths are relative
# to the repository root). Targets:
#   stack-build         build/cached Prometheus + promtool and Loki (stack/build-backends.sh)
#   test-stack          every stack check; fails loudly when a prerequisite cannot be built
#   grafana-dashboards  regenerate grafana/dashboards/*.json after changing grafana/generator
#   demo-stack          build, start the native stack, run the example apps into it, print a report
# Python with pytest, PyYAML and the OpenTelemetry OTLP exporters: $(PYTHON) when the root
# Makefile defines it.
STACK_PYTHON ?= $(if $(PYTHON),$(PYTHON),python3)

.PHONY: demo-stack stack-build test-stack grafana-dashboards stack-check-rules stack-check-configs stack-check-dashboards stack-check-compose stack-e2e

stack-build: ## build (or reuse cached) Prometheus, promtool and Loki from the Go module proxy
	bash stack/build-backends.sh >/dev/null

test-stack: stack-check-rules stack-check-configs stack-check-dashboards stack-check-compose stack-e2e ## promtool rule tests, config checks, dashboard regeneration check, compose validation, end-to-end stack tests

stack-check-rules:
	@bin=$$(bash stack/build-backends.sh prometheus | cut -d' ' -f2) && \
	  "$$bin/promtool" check rules grafana/rules/*.rules.yml && \
	  "$$bin/promtool" test rules grafana/rules/tests/*.test.yml

stack-check-configs:
	@prom=$$(bash stack/build-backends.sh prometheus | cut -d' ' -f2) && \
	  loki=$$(bash stack/build-backends.sh loki | cut -d' ' -f2) && \
	  "$$prom/promtool" check config stack/config/prometheus.yml && \
	  LLMOTEL_LOKI_DATA_DIR=$$(mktemp -d) "$$loki/loki" -config.file=stack/config/loki.yaml -config.expand-env=true -verify-config

# grafana/dashboard-linter cannot be built here (the module proxy refuses a dependency, see
# stack/README.md); tests/stack/test_stack_dashboards.py checks what it would, offline.
stack-check-dashboards:
	bash grafana/generate.sh --check

stack-check-compose:
	bash stack/check-compose.sh

stack-e2e:
	$(STACK_PYTHON) -m pytest tests/stack -ra -p no:cacheprovider

grafana-dashboards: ## regenerate grafana/dashboards/*.json from grafana/generator
	bash grafana/generate.sh

demo-stack: ## build and start the native stack, run the example apps instrumented into it, print calls/tokens/cost/p95 and a trace id (stack/down stops it)
	bash stack/demo
