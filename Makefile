# Two commands set everything up on a fresh machine with Python 3.11+:
#   make run    start the server on the embedded SQLite database (./cairn-data)
#   make test   run the whole suite on SQLite and on PostgreSQL
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CAIRN_TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
export CAIRN_TEST_POSTGRES_URL

.PHONY: run test bench install clean

$(BIN)/cairn: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(BIN)/cairn

install: $(BIN)/cairn

run: install
	$(BIN)/cairn serve

test: install
	$(BIN)/pytest

bench: install
	$(BIN)/python -m bench.all

clean:
	rm -rf $(VENV) cairn-data
