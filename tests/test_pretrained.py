"""The trained models shipped in pretrained/: each recomputes the loss recorded on its check slice
when it was shipped (a broken loader or a refactor that changes the model cannot pass), loads
through sample.py when no run exists, and loads with plain tf.saved_model.load without this project."""
import json
import os
import subprocess
import sys
import textwrap

import pytest

from pretrained.ship import CHECK_FILE, check_value
from run_utils import registry
from run_utils.rundir import PRETRAINED_ROOT, shipped_runs
from tests.cli import train_run
from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # the slow lane (make test-all, CI): see pyproject.toml

MODELS = registry.PACKAGES
PRETRAINED = {spec.name: spec.shipped for spec in registry.specs()}
# Every shipped folder: the default of each model and the further Sketch-RNN categories.
FOLDERS = [(model, os.path.basename(path)) for model in MODELS for path in shipped_runs(model)]
SKETCH_CATEGORIES = ("bird", "sheep", "dog", "palm_tree")  # magenta's models, converted (issue 22)


def shipped(model):
    path = os.path.join(PRETRAINED_ROOT, PRETRAINED[model])
    assert os.path.exists(os.path.join(path, "saved_model", "saved_model.pb")), f"{path} is not shipped"
    return path


def test_the_originals_categories_and_a_decoder_only_sheep_are_shipped():
    folders = {folder for _, folder in FOLDERS}
    assert {f"sketch_rnn_{c}" for c in SKETCH_CATEGORIES} | {"sketch_rnn_aaron_sheep_gen"} <= folders
    assert os.path.exists(os.path.join(PRETRAINED_ROOT, "sketch_rnn_aaron_sheep_gen", "aaron_sheep.gen.json"))
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(PRETRAINED_ROOT) for f in files)
    assert total < 60e6, f"pretrained/ holds {total / 1e6:.1f} MB"


@pytest.mark.parametrize("model,folder", FOLDERS)
def test_shipped_model_reproduces_its_recorded_check_loss(model, folder):
    path = os.path.join(PRETRAINED_ROOT, folder)
    assert os.path.exists(os.path.join(path, "saved_model", "saved_model.pb")), f"{path} is not shipped"
    with open(os.path.join(path, CHECK_FILE)) as f:
        recorded = json.load(f)["value"]
    assert check_value(model, path) == pytest.approx(recorded, rel=1e-4, abs=1e-4)


def test_sample_category_draws_a_shipped_category_offline(tmp_path):
    result = subprocess.run([sys.executable, os.path.join(ROOT, "sample.py"), "--model=sketch_rnn", "--category=bird",
                             "--seed=1", "--num_samples=2", "--output=birds.svg"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=600, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3",
                                                         "SKETCH_RNN_DATA_URL": "http://127.0.0.1:9"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"using the shipped model {os.path.join(PRETRAINED_ROOT, 'sketch_rnn_bird')}" in result.stdout
    assert (tmp_path / "birds.svg").stat().st_size > 40
    missing = subprocess.run([sys.executable, os.path.join(ROOT, "sample.py"), "--model=sketch_rnn",
                              "--category=unicorn"], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert missing.returncode == 1 and "No sketch_rnn model of 'unicorn'" in missing.stderr
    assert "convert.py --from=magenta_js --source=unicorn" in missing.stderr


SAMPLE_ARGS = {
    "char_rnn": ["--prime=ROMEO:", "--steps=40", "--output=out.txt"],
    "sketch_rnn": ["--num_samples=2", "--output=out.svg"],
    "handwriting": ["--text=hello there", "--style=" + os.path.join(PRETRAINED_ROOT, "handwriting_synthesis",
                                                                    "styles", "a01-003-01.json"), "--output=out.svg"],
}


@pytest.mark.parametrize("model", MODELS)
def test_sample_cli_uses_the_shipped_model_when_no_run_exists(model, tmp_path):
    shipped(model)
    result = subprocess.run([sys.executable, os.path.join(ROOT, "sample.py"), f"--model={model}", "--seed=1",
                             *SAMPLE_ARGS[model]], cwd=tmp_path, capture_output=True, text=True, timeout=600,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"using the shipped model {os.path.join(PRETRAINED_ROOT, PRETRAINED[model])}" in result.stdout
    out = tmp_path / SAMPLE_ARGS[model][-1].split("=")[1]
    assert out.exists() and out.stat().st_size > 40


LOAD_ALONE = {
    "char_rnn": 'm.signatures["greedy"](prime=tf.constant("ROMEO:"), steps=tf.constant(20))["text"]',
    "sketch_rnn": 'm.signatures["sample"](num_samples=tf.constant(2), temperature=tf.constant(0.4), '
                  'seed=tf.constant([1, 2]))["strokes"]',
    "handwriting": 'm.signatures["synthesize"](text=tf.constant(["hi"]), bias=tf.constant(1.0), '
                   'seed=tf.constant([1, 2]), style_strokes=tf.zeros([0, 3]), style_text=tf.constant(""))["strokes"]',
}


@pytest.mark.parametrize("model", MODELS)
def test_shipped_saved_model_loads_without_the_project(model, tmp_path):
    path = os.path.join(shipped(model), "saved_model")
    script = tmp_path / "load.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        import tensorflow as tf
        m = tf.saved_model.load({path!r})
        out = {LOAD_ALONE[model]}
        print("OK", out.shape, [k for k in sys.modules if k.split(".")[0] in
                                ("sketch_rnn", "handwriting", "char_rnn", "run_utils", "data_utils", "mdn")])
    """))
    result = subprocess.run([sys.executable, "-I", str(script)], cwd=tmp_path, capture_output=True, text=True,
                            timeout=600, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("[]")


def test_ship_replaces_a_folder_whole_and_keeps_its_model_card(tmp_path, monkeypatch):
    """pretrained.ship builds the new folder beside the old one: the hand-written card stays, the
    recorded check value is the shipped model's, and a failure half-way leaves the old folder."""

    from char_rnn import train
    from pretrained import ship
    text = tmp_path / "play.txt"
    text.write_text("to be or not to be, that is the question\n" * 30)
    run_dir = tmp_path / "run"
    train.main(train_run("char_rnn", data_dir=str(text), log_root=str(run_dir), num_steps=2, save_every=2,
                                     hparams="rnn_size=8,embedding_size=4,seq_length=10,batch_size=4,num_layers=1",
                                     resume=False, seed=1, init_from=None))
    monkeypatch.setattr(ship, "PRETRAINED_ROOT", str(tmp_path / "pretrained"))
    dest = tmp_path / "pretrained" / PRETRAINED["char_rnn"]
    dest.mkdir(parents=True)
    (dest / "MODEL.md").write_text("the card")
    (dest / "config.json").write_text("old")
    ship.ship("char_rnn", str(run_dir))
    assert (dest / "MODEL.md").read_text() == "the card"
    assert json.loads((dest / "config.json").read_text())["rnn_size"] == 8
    recorded = json.loads((dest / CHECK_FILE).read_text())["value"]
    assert check_value("char_rnn", str(dest)) == pytest.approx(recorded, rel=1e-6)
    before = {p.relative_to(dest): p.read_bytes() for p in dest.rglob("*") if p.is_file()}

    def broken(model_name, run_dir):
        raise RuntimeError("check failed")
    monkeypatch.setattr(ship, "check_value", broken)
    with pytest.raises(RuntimeError, match="check failed"):
        ship.ship("char_rnn", str(run_dir))
    after = {p.relative_to(dest): p.read_bytes() for p in dest.rglob("*") if p.is_file()}
    assert after == before
    assert sorted(os.listdir(dest.parent)) == [PRETRAINED["char_rnn"]]  # nothing half-built left beside it
