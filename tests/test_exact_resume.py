"""Exact resume, for each model: N steps uninterrupted equal N/2 steps, a stop, then --resume to N
(the same weights and the same validation figures), whether the stop is the end of a shorter run,
Ctrl-C in the middle of a round, or a SIGKILL after a checkpoint. The checkpoint holds the random
states (dropout, sampled z) and the data pipeline restarts at the checkpoint's step."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from tests.cli import train_in_process
from tests.conftest import ROOT
from tests.test_handwriting_cli import TINY as HANDWRITING_TINY
from tests.test_handwriting_cli import make_npz
from tests.test_sketch_cli import write_tiny_npz

pytestmark = pytest.mark.slow  # the slow lane (make test-all, CI): see pyproject.toml

TEXT = "to be or not to be, that is the question; whether tis nobler in the mind\n" * 20
HPARAMS = {
    # dropout on (the original's recurrent dropout; the char-RNN's output dropout) so that the
    # random states matter; augmentation on for the sketches
    "sketch_rnn": "enc_rnn_size=8,dec_rnn_size=12,z_size=4,num_mixture=2,batch_size=5,recurrent_dropout_prob=0.8",
    "char_rnn": "rnn_size=16,embedding_size=4,seq_length=10,batch_size=4,num_layers=1,output_keep_prob=0.8",
    "handwriting": HANDWRITING_TINY,
}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("resume_data")
    write_tiny_npz(folder / "tiny.npz", np.random.default_rng(0))
    (folder / "play.txt").write_text(TEXT)
    make_npz(folder / "iamondb_lines.npz")
    return {"sketch_rnn": ["--category=tiny", f"--data_dir={folder}"],
            "char_rnn": [f"--data_dir={folder / 'play.txt'}"],
            "handwriting": ["--task=synthesis", f"--data_dir={folder / 'iamondb_lines.npz'}"]}


def command(model, data, run_dir, num_steps, *extra):
    return [sys.executable, os.path.join(ROOT, "train.py"), f"--model={model}", *data[model], f"--log_root={run_dir}",
            f"--num_steps={num_steps}", "--save_every=2", "--seed=7", f"--hparams={HPARAMS[model]}", *extra]


def train(model, data, run_dir, num_steps, *extra):
    """train.py's command line, parsed and run in this process (as the CLI runs it)."""
    train_in_process(*command(model, data, run_dir, num_steps, *extra)[2:])


def final_weights(run_dir):
    """The weights of the newest checkpoint (the run's state at its last step)."""
    import tensorflow as tf
    prefix = tf.train.latest_checkpoint(os.path.join(run_dir, "checkpoints"))
    reader = tf.train.load_checkpoint(prefix)
    names = sorted(n for n in reader.get_variable_to_shape_map() if n.startswith("model/") and "OPTIMIZER" not in n)
    return prefix, {n: reader.get_tensor(n) for n in names}


def assert_same(reference_dir, resumed_dir):
    prefix_a, a = final_weights(reference_dir)
    prefix_b, b = final_weights(resumed_dir)
    assert os.path.basename(prefix_a) == os.path.basename(prefix_b)
    assert a.keys() == b.keys() and a
    worst = max(float(np.max(np.abs(a[k] - b[k]))) for k in a)
    print(f"resumed vs uninterrupted: weights differ by up to {worst:.2e}")
    assert worst < 1e-5, f"weights differ by up to {worst}"
    best_a = json.loads(open(os.path.join(reference_dir, "best.json")).read())
    best_b = json.loads(open(os.path.join(resumed_dir, "best.json")).read())
    assert best_a["step"] == best_b["step"] and best_a["value"] == pytest.approx(best_b["value"], rel=1e-5, abs=1e-6)


@pytest.mark.parametrize("model", ["sketch_rnn", "char_rnn", "handwriting"])
def test_resume_equals_an_uninterrupted_run(model, data, tmp_path, monkeypatch, capsys):
    """6 steps in one go = 4 steps, then --resume to 6 = Ctrl-C at step 3 (the middle of the second
    round: a checkpoint at step 3) then --resume to 6."""
    from run_utils import training
    reference = tmp_path / "reference"
    train(model, data, reference, 6)
    halves = tmp_path / "halves"
    train(model, data, halves, 4)
    train(model, data, halves, 6, "--resume")
    assert_same(reference, halves)

    original = training._StopOnNonFinite.on_train_batch_end

    def ctrl_c_at_step_3(self, batch, logs=None):
        original(self, batch, logs)
        if int(self.model.optimizer.iterations.numpy()) == 3:
            raise KeyboardInterrupt

    interrupted = tmp_path / "interrupted"
    with monkeypatch.context() as patch:
        patch.setattr(training._StopOnNonFinite, "on_train_batch_end", ctrl_c_at_step_3)
        with pytest.raises(SystemExit) as stop:
            train(model, data, interrupted, 6)
    assert stop.value.code == 130 and "Interrupted at step 3" in capsys.readouterr().out
    train(model, data, interrupted, 6, "--resume")
    assert "Resumed from" in capsys.readouterr().out
    assert_same(reference, interrupted)


def test_resume_after_sigkill_equals_an_uninterrupted_run(data, tmp_path):
    """A SIGKILL that lands after a checkpoint: --resume continues from it as if nothing happened.
    The kill comes as soon as the second checkpoint is on disk, far from the run's end (a step takes
    ~0.1 s here), so the resumed run has steps left to do whatever the machine's load."""
    import tensorflow as tf
    steps = 24
    reference = tmp_path / "reference"
    train("sketch_rnn", data, reference, steps)
    killed = tmp_path / "killed"
    process = subprocess.Popen(command("sketch_rnn", data, killed, steps), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    deadline = time.time() + 300
    while not (killed / "checkpoints" / "ckpt-4.index").exists():
        assert time.time() < deadline and process.poll() is None
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL, "the run ended before the kill"
    newest = tf.train.latest_checkpoint(str(killed / "checkpoints"))
    assert newest and int(newest.rsplit("-", 1)[1]) < steps
    train("sketch_rnn", data, killed, steps, "--resume")
    assert_same(reference, killed)
