PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR := build/demo-data
DEMO_MODEL := build/demo-model
DEMO_SERVE ?= 1

.PHONY: install install-dev install-bench demo test lint bench bench-quick bench-quality bench-unseen bench-reliability bench-spark bench-privacy bench-demo-figures bench-foldin bench-intervals bench-planning bench-distribution bench-spark-export-memory bench-store bench-store-postgres clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q -e .

install-dev: $(BIN)/python
	$(BIN)/pip install -q -e '.[dev,spark]'

install-bench: $(BIN)/python
	$(BIN)/pip install -q -e '.[dev,bench]'

demo: install
	$(BIN)/recommender demo-data $(DEMO_DIR)
	$(BIN)/recommender train --data $(DEMO_DIR) --out $(DEMO_MODEL)
	$(BIN)/recommender audience $(DEMO_MODEL) $$($(BIN)/python -c "import json;print(json.load(open('$(DEMO_DIR)/demo.json'))['example_film_id'])") --k 15
	@if [ "$(DEMO_SERVE)" != "0" ]; then scripts/serve_demo.sh $(DEMO_MODEL) $(DEMO_DIR); fi

lint: install-dev
	$(BIN)/ruff check recommender service tests benchmarks scripts
	$(BIN)/mypy

# The tests run in two passes: most of them on every core (pytest-xdist; TEST_WORKERS=0 runs
# them in this process), then the browser tests and the Spark tests side by side, each room
# one test at a time on a worker of its own (its Chromium or JVM started once). Both passes
# always run; make fails if either did.
TEST_WORKERS ?= auto
test: lint
	@status=0; \
	$(BIN)/python -m pytest -n $(TEST_WORKERS) -m "not browser and not spark" || status=$$?; \
	$(BIN)/python -m pytest -n 2 --dist loadgroup -m "browser or spark" || status=$$?; \
	exit $$status

bench: install-bench
	$(BIN)/python benchmarks/run_all.py
	$(BIN)/python scripts/readme_results.py

bench-quick: install-bench
	$(BIN)/python benchmarks/run_all.py --quick

bench-quality: install-dev  # reduced run: make bench-quality QUALITY_ARGS="--variants full sparse5"
	$(BIN)/python benchmarks/bench_calibration.py > /dev/null
	$(BIN)/python benchmarks/quality.py $(QUALITY_ARGS)
	$(BIN)/python scripts/readme_results.py

bench-unseen:  # UNSEEN=DIR holding movietweetings/ratings.dat and movies.dat (README)
	@test -n "$(UNSEEN)" && test -f "$(UNSEEN)/movietweetings/ratings.dat" && \
	test -f "$(UNSEEN)/movietweetings/movies.dat" || { echo "make bench-unseen needs \
	UNSEEN=DIR with DIR/movietweetings/ratings.dat and movies.dat (README, 'On a log nobody \
	tuned on')" >&2; exit 2; }
	$(MAKE) install-dev
	$(BIN)/python benchmarks/quality.py --datasets "$(UNSEEN)" --names movietweetings \
	    --variants full sparse5 --no-lodo --no-lowrank --out benchmarks/results/quality_unseen
	$(BIN)/python scripts/readme_results.py

bench-reliability: install-bench  # quick: make bench-reliability RELIABILITY_ARGS=--quick
	nice -n 10 $(BIN)/python benchmarks/bench_reliability.py $(RELIABILITY_ARGS)

bench-privacy: install-dev  # the demo model's summaries attacked; PRIVACY_ARGS="--films 40"
	@test -f $(DEMO_MODEL)/meta.json || { $(BIN)/recommender demo-data $(DEMO_DIR) && \
	    $(BIN)/recommender train --data $(DEMO_DIR) --out $(DEMO_MODEL); }
	nice -n 10 $(BIN)/python benchmarks/privacy_attack.py $(DEMO_MODEL) $(PRIVACY_ARGS)
	$(BIN)/python scripts/readme_results.py

bench-demo-figures: install-dev  # figures the README states about the demo; DEMO_FIGURES_ARGS="--users 300"
	nice -n 10 $(BIN)/python benchmarks/demo_figures.py $(DEMO_FIGURES_ARGS)
	$(BIN)/python scripts/readme_results.py

# the issue reports the README quotes a block of: each run copies its figures there
bench-store: install-dev  # a reload beside the store's events, the store's look-ups and migration 10
	nice -n 10 $(BIN)/python benchmarks/bench_reload.py
	nice -n 10 $(BIN)/python benchmarks/bench_store_lookups.py
	nice -n 10 $(BIN)/python benchmarks/bench_store_migration.py
	$(BIN)/python scripts/readme_results.py

bench-store-postgres: install-dev  # the store's counts and look-ups on a throwaway PostgreSQL cluster, beside SQLite's runs on their pages
	nice -n 10 $(BIN)/python benchmarks/bench_store_counts.py --postgres
	nice -n 10 $(BIN)/python benchmarks/bench_store_lookups.py --postgres

bench-foldin: install-dev  # FOLDIN_ARGS="--users 50"
	nice -n 10 $(BIN)/python benchmarks/bench_foldin.py $(FOLDIN_ARGS)
	$(BIN)/python scripts/readme_results.py

bench-intervals: install-dev  # INTERVALS_ARGS=--quick writes results/quick/ (the README keeps the full run's)
	nice -n 10 $(BIN)/python benchmarks/bench_intervals.py $(INTERVALS_ARGS)
	$(BIN)/python scripts/readme_results.py

bench-planning: install-dev  # PLANNING_ARGS=--skip-scale leaves out the MovieLens-20M-shaped runs
	nice -n 10 $(BIN)/python benchmarks/bench_planning.py $(PLANNING_ARGS)
	$(BIN)/python scripts/readme_results.py

bench-distribution: install-dev  # DISTRIBUTION_ARGS=--quick writes results/quick/
	nice -n 10 $(BIN)/python benchmarks/bench_distribution.py $(DISTRIBUTION_ARGS)
	$(BIN)/python scripts/readme_results.py

bench-spark-export-memory: install-dev  # trains the demo in a scratch folder; SPARK_EXPORT_ARGS="--ks 10"
	nice -n 10 $(BIN)/python benchmarks/bench_spark_export_memory.py $(SPARK_EXPORT_ARGS)
	$(BIN)/python scripts/readme_results.py

bench-spark: install-dev
	$(BIN)/python benchmarks/spark_agreement.py --seeds 0,1
	$(BIN)/python scripts/readme_results.py

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache
