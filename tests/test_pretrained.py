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
from run_utils.rundir import PRETRAINED, PRETRAINED_ROOT
from tests.conftest import ROOT

MODELS = sorted(PRETRAINED)


def shipped(model):
    path = os.path.join(PRETRAINED_ROOT, PRETRAINED[model])
    assert os.path.exists(os.path.join(path, "saved_model", "saved_model.pb")), f"{path} is not shipped"
    return path


@pytest.mark.parametrize("model", MODELS)
def test_shipped_model_reproduces_its_recorded_check_loss(model):
    path = shipped(model)
    with open(os.path.join(path, CHECK_FILE)) as f:
        recorded = json.load(f)["value"]
    assert check_value(model, path) == pytest.approx(recorded, rel=1e-4, abs=1e-4)


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
