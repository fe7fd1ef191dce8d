# Make fragment: llmotel's instrumentation overhead benchmark (benchmarks/README.md). Included by the root Makefile;
# paths are relative to the repository root. Any python3 >= 3.10 starts it: the script builds (once) and re-runs
# itself in its own venv under $${LLMOTEL_CACHE:-~/.cache/llmotel}/bench-venv, and writes its results to .../bench/.
#   bench        full run (a few minutes): the figures for a closing note; exits 1 when a bar fails
#   bench-quick  smoke run for CI (under a minute warm): prints the bars, never fails on them
#   bench-providers  per-provider plain-call overhead against a generic floor, in the dev venv (ARGS=--quick)
BENCH_PYTHON ?= $(if $(PYTHON),$(PYTHON),python3)

.PHONY: bench bench-quick bench-providers

bench: ## instrumentation overhead benchmark, full run: llmotel vs bare, floor and official OTel (exit 1 on a failed bar)
	$(BENCH_PYTHON) benchmarks/bench_overhead.py

bench-quick: ## instrumentation overhead benchmark, smoke run (< 60 s warm): prints the bars, never fails on them
	$(BENCH_PYTHON) benchmarks/bench_overhead.py --quick

bench-providers: ## per-provider overhead (plain call: openai, groq, mistralai, cohere, ollama, google-genai); ARGS=--quick
	$(PYTHON) benchmarks/bench_providers.py $(ARGS)
