# The two README commands: `make demo` (train a small Sketch-RNN, write sample SVGs) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

$(VENV)/.installed: setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,web]'
	touch $@

.PHONY: demo test bench
# --resume: a second `make demo` continues (or just re-samples) the demo run instead of refusing it.
demo: $(VENV)/.installed
	$(PY) train.py --model=sketch_rnn --category=aaron_sheep --log_root=runs/sketch_rnn/demo_sheep --resume \
	    --num_steps=300 --save_every=100 \
	    --hparams="dec_rnn_size=256,enc_rnn_size=128,z_size=64,batch_size=50,max_seq_len=250"
	$(PY) sample.py --model=sketch_rnn --run_dir=runs/sketch_rnn/demo_sheep --temperature=0.4 --num_samples=16 \
	    --output=samples/sheep.svg

test: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q tests

bench: $(VENV)/.installed
	for b in bench/bench_*.py; do $(PY) $$b; done
