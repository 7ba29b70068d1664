"""Run directories under bad flags, two trainers, resumes and interrupted saves (issue 10 items
2, 5, 6, 9): nothing lost, nothing silent, nothing left behind that looks like a run."""
import os

import pytest

from run_utils.rundir import RunLocked, locked_run_dir, newest_run
from run_utils.training import CheckpointError, restore_weights
from tests.cli import train_run

TEXT = "to be or not to be, that is the question\n" * 30
CHAR_HPARAMS = "rnn_size=8,embedding_size=4,seq_length=10,batch_size=4,num_layers=1"


def char_flags(tmp_path, run_dir, **kw):
    text = tmp_path / "play.txt"
    if not text.exists():
        text.write_text(TEXT)
    base = dict(data_dir=str(text), log_root=str(run_dir), hparams=CHAR_HPARAMS, num_steps=4, save_every=2,
                resume=False, seed=1, init_from=None)
    base.update(kw)
    return train_run("char_rnn", **base)


@pytest.mark.parametrize("flag,value", [("num_steps", 0), ("save_every", 0), ("num_steps", -3), ("save_every", -1)])
@pytest.mark.parametrize("model", ["sketch_rnn", "handwriting", "char_rnn"])
def test_bad_schedule_is_an_error_and_leaves_no_run_directory(tmp_path, model, flag, value):
    import importlib
    train = importlib.import_module(f"{model}.train")
    run_dir = tmp_path / "run"
    own = {"sketch_rnn": {"category": ["nowhere"]}}.get(model, {})  # never reached: the config is checked first
    run = train_run(model, data_dir=str(tmp_path / "nowhere"), log_root=str(run_dir), seed=1, **{flag: value}, **own)
    with pytest.raises(ValueError, match=rf"{flag} must be a positive integer; got {value}"):
        train.main(run)
    assert not run_dir.exists()


def test_negative_learning_rate_is_refused():
    from sketch_rnn.config import SketchRNNConfig
    with pytest.raises(ValueError, match=r"learning_rate must be a finite number > 0; got -1.0 \(--hparams"):
        SketchRNNConfig(learning_rate=-1.0)
    with pytest.raises(ValueError, match="decay_rate is a per-step decay factor"):
        SketchRNNConfig(decay_rate=1.5)


@pytest.mark.slow  # trains
def test_a_second_trainer_on_the_same_run_directory_is_refused(tmp_path):
    from char_rnn import train
    run_dir = tmp_path / "run"
    with locked_run_dir(str(run_dir)):
        with pytest.raises(RunLocked, match=rf"in use by another training process \(pid {os.getpid()}\)"):
            train.main(char_flags(tmp_path, run_dir))
    assert not (run_dir / "checkpoints").exists()
    with locked_run_dir(str(run_dir)):  # released again
        pass


@pytest.fixture(scope="module")
def char_run_template(tmp_path_factory):
    """A char-RNN trained 4 steps once per module (checkpoints 2 and 4, best weights, export)."""
    from char_rnn import train
    tmp = tmp_path_factory.mktemp("template")
    train.main(char_flags(tmp, tmp / "run"))
    return tmp / "run"


@pytest.fixture
def trained_char_run(tmp_path, char_run_template):
    """A copy of the trained run of this module's template, its data remembered in this test's tmp_path."""
    import shutil

    from run_utils.rundir import remember_data_dir
    run_dir = tmp_path / "run"
    shutil.copytree(char_run_template, run_dir)
    (tmp_path / "play.txt").write_text(TEXT)
    remember_data_dir(str(run_dir), str(tmp_path / "play.txt"))
    return run_dir


@pytest.mark.slow  # trains
def test_resume_names_the_dropped_hparams_and_keeps_the_schedule_ones(tmp_path, trained_char_run, capsys):
    from char_rnn import train
    capsys.readouterr()
    train.main(char_flags(tmp_path, trained_char_run, resume=True, num_steps=6,
                          hparams=CHAR_HPARAMS.replace("rnn_size=8", "rnn_size=32") + ",output_keep_prob=0.5"))
    out = capsys.readouterr().out
    assert ("dropped --hparams overrides: rnn_size=32, output_keep_prob=0.5 "
            "(the run has rnn_size=8, output_keep_prob=0.9)") in out
    assert "Resumed from" in out and "at step 4" in out


@pytest.mark.slow  # trains
def test_resume_after_a_save_interrupted_before_the_state_file(tmp_path, trained_char_run, capsys):
    """A kill after ckpt-4's files but before the `checkpoint` state file names it: resume from
    ckpt-4 (not from ckpt-2 or step 0) and say so; stray ckpt-N_temp folders are removed."""
    from char_rnn import train
    folder = trained_char_run / "checkpoints"
    state = (folder / "checkpoint").read_text()
    (folder / "checkpoint").write_text(state.replace("ckpt-4", "ckpt-2"))
    os.makedirs(folder / "ckpt-6_temp")
    (folder / "ckpt-6_temp" / "part-00000-of-00001.data-00000-of-00001").write_bytes(b"half")
    capsys.readouterr()
    train.main(char_flags(tmp_path, trained_char_run, resume=True, num_steps=6))
    out = capsys.readouterr().out
    assert "names ckpt-2, but the newer complete checkpoint ckpt-4 exists" in out
    assert "at step 4" in out
    assert not (folder / "ckpt-6_temp").exists()
    (folder / "checkpoint").unlink()  # no state file at all: still the newest complete checkpoint
    capsys.readouterr()
    train.main(char_flags(tmp_path, trained_char_run, resume=True, num_steps=8))
    assert "at step 6" in capsys.readouterr().out


def test_damaged_best_weights_name_the_file_and_the_fix(tmp_path, trained_char_run):
    from char_rnn.config import CharRNNConfig
    from char_rnn.model import build_model
    from run_utils.config import load_config
    model = build_model(load_config(CharRNNConfig, str(trained_char_run / "config.json")))
    best = trained_char_run / "best.weights.h5"
    best.write_bytes(best.read_bytes()[:200])  # what a kill during a non-atomic write left behind
    with pytest.raises(CheckpointError, match=r"best.weights.h5 cannot be loaded .*delete it to use the latest"):
        restore_weights(model, str(trained_char_run))
    best.unlink()
    assert restore_weights(model, str(trained_char_run)).endswith("ckpt-4")


@pytest.mark.slow  # trains
def test_best_weights_are_replaced_atomically(tmp_path, trained_char_run, monkeypatch):
    """A failure while the new best weights are written leaves the previous file intact."""
    import keras

    from char_rnn import train
    best = trained_char_run / "best.weights.h5"
    before = best.read_bytes()
    (trained_char_run / "best.json").write_text('{"metric": "val_loss", "value": 99.0, "step": 4}')

    def dies_half_way(self, path, *args, **kwargs):
        with open(path, "wb") as f:
            f.write(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr(keras.Model, "save_weights", dies_half_way)
    with pytest.raises(SystemExit):
        train.main(char_flags(tmp_path, trained_char_run, resume=True, num_steps=6))
    assert best.read_bytes() == before
    assert not [n for n in os.listdir(trained_char_run) if ".part" in n]


def test_newest_run_is_not_hidden_by_a_failed_start(tmp_path, trained_char_run, monkeypatch):
    from char_rnn import train
    runs = tmp_path / "runs"
    os.makedirs(runs / "char_rnn")
    os.rename(trained_char_run, runs / "char_rnn" / "good")
    monkeypatch.chdir(tmp_path)
    failed = char_flags(tmp_path, runs / "char_rnn" / "failed", hparams=CHAR_HPARAMS + ",seq_length=100000")
    with pytest.raises(ValueError):
        train.main(failed)
    assert newest_run("char_rnn") == os.path.join("runs", "char_rnn", "good")


@pytest.mark.slow  # trains
def test_sigterm_checkpoints_and_resume_continues_from_there(tmp_path):
    """A SIGTERM (kill, a scheduler's stop) mid-training writes a checkpoint at the current step and
    exits with 130; --resume continues from exactly that step."""
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import ROOT
    text = tmp_path / "play.txt"
    text.write_text(TEXT)
    run_dir = tmp_path / "run"
    base = [sys.executable, "train.py", "--model=char_rnn", f"--data_dir={text}", f"--log_root={run_dir}",
            "--save_every=5", f"--hparams={CHAR_HPARAMS}", "--seed=1"]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(base + ["--num_steps=100000"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 240
    while not (run_dir / "checkpoints").exists() and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130, out[-2000:]
    step = int(out.split("Interrupted at step ")[1].split(";")[0])
    assert (run_dir / "checkpoints" / f"ckpt-{step}.index").exists()
    resumed = subprocess.run(base + [f"--num_steps={step + 2}", "--resume"], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=240)
    assert resumed.returncode == 0, resumed.stdout[-2000:] + resumed.stderr[-2000:]
    assert f"at step {step}." in resumed.stdout


# ----- issue 24: NaN that stops, damaged files that fall back, resumes that refuse other data -----------
@pytest.mark.parametrize("config_module,cls", [("sketch_rnn.config", "SketchRNNConfig"),
                                               ("char_rnn.config", "CharRNNConfig"),
                                               ("handwriting.config", "HandwritingConfig")])
@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_non_finite_hparams_are_refused_before_anything_is_written(config_module, cls, value):
    import importlib

    from run_utils.config import apply_hparams
    config = getattr(importlib.import_module(config_module), cls)()
    with pytest.raises(ValueError, match=f"hparam 'learning_rate' must be a finite number; got '{value}'"):
        apply_hparams(config, f"learning_rate={value}")


@pytest.mark.slow  # trains
def test_divergence_stops_training_names_the_step_and_exports_nothing(tmp_path, capsys):
    from run_utils.training import NonFiniteLoss
    from tests.cli import train_in_process
    from tests.test_sketch_cli import write_tiny_npz
    write_tiny_npz(tmp_path / "tiny.npz", __import__("numpy").random.default_rng(0))
    run_dir = tmp_path / "run"
    argv = ["--model=sketch_rnn", "--category=tiny", f"--data_dir={tmp_path}", f"--log_root={run_dir}",
            "--num_steps=6", "--save_every=2", "--seed=1",
            "--hparams=enc_rnn_size=8,dec_rnn_size=12,z_size=4,num_mixture=2,batch_size=5,"
            "learning_rate=1e9,grad_clip=1e9,decay_rate=1.0"]
    with pytest.raises(NonFiniteLoss, match=r"Training stopped at step \d+: the loss is (nan|inf|-inf).*learning"):
        train_in_process(*argv)
    assert not (run_dir / "saved_model").exists() and not (run_dir / "best.weights.h5").exists()


def test_sample_refuses_weights_that_are_not_finite(tmp_path):
    import numpy as np

    from run_utils.training import CheckpointError, load_trained
    from sketch_rnn.config import SketchRNNConfig
    from sketch_rnn.model import build_model
    from tests.test_sketch_convert import save_run
    config = SketchRNNConfig(enc_rnn_size=4, dec_rnn_size=6, z_size=2, num_mixture=1, max_seq_len=5)
    model = build_model(config, compile=False)
    model.output_layer.bias.assign(np.full(model.output_layer.bias.shape, np.nan, np.float32))
    run = save_run(config, model, tmp_path / "run")
    with pytest.raises(CheckpointError, match="hold NaN or infinite values .*diverged"):
        load_trained(run, SketchRNNConfig, build_model)


@pytest.mark.slow  # trains
def test_a_damaged_newest_checkpoint_falls_back_to_the_one_before(tmp_path, trained_char_run, capsys):
    from char_rnn import train
    data = trained_char_run / "checkpoints" / "ckpt-4.data-00000-of-00001"
    data.write_bytes(data.read_bytes()[:100])
    capsys.readouterr()
    train.main(char_flags(tmp_path, trained_char_run, resume=True, num_steps=6))
    out = capsys.readouterr().out
    assert "the checkpoint ckpt-4 cannot be read" in out and "trying the one before it" in out
    assert "at step 2" in out


def test_damaged_saved_models_are_one_line_for_sample_and_serve(tmp_path, trained_char_run):
    import shutil

    from char_rnn.config import CharRNNConfig
    from char_rnn.model import build_model
    from run_utils.training import load_trained
    from web.models import ModelError, load_text
    shipped = tmp_path / "shipped"  # a run with only its export, like pretrained/
    os.makedirs(shipped)
    for name in ("config.json", "vocab.json"):
        shutil.copy(trained_char_run / name, shipped)
    shutil.copytree(trained_char_run / "saved_model", shipped / "saved_model")
    data = next((shipped / "saved_model" / "variables").glob("variables.data-*"))
    data.write_bytes(data.read_bytes()[:64])
    with pytest.raises(CheckpointError, match="cannot be read .*damaged or cut off. Copy or export the model again"):
        load_trained(str(shipped), CharRNNConfig, build_model)
    with pytest.raises(ModelError, match="cannot be loaded .*damaged or cut off"):
        load_text(str(shipped))
    (shipped / "saved_model" / "variables" / "variables.index").unlink()
    with pytest.raises(CheckpointError, match="lacks variables/variables.index: the SavedModel is incomplete"):
        load_trained(str(shipped), CharRNNConfig, build_model)
    with pytest.raises(ModelError, match="lacks variables/variables.index"):
        load_text(str(shipped))


def test_resume_with_other_data_is_refused(tmp_path, trained_char_run):
    from char_rnn import train
    other = tmp_path / "other.txt"
    other.write_text("something else entirely\n" * 40)
    with pytest.raises(ValueError, match=r"--resume continues .* trains on .*play.txt; --data_dir=.*other.txt is other "
                                         r"data.*--init_from="):
        train.main(char_flags(tmp_path, trained_char_run, resume=True, num_steps=6, data_dir=str(other)))


def test_resume_with_another_sketch_category_is_refused(tmp_path):
    from sketch_rnn import train
    run_dir = tmp_path / "run"
    os.makedirs(run_dir)
    from run_utils.config import save_config
    from sketch_rnn.config import SketchRNNConfig
    save_config(SketchRNNConfig(data_set=["cat.npz"]), str(run_dir / "config.json"))
    with pytest.raises(ValueError, match=r"trains on cat; --category=big is other data"):
        train.prepare(train_run("sketch_rnn", category=["big"], log_root=str(run_dir), resume=True))


@pytest.mark.parametrize("key,value,message", [
    ("rnn_size", "abc", 'rnn_size must be an integer, got "abc"'),
    ("rnn_size", [8], "rnn_size must be an integer, got \\[8\\]"),
    ("rnn_size", None, "rnn_size must be an integer, got null"),
    ("rnn_size", 16.5, "rnn_size must be an integer, got 16.5"),
    ("rnn_size", 100000, "rnn_size=100,000 is beyond 65,536"),
    ("learning_rate", "fast", 'learning_rate must be a finite number, got "fast"'),
])
def test_a_hand_edited_config_names_the_key(tmp_path, trained_char_run, key, value, message):
    import json

    from char_rnn.config import CharRNNConfig
    from char_rnn.model import build_model
    from run_utils.training import load_trained
    path = trained_char_run / "config.json"
    config = json.loads(path.read_text())
    config[key] = value
    path.write_text(json.dumps(config))
    with pytest.raises(ValueError, match=message):
        load_trained(str(trained_char_run), CharRNNConfig, build_model)


def test_a_deleted_config_key_does_not_blame_the_weights(tmp_path, trained_char_run, capsys):
    import json

    from char_rnn.config import CharRNNConfig
    from char_rnn.model import build_model
    from run_utils.training import load_trained
    path = trained_char_run / "config.json"
    config = json.loads(path.read_text())
    del config["rnn_size"]
    path.write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="or .*config.json no longer describes the model .*restore the config"):
        load_trained(str(trained_char_run), CharRNNConfig, build_model)
    assert "does not give rnn_size; the defaults are used" in capsys.readouterr().out


@pytest.mark.slow  # trains
def test_leftovers_of_interrupted_writes_are_removed_on_the_next_start(tmp_path, trained_char_run, capsys):
    from char_rnn import train
    leftovers = [trained_char_run / ".best.weights.h5.abc123.part.weights.h5",
                 trained_char_run / ".config.json.x1y2.part"]
    for path in leftovers:
        path.write_bytes(b"\0" * 1000)
    os.makedirs(trained_char_run / ".saved_model.k9.old")
    capsys.readouterr()
    train.main(char_flags(tmp_path, trained_char_run, resume=True, num_steps=6))
    assert "removed 3 leftover(s) of an interrupted write" in capsys.readouterr().out
    assert not [n for n in os.listdir(trained_char_run) if n.startswith(".") and n != ".lock"]


def test_a_full_disk_during_the_export_is_one_line(tmp_path, monkeypatch):
    import errno

    import tensorflow as tf

    from run_utils.export import write_saved_model

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tf.saved_model, "save", full)
    with pytest.raises(RuntimeError, match=r"Could not write the SavedModel .*export \(the disk is full\); nothing "
                                           "was written there"):
        write_saved_model(tf.Module(), {}, str(tmp_path / "export"), {})
    assert not (tmp_path / "export").exists() and not list(tmp_path.iterdir())
