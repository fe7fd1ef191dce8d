# Make fragment for SDK-side redaction (llmotel.privacy), included by the root Makefile; paths are
# relative to the repository root. Targets:
#   test-privacy    corpus quality bars (recall, precision), engine and config tests
#   bench-privacy   CPU time per 4 KB mixed Korean/English prompt vs its baseline; fails above 200 us
#   test-privacy-presidio  the optional Presidio backend against real presidio-analyzer and spaCy, in its
#                   own cached virtualenv (tests/privacy/presidio-env.sh; the first run downloads ~400 MB)
#   privacy-corpus  rewrite tests/privacy/corpus/*.jsonl after editing tests/privacy/corpus/generate.py
# Python with llmotel's dependencies and pytest: $(PYTHON) when the root Makefile defines it.
PRIVACY_PYTHON ?= $(if $(PYTHON),$(PYTHON),python3)

.PHONY: test-privacy test-privacy-presidio bench-privacy privacy-corpus

test-privacy: ## privacy: corpus quality bars (recall, precision), redaction engine and config tests
	PYTHONPATH=src $(PRIVACY_PYTHON) -m pytest tests/privacy -q -ra -p no:cacheprovider

test-privacy-presidio: ## privacy: Presidio backend against real presidio-analyzer + spaCy (own cached venv)
	@python=$$(bash tests/privacy/presidio-env.sh) && \
	  PYTHONPATH=src "$$python" -m pytest tests/privacy/test_privacy_presidio.py -q -ra -p no:cacheprovider

bench-privacy: ## privacy: redaction CPU time per 4 KB prompt vs json.dumps baseline (bar 200 us)
	PYTHONPATH=src $(PRIVACY_PYTHON) benchmarks/bench_redaction.py

privacy-corpus: ## privacy: rewrite tests/privacy/corpus/*.jsonl from generate.py
	$(PRIVACY_PYTHON) tests/privacy/corpus/generate.py
