# llmcost: the collector's token-cost processor and connector (Go module in this folder) and the
# price-table tooling in pricing/. Included by the root Makefile; defines only the target test-cost.
# Go test results and modules are cached in Go's own caches (outside the clone), so a warm run only
# re-runs what changed; the hash of pricing/prices.yaml is passed in so that an edited table re-runs
# the tests that pin its facts (go test does not watch files outside the module).

.PHONY: test-cost
test-cost: ## llmcost processor/connector (gofmt, go vet, go test) and pricing scripts (ruff, mypy, pytest)
	@echo "test-cost: gofmt, go vet, go test (collector/processor/llmcostprocessor)"
	@cd collector/processor/llmcostprocessor && unformatted=$$(gofmt -l .) && \
	  if [ -n "$$unformatted" ]; then echo "test-cost: run gofmt -w on: $$unformatted"; exit 1; fi
	cd collector/processor/llmcostprocessor && GOTOOLCHAIN=local CGO_ENABLED=0 go vet ./... && \
	  LLMOTEL_PRICE_TABLE_SHA256=$$(sha256sum ../../../pricing/prices.yaml | cut -c1-64) \
	  GOTOOLCHAIN=local CGO_ENABLED=0 nice go test ./...
	@echo "test-cost: ruff, mypy, pytest (pricing/, tests/pricing/)"
	$(or $(PYTHON),python3) -m ruff check pricing tests/pricing
	$(or $(PYTHON),python3) -m ruff format --check pricing tests/pricing
	$(or $(PYTHON),python3) -m mypy --strict --cache-dir "$${LLMOTEL_CACHE:-$$HOME/.cache/llmotel}/mypy-cost" pricing/diff_upstream.py
	$(or $(PYTHON),python3) -m pytest -q -p no:cacheprovider tests/pricing
