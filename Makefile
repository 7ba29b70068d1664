# The two README commands: `make demo` (samples from the shipped models, offline) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

$(VENV)/.installed: setup.py pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,web]'
	touch $@

.PHONY: demo train-demo test test-all bench serve
# Writes samples/ from the trained models in pretrained/: no network, no training.
demo: $(VENV)/.installed
	$(PY) demo.py --output_dir=samples

# A small Sketch-RNN trained on the aaron_sheep set that ships in pretrained/ (offline; ~5 min on 2
# cores; a second run continues it), then samples from it.
train-demo: $(VENV)/.installed
	$(PY) train.py --model=sketch_rnn --category=aaron_sheep --data_dir=pretrained/sketch_rnn_aaron_sheep/examples \
	    --log_root=runs/sketch_rnn/demo_sheep --resume --num_steps=300 --save_every=100 \
	    --hparams="dec_rnn_size=256,enc_rnn_size=128,z_size=64,batch_size=50,bucket_width=25"
	$(PY) sample.py --model=sketch_rnn --run_dir=runs/sketch_rnn/demo_sheep --temperature=0.4 --num_samples=16 \
	    --output=samples/demo_sheep.svg

# The fast lane: the linter and every test not marked slow (in-process, tiny models): a few minutes.
test: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q -m "not slow" tests

# Everything (what CI runs): also the slow lane of subprocess CLI runs, distribution, the browser,
# make demo, the shipped models, exact resume and the conversions against @magenta/sketch.
test-all: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q tests

bench: $(VENV)/.installed
	for b in bench/bench_*.py; do $(PY) $$b; done

serve: $(VENV)/.installed
	$(PY) serve.py
