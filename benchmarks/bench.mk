# Instrumentation overhead benchmark: see benchmarks/README.md. Any python3 >= 3.10 starts it; the script builds and
# reuses its own venv under $${LLMOTEL_CACHE:-~/.cache/llmotel}/bench-venv and writes results to .../bench/.
BENCH_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
BENCH_PYTHON ?= python3

.PHONY: bench bench-quick

# Full run (a few minutes): the figures for a closing note; exits 1 when a bar fails.
bench:
	$(BENCH_PYTHON) $(BENCH_DIR)/bench_overhead.py

# Smoke run for CI (under a minute warm): prints the bars, never fails on them.
bench-quick:
	$(BENCH_PYTHON) $(BENCH_DIR)/bench_overhead.py --quick
