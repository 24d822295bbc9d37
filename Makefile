# MFI Assistant: `make run` starts everything, `make test` checks everything (CI runs it).
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
MODEL := models/mfi.tar.gz
# Rasa 3.6 needs Python 3.10: take it from PATH, pyenv, or the system.
PYTHON310 ?= $(shell for p in python3.10 $$HOME/.pyenv/versions/3.10*/bin/python3.10 /usr/local/bin/python3.10 /usr/bin/python3.10; do \
	if $$p -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' >/dev/null 2>&1; then echo $$p; break; fi; done)
# what the model depends on (catalogs, lexicons, lessons and the glossary are read at run time)
TRAINING_INPUTS := config.yml domain.yml $(shell find data/nlu data/rules data/stories bot/nlu -type f \( -name '*.yml' -o -name '*.py' \) 2>/dev/null)
export TF_CPP_MIN_LOG_LEVEL := 3
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PYTHONHASHSEED := 0
# Rasa's telemetry would try to reach the internet
export RASA_TELEMETRY_ENABLED := false

.PHONY: help install services run run-prod test lint validate train rasa-test pytest browser lock clean telegram-webhook telegram-poll bench

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.lock
	@test -n "$(PYTHON310)" || { echo "Python 3.10 is needed (Rasa 3.6 supports up to 3.10)"; exit 1; }
	test -x $(PY) || $(PYTHON310) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip==24.0
	$(PY) -m pip install --quiet --no-deps -r requirements.lock
	$(PY) -m pip check
	$(RASA) telemetry disable >/dev/null
	touch $@

install: $(VENV)/.installed ## Create the virtualenv and install the locked dependencies

$(MODEL): $(TRAINING_INPUTS) | $(VENV)/.installed
	$(RASA) train --fixed-model-name mfi --out models --num-threads 2 --force
	touch $@

train: $(MODEL) ## Train the model (only when data, config or domain changed)

run: $(MODEL) ## Start the action server, Rasa (REST on :5005) and the staff console; Ctrl-C stops all
	$(PY) -m bot.run

run-prod: $(MODEL) ## Production mode: 2 Rasa servers on PostgreSQL, Redis, RabbitMQ behind :5005 (prod.env)
	$(PY) -m bot.run --production

services: install ## Start the local PostgreSQL, Redis and RabbitMQ if they are down
	$(PY) -m bot.production services

validate: install ## Check training data, domain and translations
	$(RASA) data validate --max-history 5
	$(PY) -m bot.i18n check

lint: install ## ruff
	$(VENV)/bin/ruff check bot actions tests bench
	$(VENV)/bin/ruff format --check bot actions tests bench

rasa-test: $(MODEL) ## Test stories end to end through NLU and dialogue
	$(RASA) test core --model $(MODEL) --stories tests/stories --fail-on-prediction-errors --out results/core --no-plot

browser: ## Headless Chromium for the browser tests (Debian's packages; nothing downloads a browser)
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			(apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null) \
			|| echo "could not install chromium: the browser tests will be skipped"; \
		else echo "run 'sudo apt-get install chromium chromium-driver' for the browser tests"; fi; \
	fi

pytest: $(MODEL) browser ## Unit, integration and browser tests
	$(PY) -m pytest -q

test: install services lint validate train rasa-test pytest ## Everything CI checks

lock: ## Re-resolve requirements.in into requirements.lock (needs the network)
	rm -rf .venv-lock && $(PYTHON310) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet --upgrade pip==24.0
	.venv-lock/bin/pip install --quiet -r requirements.in
	.venv-lock/bin/pip check
	.venv-lock/bin/pip freeze --all --exclude-editable | grep -v '^pip==' | sort -f > requirements.lock
	rm -rf .venv-lock

telegram-webhook: ## Register the Telegram webhook (TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_SECRET, TELEGRAM_WEBHOOK_URL)
	$(PY) -m bot.channels.telegram set-webhook

telegram-poll: ## Relay Telegram updates to the local Rasa of `make run` (no public URL needed)
	$(PY) -m bot.channels.telegram poll

# load benchmark of a running assistant (make run, or a production deployment)
BENCH_URL ?= http://127.0.0.1:5005
BENCH_USERS ?= 20
BENCH_SPAWN_RATE ?= 5
BENCH_DURATION ?= 60s
BENCH_MODE ?= embedded

bench: install ## Load-test the running assistant at BENCH_URL (BENCH_USERS, BENCH_DURATION, BENCH_MODE); report in results/bench/
	BENCH_MODE=$(BENCH_MODE) $(VENV)/bin/locust -f bench/locustfile.py --headless --only-summary \
		-u $(BENCH_USERS) -r $(BENCH_SPAWN_RATE) -t $(BENCH_DURATION) --host $(BENCH_URL)

clean: ## Remove the virtualenv, models and local data
	rm -rf $(VENV) models var results .rasa
