"""Char-RNN end to end through the command line: train.py, sample.py, and the SavedModel loaded
by a fresh Python process that imports nothing of this project."""
import json
import os
import re
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.slow  # the slow lane (make test-all, CI): see pyproject.toml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEXT = "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n" * 6

LOAD_SAVED_MODEL = textwrap.dedent("""
    import json, sys
    import tensorflow as tf
    path, prime = sys.argv[1], sys.argv[2]
    m = tf.saved_model.load(path)
    out = {
        "sample": m.generate(prime=prime, steps=40, temperature=0.8, top_k=0, seed=3)["text"].numpy().decode(),
        "sample_again": m.generate(prime=prime, steps=40, temperature=0.8, top_k=0, seed=3)["text"].numpy().decode(),
        "top1": m.generate(prime=prime, steps=25, temperature=1.0, top_k=1, seed=9)["text"].numpy().decode(),
        "greedy": m.signatures["greedy"](prime=tf.constant(prime), steps=tf.constant(25))["text"].numpy().decode(),
        "project_modules": sorted(k for k in sys.modules
                                  if k.split(".")[0] in ("char_rnn", "data_utils", "run_utils", "train", "sample")),
    }
    try:
        m.generate(prime="Zq#", steps=5, temperature=1.0, top_k=0, seed=0)
    except tf.errors.InvalidArgumentError as e:
        out["error"] = e.message
    print(json.dumps(out))
""")


def run(args, cwd, check=True):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"{args} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("char_cli")
    data = tmp / "play.txt"
    data.write_text(TEXT, encoding="utf-8")
    run_dir = tmp / "run"
    proc = run([sys.executable, os.path.join(ROOT, "train.py"), "--model=char_rnn", f"--data_dir={data}",
                f"--log_root={run_dir}", "--num_steps=4", "--save_every=2", "--seed=1",
                "--hparams=rnn_size=16,embedding_size=8,seq_length=20,batch_size=4,valid_fraction=0.2"], cwd=tmp)
    return tmp, run_dir, proc.stdout


def test_train_cli_writes_a_complete_run(trained_run):
    _, run_dir, stdout = trained_run
    config = json.loads((run_dir / "config.json").read_text())
    vocab = json.loads((run_dir / "vocab.json").read_text(encoding="utf-8"))["chars"]
    cut = round(len(TEXT) * 0.8)
    assert vocab == sorted(set(TEXT[:cut]))                   # built from the training split only
    assert config["vocab_size"] == len(vocab) and config["rnn_size"] == 16 and config["num_steps"] == 4
    assert open(run_dir / "data_dir.txt").read().endswith("play.txt")
    assert (run_dir / "best.weights.h5").exists() and (run_dir / "saved_model" / "saved_model.pb").exists()
    assert any(n.startswith("ckpt-4") for n in os.listdir(run_dir / "checkpoints"))
    assert os.listdir(run_dir / "logs")
    assert f"{cut} train / {len(TEXT) - cut} valid characters" in stdout
    assert "val_bpc" in stdout and "bits/char" in stdout and "chars/s" in stdout


def test_sample_cli_writes_samples_that_start_with_the_prime(trained_run):
    tmp, run_dir, _ = trained_run
    out = tmp / "samples.txt"
    run([sys.executable, os.path.join(ROOT, "sample.py"), "--model=char_rnn", f"--run_dir={run_dir}",
         "--prime=All:", "--steps=30", "--num_samples=2", "--temperature=0.8", "--top_k=5", "--seed=2",
         f"--output={out}"], cwd=tmp)
    text = out.read_text(encoding="utf-8")
    parts = text.split("===== sample ")[1:]
    assert len(parts) == 2
    vocab = set(json.loads((run_dir / "vocab.json").read_text(encoding="utf-8"))["chars"])
    for i, part in enumerate(parts):
        header, body = part.split(" =====\n", 1)
        assert header == str(i + 1)
        body = body[:-1]  # the newline after each sample
        assert body.startswith("All:") and len(body) == 4 + 30 and set(body) <= vocab
    bad = run([sys.executable, os.path.join(ROOT, "sample.py"), "--model=char_rnn", f"--run_dir={run_dir}",
               "--prime=ROMEO@", "--steps=5"], cwd=tmp, check=False)
    assert bad.returncode != 0
    assert "Characters not in the model's alphabet: '@', 'E', 'M', 'O', 'R'" in bad.stderr


def test_saved_model_runs_without_project_code(trained_run):
    tmp, run_dir, _ = trained_run
    script = tmp / "load_saved_model.py"
    script.write_text(LOAD_SAVED_MODEL)
    # -I: isolated mode (no script-dir/cwd on sys.path, no PYTHONPATH); cwd outside the project
    proc = run([sys.executable, "-I", str(script), str(run_dir / "saved_model"), "All:"], cwd=tmp)
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    vocab = set(json.loads((run_dir / "vocab.json").read_text(encoding="utf-8"))["chars"])
    assert out["project_modules"] == []
    assert out["sample"].startswith("All:") and len(out["sample"]) == 4 + 40 and set(out["sample"]) <= vocab
    assert out["sample_again"] == out["sample"]               # same seed, same text
    assert out["top1"] == out["greedy"] and len(out["greedy"]) == 4 + 25
    assert "not in the vocabulary of this model:] [Z q #]" in out["error"]


def test_saved_model_refuses_edge_inputs(trained_run):
    """Issue 10 item 7: temperature 0 or -1, a [2] prime, a negative length are clear errors."""
    import tensorflow as tf
    _, run_dir, _ = trained_run
    generate = tf.saved_model.load(str(run_dir / "saved_model")).signatures["generate"]
    good = dict(prime=tf.constant("All"), steps=tf.constant(5), temperature=tf.constant(0.8),
                top_k=tf.constant(0), seed=tf.constant(1))
    assert generate(**good)["text"].numpy().decode().startswith("All")
    for change, message in [({"temperature": tf.constant(0.0)}, "temperature must be in (0, 100]"),
                            ({"temperature": tf.constant(-1.0)}, "temperature must be in (0, 100]"),
                            ({"prime": tf.constant([["All"]])}, "prime must be a string or a vector"),
                            ({"steps": tf.constant(-1)}, "steps must be in [0, 100000]"),
                            ({"top_k": tf.constant(-2)}, "top_k must be in [0,"),
                            ({"prime": tf.constant("")}, "The prime is empty")]:
        with pytest.raises(tf.errors.InvalidArgumentError, match=re.escape(message)):
            generate(**{**good, **change})


def test_saved_model_batches_primes_of_different_lengths(trained_run):
    """Several primes in one call (left-padded, masked) give what each gives alone."""
    import tensorflow as tf
    _, run_dir, _ = trained_run
    m = tf.saved_model.load(str(run_dir / "saved_model"))
    primes = ["All", "Speak, sp", "F"]
    batched = [t.decode() for t in m.greedy(prime=tf.constant(primes), steps=tf.constant(12))["text"].numpy()]
    alone = [m.greedy(prime=tf.constant(p), steps=tf.constant(12))["text"].numpy().decode() for p in primes]
    assert batched == alone and all(t.startswith(p) and len(t) == len(p) + 12 for t, p in zip(batched, primes))
    mixed = m.generate(prime=tf.constant(primes), steps=tf.constant(30), temperature=tf.constant([1.0, 50.0, 1.0]),
                       top_k=tf.constant([1, 0, 1]), seed=tf.constant(4))["text"].numpy()  # one setting per row
    greedy = [m.greedy(prime=tf.constant(p), steps=tf.constant(30))["text"].numpy().decode() for p in primes]
    assert mixed[0].decode() == greedy[0] and mixed[2].decode() == greedy[2] and mixed[1].decode() != greedy[1]


def test_sample_cli_refuses_bad_counts(trained_run):
    """Issue 10 item 8: --num_samples=0 is not silently the default; bad values are named."""
    from char_rnn import sample
    from tests.cli import sample_run
    tmp, run_dir, _ = trained_run
    base = dict(run_dir=str(run_dir), export_dir=None, prime="All", temperature=None, greedy=False, seed=1,
                steps=5, num_samples=None, top_k=0, output=str(tmp / "never.txt"))
    for change, message in [({"num_samples": 0}, "--num_samples must be between 1 and 1,024; got 0"),
                            ({"steps": -5}, "--steps must be between 0 and 100,000; got -5"),
                            ({"top_k": -1}, "--top_k must be >= 0"),
                            ({"temperature": -1.0}, "--temperature must be a number in (0, 100]; got -1.0")]:
        with pytest.raises(ValueError, match=re.escape(message)):
            sample.main(sample_run("char_rnn", **{**base, **change}))
    assert not (tmp / "never.txt").exists()


def test_export_holds_the_weights_only(trained_run):
    """The SavedModel written at the end of training (from a compiled model) holds the model's
    weights and no optimizer slots (which would triple its size), and they read back exactly."""
    import numpy as np
    import tensorflow as tf

    from char_rnn.sample import load_trained_with_vocabulary
    from run_utils.training import restore_exported_weights
    _, run_dir, _ = trained_run
    names = [name for name, _ in tf.train.list_variables(str(run_dir / "saved_model" / "variables" / "variables"))]
    weights = [n for n in names if n.startswith("model_weights/")]
    assert weights and not [n for n in names if "optimizer" in n.lower() or "iteration" in n.lower()], names
    _, _, model = load_trained_with_vocabulary(str(run_dir))  # the best weights
    expected = [w.copy() for w in model.get_weights()]
    for w in model.weights:
        w.assign(tf.zeros_like(w))
    restore_exported_weights(model, str(run_dir / "saved_model" / "variables" / "variables"))
    for a, b in zip(expected, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_fine_tuning_starts_from_the_source_weights_and_vocabulary(trained_run):
    """--init_from: a new run on another text starts from the source's weights with a fresh step
    count, and keeps the source's architecture and vocabulary without any --hparams."""
    tmp, run_dir, _ = trained_run
    other = tmp / "other.txt"
    other.write_text("Speak, speak. All: hear me.\n" * 20, encoding="utf-8")  # characters of the source's alphabet
    tuned = tmp / "tuned"
    proc = run([sys.executable, os.path.join(ROOT, "train.py"), "--model=char_rnn", f"--data_dir={other}",
                f"--log_root={tuned}", "--num_steps=2", "--save_every=2", f"--init_from={run_dir}"], cwd=tmp)
    assert f"Starting from the weights in {run_dir / 'best.weights.h5'}" in proc.stdout
    assert json.loads((tuned / "config.json").read_text())["rnn_size"] == 16  # not the default 128
    assert (tuned / "vocab.json").read_text(encoding="utf-8") == (run_dir / "vocab.json").read_text(encoding="utf-8")
    assert sorted(n for n in os.listdir(tuned / "checkpoints") if n.endswith(".index")) == ["ckpt-2.index"]

    bad = tmp / "bad.txt"
    bad.write_text("Speak@ speak.\n" * 20, encoding="utf-8")
    refused = run([sys.executable, os.path.join(ROOT, "train.py"), "--model=char_rnn", f"--data_dir={bad}",
                   f"--log_root={tmp / 'never'}", "--num_steps=2", f"--init_from={run_dir}"], cwd=tmp, check=False)
    assert refused.returncode == 1 and "Characters not in the model's alphabet: '@'" in refused.stderr
    missing = run([sys.executable, os.path.join(ROOT, "train.py"), "--model=char_rnn", f"--data_dir={other}",
                   f"--log_root={tmp / 'never'}", "--num_steps=2", f"--init_from={tmp}"], cwd=tmp, check=False)
    assert missing.returncode == 1 and f"--init_from={tmp} has no config.json" in missing.stderr
    assert not (tmp / "never").exists()


def test_init_from_copies_the_weights_exactly_and_not_the_optimizer(trained_run, tmp_path):
    import numpy as np

    from char_rnn.config import CharRNNConfig
    from char_rnn.model import build_model
    from run_utils.training import fit_resumable, load_trained
    _, run_dir, _ = trained_run
    config, source = load_trained(str(run_dir), CharRNNConfig, build_model)
    model = build_model(config)
    assert fit_resumable(model, None, None, str(tmp_path / "new"), num_steps=0, save_every=1,
                         init_from=str(run_dir)) is None
    for a, b in zip(source.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert int(model.optimizer.iterations.numpy()) == 0
    assert all(not np.any(v.numpy()) for v in model.optimizer.variables if v is not model.optimizer.iterations)
