"""tf.distribute training: one step on two replicas equals one step on one device with the same
global batch (all three models, two logical CPUs under MirroredStrategy), and a two-process
multi-worker run on 127.0.0.1 trains, writes one set of files, and resumes."""
import json
import os
import socket
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # the slow lane (make test-all, CI): see pyproject.toml

SCRIPT = os.path.join(ROOT, "tests", "distribute_equivalence.py")


def equivalence(model, *extra):
    result = subprocess.run([sys.executable, SCRIPT, model, *extra], cwd=ROOT, capture_output=True, text=True,
                            timeout=600, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("model", ["sketch_rnn", "char_rnn", "handwriting"])
def test_two_replicas_train_like_one_device(model):
    out = equivalence(model)
    assert out["replicas"] == 2
    assert out["max_abs_update"] > 1e-3  # the weights did move
    # float32 sums in another order: differences far below the size of the updates
    assert out["max_abs_diff"] < 1e-3 * out["max_abs_update"], out


def test_keras_own_aggregation_would_differ():
    """The same comparison with each replica's mean loss clipped before the sum (Keras' clipvalue)
    is far off: the test above can tell."""
    out = equivalence("sketch_rnn", "naive")
    assert out["max_abs_diff"] > 0.1 * out["max_abs_update"], out


def test_strategy_errors_are_clear(monkeypatch):
    from run_utils import distribute
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ValueError, match="needs the TF_CONFIG environment variable"):
        distribute.make_strategy("multi_worker")
    monkeypatch.setenv("TF_CONFIG", "{cluster")
    with pytest.raises(ValueError, match="TF_CONFIG is not valid JSON"):
        distribute.make_strategy("multi_worker")
    assert distribute.is_chief(distribute.make_strategy("none"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def two_workers(args, tmp_path):
    ports = [free_port(), free_port()]
    procs = []
    for index in range(2):
        tf_config = {"cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]},
                     "task": {"type": "worker", "index": index}}
        env = {**os.environ, "TF_CONFIG": json.dumps(tf_config), "TF_CPP_MIN_LOG_LEVEL": "3"}
        log = open(tmp_path / f"worker{index}.log", "w")
        procs.append((subprocess.Popen([sys.executable, "train.py", *args], cwd=ROOT, env=env, stdout=log,
                                       stderr=subprocess.STDOUT), log))
    outputs = []
    for index, (proc, log) in enumerate(procs):
        try:
            code = proc.wait(timeout=300)
        finally:
            if proc.poll() is None:
                proc.kill()
            log.close()
        text = (tmp_path / f"worker{index}.log").read_text()
        assert code == 0, text[-3000:]
        outputs.append(text)
    return outputs


def test_multi_worker_trains_writes_once_and_resumes(tmp_path):
    text = tmp_path / "play.txt"
    text.write_text("to be or not to be that is the question\n" * 40)
    run_dir = tmp_path / "run"
    args = ["--model=char_rnn", "--distribute=multi_worker", f"--data_dir={text}", f"--log_root={run_dir}",
            "--save_every=2", "--hparams=rnn_size=8,embedding_size=4,seq_length=10,batch_size=4,num_layers=1"]
    chief, other = two_workers(args + ["--num_steps=4"], tmp_path)
    assert "Training on 2 replicas (multi_worker)." in chief and "SavedModel written" in chief
    assert "SavedModel written" not in other  # only the chief writes
    files = sorted(f for f in os.listdir(run_dir) if f != ".lock")
    assert files == ["best.json", "best.weights.h5", "checkpoints", "config.json", "data_dir.txt", "eval.json",
                     "logs", "saved_model", "seed.txt", "vocab.json"]
    assert sorted(os.listdir(run_dir / "checkpoints")) == ["checkpoint", "ckpt-2.data-00000-of-00001",
                                                           "ckpt-2.index", "ckpt-4.data-00000-of-00001",
                                                           "ckpt-4.index"]
    # both workers log the same (globally averaged) figures
    last = [[line for line in out.splitlines() if line.startswith("2/2")][-1] for out in (chief, other)]
    assert last[0].split(" - loss: ")[1] == last[1].split(" - loss: ")[1]
    chief, other = two_workers(args + ["--num_steps=6", "--resume"], tmp_path)
    assert "at step 4" in chief and "at step 4" in other
    assert "ckpt-6.index" in os.listdir(run_dir / "checkpoints")
