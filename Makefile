# The README names two targets: `make run` (install, then the main job) and `make test`.
VENV ?= .venv
BIN := $(VENV)/bin
SEED := deepseek-vl2-small qwen3-vl-4b-instruct
SEED_PAGE := out/deepseek-vl2-small-vs-qwen3-vl-4b-instruct.html

.PHONY: run compare test lint bench golden clean

$(BIN)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --editable '.[dev]'
	touch $@

run: $(BIN)/.installed
	$(BIN)/modelvs serve --host 127.0.0.1 --port 8000

# The seed comparison in the terminal and as a self-contained HTML page.
compare: $(BIN)/.installed
	$(BIN)/modelvs compare $(SEED)
	$(BIN)/modelvs compare $(SEED) --format html --output $(SEED_PAGE)

lint: $(BIN)/.installed
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

test: lint
	$(BIN)/modelvs data check
	$(BIN)/pytest

bench: $(BIN)/.installed
	$(BIN)/python bench/compare_render.py
	$(BIN)/python bench/export_site.py
	$(BIN)/python bench/web_load.py
	$(BIN)/python bench/arena_ratings.py
	$(BIN)/python bench/arena_votes.py
	$(BIN)/python bench/run_overhead.py

# Rewrite the whole-output files that tests/test_cli.py compares against; review the diff.
golden: $(BIN)/.installed
	$(BIN)/modelvs --data tests/fixtures/catalog compare alpha-moe-16b-a3b beta-4b \
		--as-of 2026-12-04 --format text > tests/golden/alpha-vs-beta.txt
	$(BIN)/modelvs --data tests/fixtures/catalog compare alpha-moe-16b-a3b beta-4b \
		--as-of 2026-12-04 --format markdown > tests/golden/alpha-vs-beta.md

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
