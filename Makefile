# llmotel: one entry point for building and testing every part. `make help` lists the targets.
#   make demo          - build what is needed, start the native stack, run the instrumented example apps into it,
#                        print a report read back from the backends (the stack keeps running: stack/down stops it)
#   make demo-console  - just the instrumented example app against the stand-in server, spans printed to the console
#   make test          - every test and check (what CI runs)
SHELL := /bin/bash
export LLMOTEL_CACHE ?= $(HOME)/.cache/llmotel
export GOTOOLCHAIN := local
export CGO_ENABLED := 0
# A Python with llmotel and its dev dependencies (virtualenv cached outside the clone), made on first use.
export PYTHON ?= $(shell ./scripts/python-env.sh)
ifeq ($(PYTHON),)
$(error scripts/python-env.sh could not make the Python environment; run it by hand to see why)
endif

.PHONY: help demo demo-console test test-python lint typecheck semconv-check

help:
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

demo: demo-stack ## the whole pipeline: build, start the native stack, run the example apps, print a report

demo-console: ## run examples/chat_app.py under opentelemetry-instrument, spans to the console (no stack)
	$(PYTHON) -m llmotel.cli demo

include collector/collector.mk collector/processor/llmcostprocessor/cost.mk stack/stack.mk tests/privacy/privacy.mk \
	benchmarks/bench.mk

test: lint typecheck semconv-check test-python test-cost test-collector test-stack ## every check and test
	@echo "make test: all checks passed"

lint: ## ruff check and format check of the Python code
	$(PYTHON) -m ruff check src tests examples semconv benchmarks
	$(PYTHON) -m ruff format --check src/llmotel/core src/llmotel/providers src/llmotel/frameworks src/llmotel/standin src/llmotel/tracing.py src/llmotel/configure.py src/llmotel/cli.py

typecheck: ## mypy (strict) on the public API and core
	$(PYTHON) -m mypy src/llmotel

semconv-check: ## src/llmotel/semconv.py is what semconv/registry.yaml generates
	$(PYTHON) semconv/generate.py --check

test-python: ## pytest: instrumentation, stand-in server, privacy (the collector and stack suites run in their targets)
	$(PYTHON) -m pytest -q -p no:cacheprovider tests/instrumentation tests/standin tests/privacy
