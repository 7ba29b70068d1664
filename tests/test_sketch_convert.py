"""The original's models in and out (convert.py): magenta-js files against @magenta/sketch itself
(run in Node.js, the file served over HTTP on 127.0.0.1), checkpoints of the original TF1 code
against what that code computed on them, the round trips, the `mixture` signature, and the refusals.

The JavaScript reference needs node and the npm package @magenta/sketch in $RNNGEN_NODE_MODULES
(.ci/run installs it); the tests that need it skip without it unless RNNGEN_REQUIRE_NODE=1, as in CI.
"""
import base64
import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading

import numpy as np
import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # the slow lane (make test-all, CI): see pyproject.toml

REFERENCE_JS = os.path.join(ROOT, "tests", "magenta_sketch_reference.js")
TF1_MODELS = ("lstm_vae", "layer_norm_vae", "hyper_vae", "lstm_gen")
MIXTURE_KEYS = ("pi", "mu1", "mu2", "sigma1", "sigma2", "corr")


# ----- helpers ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def node_modules():
    """The node_modules folder holding @magenta/sketch (skip without it, fail in CI)."""
    folder = os.environ.get("RNNGEN_NODE_MODULES") or os.path.expanduser("~/.cache/rnngen-node/node_modules")
    if shutil.which("node") is None or not os.path.isdir(os.path.join(folder, "@magenta", "sketch")):
        if os.environ.get("RNNGEN_REQUIRE_NODE"):
            pytest.fail(f"node and @magenta/sketch in {folder} are required (RNNGEN_REQUIRE_NODE is set)")
        pytest.skip("node with @magenta/sketch is not installed (set RNNGEN_NODE_MODULES)")
    return folder


class _Files(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def http_folder(tmp_path_factory):
    """(folder, base URL): files put into the folder are served on 127.0.0.1; requests are counted."""
    folder = tmp_path_factory.mktemp("served")
    hits = []

    class Handler(_Files):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(folder), **kwargs)

        def do_GET(self):
            hits.append(self.path)
            super().do_GET()

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield folder, f"http://127.0.0.1:{httpd.server_address[1]}", hits
    httpd.shutdown()
    httpd.server_close()


def magenta_sketch_mixture(node_modules, http_folder, model_path, strokes5):
    """What @magenta/sketch computes: getPDF(state, 1, 1) before every row of strokes5 [T, 5] (data units)."""
    folder, url, _ = http_folder
    name = f"m{abs(hash(model_path))}.json"
    shutil.copyfile(model_path, folder / name)
    rows = folder / f"{name}.strokes"
    rows.write_text(json.dumps(np.asarray(strokes5, float).tolist()))
    result = subprocess.run(["node", REFERENCE_JS, f"{url}/{name}", str(rows)], capture_output=True, text=True,
                            timeout=120, env={**os.environ, "NODE_PATH": node_modules})
    assert result.returncode == 0, result.stderr
    return {k: np.asarray(v, np.float64) for k, v in json.loads(result.stdout).items()}


def drawing_of(seed, n=60):
    """A stroke-3 drawing in data units: offsets of tens of units, pen lifted now and then."""
    rng = np.random.default_rng(seed)
    d = np.zeros((n, 3), np.float32)
    d[:, :2] = np.round(rng.normal(0, 25, (n, 2)))
    d[:, 2] = rng.random(n) < 0.15
    d[-1, 2] = 1
    return d


def stroke5_rows(d):
    return np.column_stack([d[:, :2], 1 - d[:, 2], d[:, 2], np.zeros(len(d))])


def our_mixture(model, config, drawings, z=None):
    """model.mixture on stroke-3 drawings of equal length -> numpy dict [B, T, ...] with pen probabilities."""
    import tensorflow as tf

    from data_utils.sketch_data import stroke3_to_stroke5_tensor
    d = np.stack(drawings)
    s5 = stroke3_to_stroke5_tensor(tf.constant(d), tf.constant([len(x) for x in drawings]), config.scale_factor)
    out = {k: v.numpy() for k, v in model.mixture(s5, None if z is None else tf.constant(z)).items()}
    out["pen"] = tf.nn.softmax(out.pop("pen_logits")).numpy()
    return out


def max_difference(ours, reference, keys=MIXTURE_KEYS + ("pen",)):
    """Largest absolute difference per parameter; sigma1 and sigma2 relative (|ratio - 1|)."""
    def difference(k):
        a, b = np.asarray(ours[k], np.float64), reference[k]
        return np.abs(a / b - 1.0) if k.startswith("sigma") else np.abs(a - b)
    return {k: float(np.max(difference(k))) for k in keys}


def shared_file(shared_data, *parts):
    path = os.path.join(shared_data, *parts)
    assert os.path.exists(path), path
    return path


def run_cli(*args, cwd=ROOT, env=None):
    return subprocess.run([sys.executable, os.path.join(ROOT, "convert.py"), *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})})


@functools.cache
def tiny_model(conditional, dec_model="lstm", num_mixture=20, seed=0):
    """A small randomly initialised SketchRNN of this project (as if trained here) and its config."""
    import keras

    from sketch_rnn.config import SketchRNNConfig
    from sketch_rnn.model import build_model
    keras.utils.set_random_seed(seed)
    config = SketchRNNConfig(dec_rnn_size=24, enc_rnn_size=12, z_size=6, num_mixture=num_mixture, max_seq_len=70,
                             conditional=conditional, dec_model=dec_model, enc_model=dec_model,
                             scale_factor=21.5, data_set=["tiny_sheep.npz"])
    model = build_model(config, compile=False)
    # Trained weights are not all near their initial values: spread them so that no comparison is
    # trivially met (biases and the hyper scalings start at 0 or 1).
    for v in model.weights:
        v.assign(v.numpy() + np.random.default_rng(seed).normal(0, 0.1, v.shape).astype(np.float32))
    return config, model


def save_run(config, model, run_dir):
    from run_utils.config import save_config
    from sketch_rnn.export import export_saved_model
    save_config(config, os.path.join(run_dir, "config.json"))
    export_saved_model(model, os.path.join(run_dir, "saved_model"))
    return str(run_dir)


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory):
    """Run directories of a tiny unconditional and a tiny conditional model made here."""
    root = tmp_path_factory.mktemp("tiny_runs")
    return {kind: save_run(*tiny_model(kind == "vae"), root / kind) for kind in ("gen", "vae")}


# ----- magenta-js in: against @magenta/sketch ---------------------------------------------------
CATEGORIES = ("ambulance", "ant", "bicycle", "bird", "dog", "hedgehog", "palm_tree", "rabbit", "sheep", "trombone")


@pytest.mark.parametrize("category", CATEGORIES)
def test_imported_magenta_model_equals_magenta_sketch(category, shared_data, node_modules, http_folder):
    from sketch_rnn import convert, magenta_js
    path = shared_file(shared_data, "magenta_js", f"{category}.gen.json")
    info, shapes, arrays = magenta_js.read_file(path)
    config, named = magenta_js.to_project(info, shapes, arrays, path)
    assert (config.dec_rnn_size, config.num_mixture, config.conditional) == (512, 20, False)
    assert config.scale_factor == pytest.approx(info["scale_factor"]) and config.max_seq_len == info["max_seq_len"]
    model = convert.build_converted(config, named, path)
    drawing = drawing_of(CATEGORIES.index(category))
    reference = magenta_sketch_mixture(node_modules, http_folder, path, stroke5_rows(drawing))
    ours = our_mixture(model, config, [drawing])
    differences = max_difference({k: v[0] for k, v in ours.items()}, reference)
    print(f"{category}: max |import - @magenta/sketch|:", differences)
    assert max(differences.values()) < 1e-4, differences
    shipped = os.path.join(ROOT, "pretrained", f"sketch_rnn_{category}", "saved_model")
    if os.path.isdir(shipped):  # the shipped conversion, through its SavedModel's mixture signature
        differences = max_difference(saved_model_mixture(shipped, drawing), reference)
        assert max(differences.values()) < 1e-4, differences


def saved_model_mixture(saved_model, drawing):
    """The `mixture` signature of a SavedModel on one stroke-3 drawing (pen as probabilities)."""
    import tensorflow as tf
    m = tf.saved_model.load(saved_model)
    out = m.mixture(strokes=tf.constant(drawing[None]), lengths=tf.constant([len(drawing)]), z=tf.zeros([1, 0]))
    ours = {k: out[k].numpy()[0] for k in MIXTURE_KEYS}
    ours["pen"] = tf.nn.softmax(out["pen_logits"][0]).numpy()
    return ours


def test_cli_import_and_mixture_signature_equal_magenta_sketch(shared_data, node_modules, http_folder, tmp_path):
    """convert.py --from=magenta_js end to end: the run directory's SavedModel `mixture` signature (in
    data units, without this project's code) gives @magenta/sketch's getPDF at every step."""
    import tensorflow as tf
    path = shared_file(shared_data, "magenta_js", "bird.gen.json")
    result = run_cli("--from=magenta_js", f"--source={path}", f"--output={tmp_path / 'bird'}")
    assert result.returncode == 0, result.stderr
    assert sorted(os.listdir(tmp_path / "bird")) == ["config.json", "converted.json", "saved_model"]
    provenance = json.loads((tmp_path / "bird" / "converted.json").read_text())
    assert provenance["format"] == "magenta_js" and provenance["info"]["name"] == "bird"
    m = tf.saved_model.load(str(tmp_path / "bird" / "saved_model"))
    drawings = [drawing_of(11, 50), drawing_of(12, 50)]
    lengths = [50, 31]
    for z_width in (0, 3):  # an unconditional model takes z of any width and ignores it
        out = m.mixture(strokes=tf.constant(np.stack(drawings)), lengths=tf.constant(lengths, tf.int32),
                        z=tf.zeros([2, z_width]))
        assert out["pi"].shape == (2, 50, 20) and out["pen_logits"].shape == (2, 50, 3)
        assert float(out["scale_factor"]) == pytest.approx(71.3754, rel=1e-6)
        for row, drawing, length in zip(range(2), drawings, lengths):
            reference = magenta_sketch_mixture(node_modules, http_folder, path, stroke5_rows(drawing[:length]))
            ours = {k: out[k].numpy()[row, :length] for k in MIXTURE_KEYS}
            ours["pen"] = tf.nn.softmax(out["pen_logits"][row, :length]).numpy()
            differences = max_difference(ours, reference)
            assert max(differences.values()) < 1e-4, differences


@pytest.mark.parametrize("category", ("bird", "sheep", "trombone"))
def test_import_then_export_gives_the_same_blobs(category, shared_data, tmp_path):
    from sketch_rnn import convert
    path = shared_file(shared_data, "magenta_js", f"{category}.gen.json")
    run = convert.import_magenta_js(path, str(tmp_path / "run"), progress=False)
    out = tmp_path / f"{category}.gen.json"
    convert.export_magenta_js(run, str(out))
    original, again = json.load(open(path)), json.load(open(out))
    assert again[1] == original[1] and again[2] == original[2]  # shapes and every base64 blob identical
    assert again[0]["mode"] == 2 and again[0]["name"] == category
    assert again[0]["scale_factor"] == pytest.approx(original[0]["scale_factor"])
    assert again[0]["max_seq_len"] == original[0]["max_seq_len"]


# ----- magenta-js out: a model trained here in @magenta/sketch ---------------------------------------------
def test_export_of_a_model_made_here_runs_in_magenta_sketch(tiny_runs, node_modules, http_folder, tmp_path):
    """@magenta/sketch, reading our export, gives the mixture this project computes up to the int16
    quantization (weights in steps of 10/32767): measured here, and it must stay small."""
    from sketch_rnn import convert
    config, model = tiny_model(False)
    out = tmp_path / "tiny_sheep.gen.json"
    info = convert.export_magenta_js(tiny_runs["gen"], str(out))
    assert info == {"mode": 2, "version": 6, "max_seq_len": 70, "name": "tiny_sheep", "scale_factor": 21.5}
    drawing = drawing_of(5)
    reference = magenta_sketch_mixture(node_modules, http_folder, str(out), stroke5_rows(drawing))
    ours = our_mixture(model, config, [drawing])
    differences = max_difference({k: v[0] for k, v in ours.items()}, reference)
    print("export quantization, max |ours - @magenta/sketch|:", differences)
    assert max(differences.values()) < 2e-3, differences
    assert max(differences.values()) > 1e-7  # the quantization is real: the file does not hold float32


def test_shipped_decoder_only_sheep_runs_in_magenta_sketch(node_modules, http_folder):
    """The unconditional sheep trained here ships its .gen.json: @magenta/sketch reading it gives the
    mixture of the shipped SavedModel (trained with magenta_js_grid=true, so the file holds its weights
    exactly and only float32 rounding differs)."""
    folder = os.path.join(ROOT, "pretrained", "sketch_rnn_aaron_sheep_gen")
    drawing = drawing_of(21, 80) * np.float32([0.4, 0.4, 1])  # aaron_sheep's offsets are smaller
    reference = magenta_sketch_mixture(node_modules, http_folder, os.path.join(folder, "aaron_sheep.gen.json"),
                                       stroke5_rows(drawing))
    differences = max_difference(saved_model_mixture(os.path.join(folder, "saved_model"), drawing), reference)
    print("shipped aaron_sheep_gen, max |ours - @magenta/sketch|:", differences)
    assert max(differences.values()) < 1e-4, differences


def _numpy_lstm(x_rows, w_xh, w_hh, bias, h=None, c=None):
    """The original's LSTM (gates i, j, f, o; forget bias 1) over rows [T, d]: final (h, c)."""
    sigmoid = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    units = w_hh.shape[0]
    h = np.zeros(units) if h is None else h
    c = np.zeros(units) if c is None else c
    for x in x_rows:
        i, j, f, o = np.split(x @ w_xh + h @ w_hh + bias, 4)
        c = c * sigmoid(f + 1.0) + sigmoid(i) * np.tanh(j)
        h = np.tanh(c) * sigmoid(o)
    return h, c


def _blobs(path):
    info, shapes, blobs = json.load(open(path))
    return [np.frombuffer(base64.b64decode(b), "<i2").astype(np.float64).reshape(s) / 32767 * 10
            for b, s in zip(blobs, shapes)]


def test_vae_export_round_trip_and_formulas(tiny_runs, tmp_path):
    """A conditional model -> .vae.json -> import: the same blobs again, and the encoder and the
    initial decoder state of the imported model equal the format's formulas computed in numpy
    straight from the file (forward and backward LSTM over the stroke-5 rows, mu, sigma =
    sqrt(exp(presig)), [c, h] = tanh(z @ enc_w + enc_b))."""
    import tensorflow as tf

    from data_utils.sketch_data import stroke3_to_stroke5_tensor
    from sketch_rnn import convert
    out = tmp_path / "tiny_sheep.vae.json"
    assert convert.export_magenta_js(tiny_runs["vae"], str(out))["mode"] == 0
    run = convert.import_magenta_js(str(out), str(tmp_path / "imported"), progress=False)
    again = tmp_path / "again.vae.json"
    convert.export_magenta_js(run, str(again))
    assert json.load(open(again))[1:] == json.load(open(out))[1:]

    from run_utils.training import load_trained
    from sketch_rnn.config import SketchRNNConfig
    from sketch_rnn.model import build_model
    config, model = load_trained(run, SketchRNNConfig, build_model)
    (fw_xh, fw_hh, fw_b, bw_xh, bw_hh, bw_b, mu_w, mu_b, sig_w, sig_b, enc_w, enc_b, *_) = _blobs(out)
    drawing = drawing_of(8, 30)
    rows = stroke5_rows(drawing).copy()
    rows[:, :2] /= config.scale_factor
    h_fw, _ = _numpy_lstm(rows, fw_xh, fw_hh, fw_b)
    h_bw, _ = _numpy_lstm(rows[::-1], bw_xh, bw_hh, bw_b)
    last_h = np.concatenate([h_fw, h_bw])
    mu, presig = last_h @ mu_w + mu_b, last_h @ sig_w + sig_b
    s5 = stroke3_to_stroke5_tensor(tf.constant(drawing[None]), tf.constant([30]), config.scale_factor)
    our_mu, our_presig = model.encode(s5, tf.constant([30]))
    np.testing.assert_allclose(our_mu.numpy()[0], mu, atol=1e-5)
    np.testing.assert_allclose(np.sqrt(np.exp(our_presig.numpy()[0])), np.sqrt(np.exp(presig)), atol=1e-5)
    state = np.tanh(mu @ enc_w + enc_b)
    c0, h0 = np.split(state, 2)
    our_h, our_c = model.initial_state(tf.constant(mu[None], tf.float32), 1)
    np.testing.assert_allclose(our_h.numpy()[0], h0, atol=1e-5)
    np.testing.assert_allclose(our_c.numpy()[0], c0, atol=1e-5)


# ----- original TF1 checkpoints in: against the original's own numbers -------------------------------------
def original_r_cost(out, strokes5, seq_len):
    """The original's reconstruction loss with is_training=0 from a mixture [B, T, M], in numpy: mean over
    all B*T rows of (-log(sum_k pi_k N(x; k) + 1e-6) + pen cross-entropy) * (1 - p3 of the target)."""
    target = strokes5[:, 1:]
    x1, x2 = target[..., 0:1], target[..., 1:2]
    s1, s2, rho = out["sigma1"], out["sigma2"], out["corr"]
    n1, n2 = (x1 - out["mu1"]) / s1, (x2 - out["mu2"]) / s2
    zz = n1 ** 2 + n2 ** 2 - 2 * rho * n1 * n2
    density = np.exp(-zz / (2 * (1 - rho ** 2))) / (2 * np.pi * s1 * s2 * np.sqrt(1 - rho ** 2))
    offset = -np.log(np.sum(out["pi"] * density, axis=-1) + 1e-6)
    logits = out["pen_logits"] - out["pen_logits"].max(-1, keepdims=True)
    log_pen = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    pen = -np.sum(target[..., 2:] * log_pen, axis=-1)
    return float(np.mean((offset + pen) * (1.0 - target[..., 4])))


@pytest.mark.parametrize("name", TF1_MODELS)
def test_tf1_checkpoint_gives_the_originals_numbers(name, shared_data, tmp_path):
    """convert.py --from=magenta_tf1 with --data_dir (the scale factor computed as the original does);
    the SavedModel's encode gives the original's mean and presig, its mixture with z = mean the
    original's mixture for every point of every drawing within 1e-4, and r_cost follows."""
    import tensorflow as tf
    root = shared_file(shared_data, "magenta_tf1", name)
    expected = dict(np.load(os.path.join(root, "expected.npz")))
    result = run_cli("--from=magenta_tf1", f"--source={root}", f"--output={tmp_path / name}",
                     f"--data_dir={os.path.join(shared_data, 'sketch')}")
    assert result.returncode == 0, result.stderr
    config = json.loads((tmp_path / name / "config.json").read_text())
    assert config["scale_factor"] == pytest.approx(float(expected["scale_factor"]), rel=1e-5)
    m = tf.saved_model.load(str(tmp_path / name / "saved_model"))
    strokes5, seq_len = expected["strokes"], expected["seq_len"]
    strokes3 = np.concatenate([strokes5[:, 1:, :2] * expected["scale_factor"], strokes5[:, 1:, 3:4]],
                              axis=-1).astype(np.float32)
    z = np.zeros([len(seq_len), 0], np.float32)
    if config["conditional"]:
        encoded = m.encode(strokes=tf.constant(strokes3), lengths=tf.constant(seq_len))
        np.testing.assert_allclose(encoded["mu"].numpy(), expected["mean"], atol=1e-4)
        np.testing.assert_allclose(encoded["sigma"].numpy(), np.exp(expected["presig"] / 2), atol=1e-4)
        z = expected["mean"]
    out = {k: v.numpy().astype(np.float64) for k, v in
           m.mixture(strokes=tf.constant(strokes3), lengths=tf.constant(seq_len), z=tf.constant(z)).items()}
    steps = strokes5.shape[1] - 1
    inside = np.arange(steps)[None] < seq_len[:, None]  # the points of each drawing
    for key in MIXTURE_KEYS + ("pen_logits",):
        reference = expected[key].reshape(len(seq_len), steps, -1)
        difference = np.abs(out[key] - reference).max(-1)
        print(f"{name} {key}: max |ours - original| {difference[inside].max():.2e} on the drawings, "
              f"{difference[~inside].max():.2e} after their ends")
        assert difference[inside].max() < 1e-4, (key, difference[inside].max())
        # after each drawing's end the decoder runs on padding for up to 200 steps; float32 rounding
        # differences grow there (layer norm most), still far below the values' scale
        assert difference[~inside].max() < 1e-3, (key, difference[~inside].max())
    assert original_r_cost(out, strokes5, seq_len) == pytest.approx(float(expected["r_cost"]), rel=1e-4)


def test_tf1_scale_factor_flag_and_notes(shared_data, tmp_path, capsys):
    """--scale_factor instead of --data_dir; a model_config.json written as the original trainer writes it
    (a list of names) and unknown keys are named, not fatal; without a scale factor a clear error."""
    from sketch_rnn import convert
    root = tmp_path / "log_root"
    shutil.copytree(shared_file(shared_data, "magenta_tf1", "lstm_gen"), root)
    hparams = json.loads((root / "model_config.json").read_text())
    (root / "model_config.json").write_text(json.dumps({**hparams, "use_fancy_sampler": True}))
    with pytest.raises(convert.ConversionError, match="does not store the data's scale factor.*--data_dir.*"
                                                      "--scale_factor"):
        convert.import_magenta_tf1(str(root), str(tmp_path / "a"))
    assert not (tmp_path / "a").exists()
    convert.import_magenta_tf1(str(root), str(tmp_path / "a"), scale_factor=18.5)
    assert "use_fancy_sampler" in capsys.readouterr().out
    (root / "model_config.json").write_text(json.dumps(list(hparams)))
    convert.import_magenta_tf1(str(root), str(tmp_path / "b"), scale_factor=18.5)
    assert "lists hparam names without values" in capsys.readouterr().out
    config = json.loads((tmp_path / "b" / "config.json").read_text())
    assert (config["dec_rnn_size"], config["num_mixture"], config["conditional"]) == (64, 5, False)


# ----- category download ----------------------------------------------------------------------------------
def test_category_is_downloaded_cached_and_offline_is_clear(tiny_runs, http_folder, tmp_path, monkeypatch):
    from fileio.download import DownloadError
    from sketch_rnn import convert
    folder, url, hits = http_folder
    convert.export_magenta_js(tiny_runs["gen"], str(folder / "tinycat.gen.json"))
    env = {convert.MODELS_URL_ENV: url}
    data = tmp_path / "data"
    first = run_cli("--from=magenta_js", "--source=tinycat", f"--output={tmp_path / 'cat'}", f"--data_dir={data}",
                    env=env)
    assert first.returncode == 0, first.stderr
    assert (data / "magenta_js" / "tinycat.gen.json").exists() and hits.count("/tinycat.gen.json") == 1
    assert "tinycat.gen.json" in first.stderr  # the progress line
    again = run_cli("--from=magenta_js", "--source=tinycat", f"--output={tmp_path / 'cat2'}", f"--data_dir={data}",
                    env=env)
    assert again.returncode == 0 and hits.count("/tinycat.gen.json") == 1  # from the cache
    offline = run_cli("--from=magenta_js", "--source=dog", f"--output={tmp_path / 'dog'}", f"--data_dir={data}",
                      env={convert.MODELS_URL_ENV: "http://127.0.0.1:9"})
    assert offline.returncode == 1
    message = offline.stderr.strip().splitlines()[-1]
    assert message.startswith("Error:") and "http://127.0.0.1:9/dog.gen.json" in message
    assert "Download it yourself" in message and not (tmp_path / "dog").exists()
    monkeypatch.setenv(convert.MODELS_URL_ENV, url)
    with pytest.raises(DownloadError, match="HTTP 404.*Category names are QuickDraw's"):
        convert.import_magenta_js("nosuchthing", str(tmp_path / "x"), cache_dir=str(data), progress=False)


# ----- what a converted run does --------------------------------------------------------------------------
def test_converted_run_samples_completes_exports_and_fine_tunes(tiny_runs, tmp_path):
    """A converted model is a run like any other: sample.py (plain and --complete with --data_dir),
    --export_dir, and train.py --init_from (fine-tuning the original's model)."""
    from sketch_rnn import convert
    from tests.test_sketch_cli import write_tiny_npz
    js = tmp_path / "tiny_sheep.gen.json"
    convert.export_magenta_js(tiny_runs["gen"], str(js))
    run = convert.import_magenta_js(str(js), str(tmp_path / "run"), progress=False)
    data = tmp_path / "data"
    data.mkdir()
    write_tiny_npz(data / "tiny_sheep.npz", np.random.default_rng(1))
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    for extra, out in ((["--num_samples=3"], "s.svg"), (["--complete", f"--data_dir={data}", "--num_samples=2"],
                                                          "c.svg"), ([f"--export_dir={tmp_path / 'export'}"], None)):
        result = subprocess.run([sys.executable, "sample.py", "--model=sketch_rnn", f"--run_dir={run}", "--seed=1",
                                 *extra, *([f"--output={tmp_path / out}"] if out else [])],
                                cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
        assert result.returncode == 0, result.stderr
        assert os.path.exists(tmp_path / out) if out else os.path.exists(tmp_path / "export" / "saved_model.pb")
    tuned = subprocess.run([sys.executable, "train.py", "--model=sketch_rnn", "--category=tiny_sheep",
                            f"--data_dir={data}", f"--init_from={run}", f"--log_root={tmp_path / 'tuned'}",
                            "--num_steps=2", "--save_every=1", "--hparams=batch_size=5"],
                           cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert tuned.returncode == 0, tuned.stderr
    assert f"Starting from the weights in {run}" in tuned.stdout
    config = json.loads((tmp_path / "tuned" / "config.json").read_text())
    assert config["dec_rnn_size"] == 24 and config["scale_factor"] == 21.5  # the source's architecture and scale


# ----- refusals: one clear line, nothing written ------------------------------------------------------------
def _write(path, content):
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


def test_bad_magenta_js_files_are_refused(tiny_runs, tmp_path):
    from sketch_rnn import convert, magenta_js
    good = tmp_path / "good.gen.json"
    convert.export_magenta_js(tiny_runs["gen"], str(good))
    info, shapes, blobs = json.loads(good.read_text())
    short = base64.b64encode(base64.b64decode(blobs[2])[:-6]).decode()
    cases = {
        "not a model": ({"hello": "world"}, "expected a JSON list"),
        "truncated": (good.read_text()[:5000], "is not JSON"),
        "blob size": ([info, shapes, blobs[:2] + [short] + blobs[3:]], "blob 2 holds .* values but its shape"),
        "unknown mode": ([{**info, "mode": 7}, shapes, blobs], "unknown mode 7"),
        "blob count": ([info, shapes[:4], blobs[:4]], "has 5 weight blobs"),
        "shapes disagree": ([info, [[25, 123]] + shapes[1:], blobs], "blob 0 holds"),
        "no scale": ([{k: v for k, v in info.items() if k != "scale_factor"}, shapes, blobs], "scale_factor"),
    }
    for name, (content, message) in cases.items():
        path = _write(tmp_path / f"{name}.json", content)
        with pytest.raises(magenta_js.FormatError, match=message):
            convert.import_magenta_js(path, str(tmp_path / "out"), progress=False)
        assert not (tmp_path / "out").exists(), name
    result = run_cli("--from=magenta_js", f"--source={tmp_path / 'truncated.json'}", f"--output={tmp_path / 'out'}")
    assert result.returncode == 1 and result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("Error:") and "truncated.json is not JSON" in result.stderr


def test_bad_log_roots_are_refused(shared_data, tmp_path):
    from sketch_rnn import convert, magenta_tf1
    from sketch_rnn.weights import WeightsMismatch
    source = shared_file(shared_data, "magenta_tf1", "lstm_vae")
    no_ckpt = tmp_path / "no_ckpt"
    no_ckpt.mkdir()
    shutil.copy(os.path.join(source, "model_config.json"), no_ckpt)
    with pytest.raises(magenta_tf1.CheckpointFormatError, match="holds no checkpoint"):
        convert.import_magenta_tf1(str(no_ckpt), str(tmp_path / "out"), scale_factor=1.0)
    no_config = tmp_path / "no_config"
    shutil.copytree(source, no_config)
    os.remove(no_config / "model_config.json")
    with pytest.raises(magenta_tf1.CheckpointFormatError, match="has no model_config.json"):
        convert.import_magenta_tf1(str(no_config), str(tmp_path / "out"), scale_factor=1.0)
    mismatch = tmp_path / "mismatch"
    shutil.copytree(source, mismatch)
    hparams = json.loads((mismatch / "model_config.json").read_text())
    (mismatch / "model_config.json").write_text(json.dumps({**hparams, "dec_rnn_size": 128, "dec_model": "hyper"}))
    with pytest.raises(WeightsMismatch, match="dec_model='hyper' .the checkpoint has 'lstm'.*dec_rnn_size=128"):
        convert.import_magenta_tf1(str(mismatch), str(tmp_path / "out"), scale_factor=1.0)
    damaged = tmp_path / "damaged"
    shutil.copytree(source, damaged)
    data = damaged / "vector-60.data-00000-of-00001"
    data.write_bytes(data.read_bytes()[:1000])
    with pytest.raises((magenta_tf1.CheckpointFormatError, WeightsMismatch), match="cannot be read|damaged"):
        convert.import_magenta_tf1(str(damaged), str(tmp_path / "out"), scale_factor=1.0)
    assert not (tmp_path / "out").exists()


def test_existing_output_is_refused_unless_overwrite(tiny_runs, tmp_path):
    from sketch_rnn import convert
    js = tmp_path / "m.gen.json"
    convert.export_magenta_js(tiny_runs["gen"], str(js))
    taken = tmp_path / "taken"
    shutil.copytree(tiny_runs["vae"], taken)
    before = sorted(os.listdir(taken))
    result = run_cli("--from=magenta_js", f"--source={js}", f"--output={taken}")
    assert result.returncode == 1 and "already holds a run" in result.stderr and "--overwrite" in result.stderr
    assert sorted(os.listdir(taken)) == before
    assert json.loads((taken / "config.json").read_text())["conditional"] is True  # untouched
    convert.import_magenta_js(str(js), str(taken), overwrite=True, progress=False)
    assert json.loads((taken / "config.json").read_text())["conditional"] is False


@pytest.mark.parametrize("change,message", [
    (dict(dec_model="layer_norm"), "layer_norm cells; the magenta-js format holds only plain LSTM"),
    (dict(num_mixture=5), "num_mixture=5; @magenta/sketch reads exactly 20"),
    ("big weight", "magnitude 12.5 in output_layer.bias.*beyond \\+-10"),
])
def test_export_refuses_what_the_format_cannot_hold(change, message, tmp_path):
    from sketch_rnn import convert, magenta_js
    if change == "big weight":
        config, model = tiny_model(False, seed=3)
        model.output_layer.bias.assign(np.full(model.output_layer.bias.shape, 12.5, np.float32))
        tiny_model.cache_clear()
    else:
        config, model = tiny_model(False, change.get("dec_model", "lstm"), change.get("num_mixture", 20))
    run = save_run(config, model, tmp_path / "run")
    with pytest.raises(magenta_js.FormatError, match=message):
        convert.export_magenta_js(run, str(tmp_path / "out.gen.json"))
    assert not (tmp_path / "out.gen.json").exists()
    with pytest.raises(convert.ConversionError, match="name the file \\*.gen.json"):
        convert.export_magenta_js(save_run(*tiny_model(False), tmp_path / "ok"), str(tmp_path / "out.vae.json"))
