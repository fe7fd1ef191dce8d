# Make fragment of llmotel's collector distribution; included by the root Makefile and run
# from the repository root. Defines only the targets below.
#   make collector-build   build (or reuse from $LLMOTEL_CACHE) the llmotelcol binary
#   make test-collector    generated sources up to date, shipped configs valid and free of
#                          deprecated names, Go unit tests of our components, pytest tests/collector
#   make bench-collector   spans/s per core: redaction + cost, and the shipped gateway, vs OTLP pass-through

.PHONY: collector-build test-collector bench-collector

collector-build: ## build (or reuse from $LLMOTEL_CACHE) the llmotelcol collector binary
	@bash collector/build.sh

test-collector: ## collector: generated sources, config validation, Go unit tests, pytest tests/collector
	@bash collector/build.sh --check-generated
	@bash collector/check-configs.sh "$$(bash collector/build.sh | tail -n 1)"
	@cd collector/processor/llmredactprocessor && GOTOOLCHAIN=local CGO_ENABLED=0 nice go test -count=1 ./...
	@LLMOTEL_COLLECTOR_BIN="$$(bash collector/build.sh | tail -n 1)" \
		$(if $(PYTHON),$(PYTHON),python3) -m pytest -q -p no:cacheprovider tests/collector

bench-collector: ## collector throughput: redaction+cost and gateway vs OTLP pass-through
	@LLMOTEL_COLLECTOR_BIN="$$(bash collector/build.sh | tail -n 1)" \
		$(if $(PYTHON),$(PYTHON),python3) benchmarks/collector/bench.py
