"""The handwriting CLIs end to end on a tiny IAM-OnDB file made here: train a few steps, write
SVGs (with priming and plots), load the SavedModel in a process that does not import the project."""
import json
import os
import re
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from data_utils.handwriting_style import Style
from data_utils.text import UnknownCharacterError
from handwriting.config import HandwritingConfig
from handwriting.export import export_saved_model
from handwriting.model import build_model
from handwriting.sample import Sampler, wrap_text
from tests.cli import sample_run

pytestmark = pytest.mark.slow  # the slow lane (make test-all, CI): see pyproject.toml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEXTS = ["ab ba", "a b", "bab", "ab", "ba ab", "b a", "aab", "ba"]
TINY = "num_layers=1,rnn_size=8,num_mixture=2,num_window=2,batch_size=2,jit_compile=false,bucket_width=0"


def make_npz(path):
    """IAM-OnDB's pre-parsed format (iamondb_lines.npz): 6 training and 2 validation lines."""
    rng = np.random.default_rng(0)
    xy, pen_up, offsets = [], [], [0]
    for text in TEXTS:
        n = 12 + 4 * len(text)
        steps = np.stack([rng.integers(5, 30, n), rng.integers(-20, 20, n)], 1)
        xy.append(np.cumsum(steps, 0).astype(np.int16) + 200)
        up = np.zeros(n, np.uint8)
        up[5::6] = 1
        up[-1] = 1
        pen_up.append(up)
        offsets.append(offsets[-1] + n)
    np.savez(path, line_ids=np.array([f"a01-000u-{i + 1:02d}" for i in range(len(TEXTS))]),
             texts=np.array(TEXTS), text_ok=np.ones(len(TEXTS), bool), offsets=np.array(offsets, np.int64),
             xy=np.concatenate(xy), pen_up=np.concatenate(pen_up),
             split_official=np.array(["train"] * 6 + ["val1"] * 2))


def run(args, cwd=ROOT, env=None):
    result = subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=300)
    return result.returncode, result.stdout + result.stderr


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hw")
    npz = tmp / "iamondb_lines.npz"
    make_npz(npz)
    run_dir = tmp / "run"
    code, log = run(["train.py", "--model=handwriting", "--task=synthesis", f"--data_dir={npz}",
                     f"--log_root={run_dir}", "--num_steps=2", "--save_every=2", "--seed=1", f"--hparams={TINY}"])
    assert code == 0, log
    return tmp, run_dir


def test_train_writes_config_eval_and_saved_model(trained):
    _, run_dir = trained
    config = json.load(open(run_dir / "config.json"))
    assert config["task"] == "synthesis" and config["chars"] == [" ", "a", "b"]
    assert set(config["offset_stats"]) == {"mean", "std", "clip"} and min(config["offset_stats"]["std"]) > 0
    evaluation = json.load(open(run_dir / "eval.json"))
    assert evaluation["lines"] == 2 and np.isfinite(evaluation["nats_per_sequence"])
    assert (run_dir / "best.weights.h5").exists() and (run_dir / "saved_model" / "saved_model.pb").exists()


def polylines(path):
    return [e for e in ET.parse(path).iter() if e.tag.endswith("polyline")]


def test_sample_writes_primed_page_and_plots(trained):
    tmp, run_dir = trained
    style = tmp / "style.json"
    Style(strokes=np.array([[0, 0, 0], [20, 5, 0], [15, -3, 1], [40, 0, 0], [10, 10, 1]], np.float32),
          text="ab").save(style)
    out = tmp / "page.svg"
    code, log = run(["sample.py", "--model=handwriting", f"--run_dir={run_dir}", "--text=ab ba ab",
                     "--line_chars=5", f"--style={style}", "--plots", "--steps=30", "--seed=3",
                     "--stroke_color=#123456", f"--output={out}"])
    assert code == 0, log
    for name in ("page.svg", "page_density.svg", "page_window.svg"):
        assert (tmp / name).exists(), log
    lines = polylines(out)
    assert lines and all(g.get("stroke") == "#123456" for g in ET.parse(out).iter() if g.get("stroke"))
    # The window plot labels every character the window ran over: style text + " " + first line.
    labels = [e.text for e in ET.parse(tmp / "page_window.svg").iter() if e.tag.endswith("text")]
    assert labels[:len("ab ab ba")] == [c if c != " " else "\u2423" for c in "ab ab ba"]


def sample_flags(run_dir, output, **kw):
    base = dict(run_dir=str(run_dir), output=str(output), export_dir=None, text=None, style=None, bias=None,
                temperature=None, seed=1, num_samples=None, stroke_width=2.0, stroke_color="black", line_chars=50,
                steps=None, plots=False)
    base.update(kw)
    return sample_run("handwriting", **base)


def test_plots_when_the_first_line_is_not_the_longest(trained, tmp_path):
    """Issue 10 item 3: the window plot of the first line must be cut to that line's text."""
    from handwriting import sample
    _, run_dir = trained
    out = tmp_path / "short_first.svg"
    sample.main(sample_flags(run_dir, out, text="a ab bab", line_chars=3, plots=True, steps=12))
    labels = [e.text for e in ET.parse(tmp_path / "short_first_window.svg").iter() if e.tag.endswith("text")]
    assert labels[:2] == ["a", "end"]


def test_saved_model_runs_without_the_project(trained, tmp_path):
    _, run_dir = trained
    script = textwrap.dedent(f"""
        import sys
        import tensorflow as tf
        model = tf.saved_model.load({str(run_dir / "saved_model")!r})
        write = model.signatures["synthesize"]
        out = write(text=tf.constant(["ab", "ba ab"]), bias=tf.constant(1.0), seed=tf.constant([1, 2]),
                    style_strokes=tf.zeros([0, 3]), style_text=tf.constant(""))
        primed = write(text=tf.constant(["ab"]), bias=tf.constant(1.0), seed=tf.constant([1, 2]),
                       style_strokes=tf.constant([[0., 0., 0.], [20., 5., 1.]]), style_text=tf.constant("ba"))
        assert out["strokes"].shape[0] == 2 and out["strokes"].shape[2] == 3
        assert out["lengths"].numpy().max() <= 40 * 5 and primed["lengths"].numpy()[0] <= 40 * 2
        try:
            write(text=tf.constant(["abz!"]), bias=tf.constant(0.0), seed=tf.constant([1, 2]),
                  style_strokes=tf.zeros([0, 3]), style_text=tf.constant(""))
            print("NO ERROR")
        except tf.errors.InvalidArgumentError as e:
            print("ERROR", e.message)
        print("PROJECT", [m for m in sys.modules if m.split(".")[0] in ("handwriting", "mdn", "data_utils")])
    """)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    code, log = run(["-c", script], cwd=tmp_path, env=env)
    assert code == 0, log
    assert "Characters not in the model" in log and "z!" in log and "NO ERROR" not in log
    assert "PROJECT []" in log


def test_saved_model_and_sampler_write_alike_with_the_window_trace(trained):
    """The SavedModel's synthesize and the CLI's Sampler prime, align the window and sample the
    same way; window_char (the SavedModel's per-step argmax of phi, as an index into the text,
    negative on the style's text) equals the Sampler's row["window"] and is 0 after each line's
    end. (Where the window starts is tested on the shipped model, test_handwriting_window.py.)"""
    import tensorflow as tf

    from run_utils.training import load_trained
    _, run_dir = trained
    config, model = load_trained(str(run_dir), HandwritingConfig, build_model)
    write = tf.saved_model.load(str(run_dir / "saved_model")).signatures["synthesize"]
    style = Style(strokes=np.array([[0, 0, 0], [20, 5, 0], [15, -3, 1], [40, 0, 0], [10, 10, 1]], np.float32),
                  text="ba b")
    texts = ["ab ba", "b"]
    for primer in (None, style):
        out = write(text=tf.constant(texts), bias=tf.constant(1.0), seed=tf.constant([3, 0]),
                    style_strokes=tf.constant(primer.strokes if primer else np.zeros((0, 3), np.float32)),
                    style_text=tf.constant(primer.text if primer else ""))
        assert set(out) == {"strokes", "lengths", "window_char"}
        assert out["window_char"].dtype == tf.int32 and out["window_char"].shape == out["strokes"].shape[:2]
        rows = Sampler(model, config).synthesize(texts, 1.0, (3, 0), primer)
        for b, (row, text) in enumerate(zip(rows, texts)):
            n = int(out["lengths"][b])
            assert len(row["strokes"]) == n
            np.testing.assert_allclose(row["strokes"], out["strokes"][b, :n], atol=1e-4)
            np.testing.assert_array_equal(row["window"], out["window_char"][b, :n])
            low = -len(primer.text) - 1 if primer else 0
            assert low <= row["window"].min() and row["window"].max() <= len(text)
            assert not out["window_char"][b, n:].numpy().any()


def test_unknown_characters_and_text_wrapping(tmp_path):
    config = HandwritingConfig(num_layers=1, rnn_size=4, num_mixture=2, num_window=2, chars=list(" ab"),
                               offset_stats={"mean": [1.0, 0.0], "std": [10.0, 10.0], "clip": 20.0})
    sampler = Sampler(build_model(config, compile=False), config)
    with pytest.raises(UnknownCharacterError, match=r"'z'.*alphabet is: ' ab'"):
        sampler.synthesize(["ab", "baz"], bias=0.5)
    style = Style(strokes=np.array([[0, 0, 0], [3, 1, 1]], np.float32), text="aQ")
    with pytest.raises(UnknownCharacterError, match="In the style's text 'aQ': .*'Q'"):
        sampler.synthesize(["ab"], bias=0.5, style=style)
    assert wrap_text("aaa bb cc\\nd", 6) == ["aaa bb", "cc", "d"]
    with pytest.raises(ValueError, match="empty"):
        wrap_text("  ", 10)


def test_prediction_sampling_and_export(tmp_path):
    config = HandwritingConfig(task="prediction", num_layers=2, rnn_size=4, num_mixture=2,
                               offset_stats={"mean": [1.0, 0.0], "std": [10.0, 10.0], "clip": 20.0})
    model = build_model(config, compile=False)
    rows = Sampler(model, config).sample(3, 25, bias=0.0, seed=(1, 2), record=True)
    assert [len(r["strokes"]) for r in rows] == [25, 25, 25]
    assert rows[0]["mu"].shape == (25, 2, 2) and set(np.unique(rows[0]["strokes"][:, 2])) <= {0.0, 1.0}
    import tensorflow as tf
    loaded = tf.saved_model.load(export_saved_model(model, str(tmp_path / "sm")))
    out = loaded.signatures["sample"](num_samples=tf.constant(2), steps=tf.constant(10), bias=tf.constant(0.0),
                                      seed=tf.constant([1, 2]))
    assert out["strokes"].shape == (2, 10, 3) and list(out["lengths"].numpy()) == [10, 10]


def test_real_iam_batches_train_a_step(shared_data):
    """On the real IAM-OnDB (only when RNNGEN_SHARED_DATA is set): Graves' split sizes, offset
    statistics of the training lines, and one finite synthesis train step on real batches."""
    from data_utils import iam
    from handwriting.train import fill_from_data, make_datasets

    corpus = iam.load_corpus(os.path.join(shared_data, "handwriting", "iamondb_lines.npz"), split_scheme="graves",
                             progress=False)
    assert (corpus.split == "valid").sum() == 1438 and (corpus.split == "train").sum() > 10700
    config = fill_from_data(HandwritingConfig(num_layers=1, rnn_size=8, num_mixture=2, num_window=2, batch_size=4,
                                              max_points=300, jit_compile=False), corpus)
    np.testing.assert_allclose(config.offset_stats["std"], [42.0, 37.1], rtol=0.02)
    assert len(config.chars) == 81
    train, _ = make_datasets(corpus, config, seed=0)
    model = build_model(config)
    logs = model.fit(train, steps_per_epoch=1, epochs=1, verbose=0).history
    assert np.isfinite(logs["loss"][0]) and np.isfinite(logs["nats_per_point"][0])


def test_saved_model_refuses_edge_inputs(trained, tmp_path):
    """Issue 10 item 7: empty text, an empty batch, num_samples=0, steps <= 0, a style without
    its text are clear errors instead of 'Tried to stack elements of an empty list'."""
    import tensorflow as tf
    _, run_dir = trained
    write = tf.saved_model.load(str(run_dir / "saved_model")).signatures["synthesize"]
    good = dict(text=tf.constant(["ab"]), bias=tf.constant(1.0), seed=tf.constant([1, 2]),
                style_strokes=tf.zeros([0, 3]), style_text=tf.constant(""))
    assert write(**good)["strokes"].shape[0] == 1
    for change, message in [({"text": tf.constant([""])}, "every text must hold between 1 and 250 characters"),
                            ({"text": tf.constant(["a" * 251])}, "every text must hold between 1 and 250"),
                            ({"text": tf.zeros([0], tf.string)}, "text must hold between 1 and 1024 rows"),
                            ({"text": tf.constant("ab")}, "text must have 1 dimensions"),
                            ({"bias": tf.constant(-1.0)}, "bias must be in [0, 10]"),
                            ({"style_text": tf.constant("ab")}, "style_text must be given exactly when"),
                            ({"style_strokes": tf.zeros([2, 2])}, "style_strokes must have 3 values per row"),
                            ({"style_strokes": tf.zeros([2001, 3]) + [0, 0, 1], "style_text": tf.constant("ab")},
                             "at most 2000 rows of style_strokes and 200 characters of style_text"),
                            ({"style_strokes": tf.constant([[0., 0., 0.], [20., 5., 1.]]),
                              "style_text": tf.constant("ab " * 67)}, "200 characters of style_text")]:
        with pytest.raises(tf.errors.InvalidArgumentError, match=re.escape(message)):
            write(**{**good, **change})
    config = HandwritingConfig(task="prediction", num_layers=1, rnn_size=4, num_mixture=2,
                               offset_stats={"mean": [1.0, 0.0], "std": [10.0, 10.0], "clip": 20.0})
    sample = tf.saved_model.load(export_saved_model(build_model(config, compile=False),
                                                    str(tmp_path / "pred"))).signatures["sample"]
    good = dict(num_samples=tf.constant(2), steps=tf.constant(5), bias=tf.constant(0.0), seed=tf.constant([1, 2]))
    assert sample(**good)["strokes"].shape == (2, 5, 3)
    for change, message in [({"num_samples": tf.constant(0)}, "num_samples must be in [1, 1024]"),
                            ({"steps": tf.constant(0)}, "steps must be in [1, 10000]"),
                            ({"steps": tf.constant(-5)}, "steps must be in [1, 10000]")]:
        with pytest.raises(tf.errors.InvalidArgumentError, match=re.escape(message)):
            sample(**{**good, **change})


@pytest.mark.parametrize("change,message", [
    ({"steps": -5}, "--steps must be between 1 and 10,000; got -5"),
    ({"num_samples": 0}, "--num_samples must be between 1 and 1,024; got 0"),
    ({"bias": -0.5}, "--bias must be a number in [0, 10]; got -0.5"),
    ({"temperature": 0.0}, "--temperature must be a number in (0, 100]"),
])
def test_sample_cli_refuses_bad_counts(trained, tmp_path, change, message):
    from handwriting import sample
    _, run_dir = trained
    out = tmp_path / "never.svg"
    with pytest.raises(ValueError, match=re.escape(message)):
        sample.main(sample_flags(run_dir, out, text="ab", **change))
    assert not out.exists()


@pytest.mark.parametrize("change,message", [
    ({"stroke_color": "javascript:alert(1)"}, "--stroke_color must be a colour name"),
    ({"stroke_color": "red; x"}, "--stroke_color must be a colour name"),
    ({"stroke_width": -5.0}, r"--stroke_width must be a number of pixels in \(0, 100\]; got -5.0"),
    ({"stroke_width": float("nan")}, "--stroke_width must be a number of pixels"),
])
def test_pen_colour_and_width_are_checked(trained, tmp_path, change, message):
    from handwriting import sample
    _, run_dir = trained
    with pytest.raises(ValueError, match=message):
        sample.main(sample_flags(run_dir, tmp_path / "x.svg", text="ab", **change))
    assert not (tmp_path / "x.svg").exists()
