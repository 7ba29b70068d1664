"""How the folders of pretrained/ are made from training runs, and the check that guards them.

    python -m pretrained.ship --model=char_rnn --run_dir=$HOME/rnngen-runs/char_rnn_shakespeare
    python -m pretrained.ship --model=sketch_rnn --run_dir=$HOME/rnngen-runs/sketch_rnn_aaron_sheep
    python -m pretrained.ship --model=handwriting --run_dir=$HOME/rnngen-runs/handwriting_synthesis \\
        --styles=a08-551-03,c04-103-01,f04-093-03
    python -m pretrained.ship --model=sketch_rnn --run_dir=$HOME/rnngen-runs/sheep_gen --name=aaron_sheep_gen
    python -m pretrained.ship --model=sketch_rnn --run_dir=runs/converted/bird --name=bird   # from convert.py

A shipped model is a run directory without checkpoints: config.json (and vocab.json), eval.json,
best.json, saved_model/ exported from the best weights (weights only; sample.py and serve.py load
it), a small slice of validation data with check.json, the loss recorded on it at shipping time
(tests/test_pretrained.py recomputes it, so a broken loader or a refactor that changes the model
cannot pass), and for Sketch-RNN and handwriting the example drawings and styles the demo uses.
The model card MODEL.md is written by hand.

--name ships one more model of a kind as pretrained/<model>_<name>/ (Sketch-RNN categories). A run
that convert.py made from one of the original's models (it holds converted.json) ships as it is,
with the check on a few aaron_sheep drawings scaled to its units (check_drawings.npz); an
unconditional Sketch-RNN also ships its magenta-js file (<data set>.gen.json, for @magenta/sketch).
"""
import argparse
import glob
import json
import os
import shutil
import sys

import numpy as np

from data_utils.files import atomic_dir, atomic_path, save_json, save_text
from run_utils.rundir import (
    BEST_INFO,
    CONFIG_NAME,
    EVAL_FILE,
    EXPORT_DIR,
    PRETRAINED,
    PRETRAINED_ROOT,
    VOCAB_FILE,
    pretrained_dir,
    remembered_data_dir,
)

CHECK_FILE = "check.json"
CHECK_TEXT = "check_text.txt"            # char-RNN: the first characters of the validation split
EXAMPLES = os.path.join("examples", "aaron_sheep.npz")  # Sketch-RNN: the data set (check: its first valid drawings)
CHECK_LINES = "check_lines.json"         # handwriting: validation lines with their text
CHECK_DRAWINGS = "check_drawings.npz"    # Sketch-RNN without a data set of its own: the check's drawings
CONVERTED = "converted.json"             # written by convert.py: where a converted model came from
STYLES = "styles"                        # handwriting: IAM lines to prime with


# ----- the check: one loss of the shipped model on its shipped slice -----------------------------
def check_value(model_name, run_dir):
    """The loss the shipped model `run_dir` gives on its own check slice (deterministic)."""
    checks = {"char_rnn": _check_char, "sketch_rnn": _check_sketch, "handwriting": _check_handwriting}
    return checks[model_name](run_dir)


def _check_char(run_dir):
    from char_rnn.model import text_nll
    from char_rnn.sample import load_trained_with_vocabulary
    _, vocabulary, model = load_trained_with_vocabulary(run_dir)
    with open(os.path.join(run_dir, CHECK_TEXT), encoding="utf-8") as f:
        ids = vocabulary.encode(f.read())
    return text_nll(model, ids, num_streams=4, chunk_length=100)[0]


def _check_sketch(run_dir):
    import tensorflow as tf

    from data_utils import sketch_data, strokes
    from run_utils.training import load_trained
    from sketch_rnn.config import SketchRNNConfig
    from sketch_rnn.model import build_model
    config, model = load_trained(run_dir, SketchRNNConfig, build_model)
    if os.path.exists(os.path.join(run_dir, CHECK_DRAWINGS)):
        with np.load(os.path.join(run_dir, CHECK_DRAWINGS)) as f:
            valid = [d[:n] for d, n in zip(f["drawings"], f["lengths"])]
    else:
        valid = sketch_data.load_npz(glob.glob(os.path.join(run_dir, "examples", "*.npz"))[0])["valid"][:16]
    drawings = strokes.normalize([np.asarray(d, np.float32) for d in valid], config.scale_factor)
    batch = next(iter(sketch_data.make_dataset(drawings, config.max_seq_len, len(drawings), shuffle=False,
                                               repeat=False)))
    out = {}
    if config.conditional:
        out["mu"], out["presig"] = model.encode(batch["strokes"], batch["seq_len"])  # z = mu: no sampling noise
    z = out.get("mu")
    out["raw"], _ = model.decode(batch["strokes"][:, :-1], z, model.initial_state(z, tf.shape(batch["strokes"])[0]))
    return float(model.compute_losses(batch, out)["recon"])


def _check_drawings(dest, config):
    """16 validation drawings of the shipped aaron_sheep set (the first that fit its max_seq_len), scaled
    to a converted model's units
    (its scale factor over aaron_sheep's), for the check of a model shipped without data."""
    from data_utils import sketch_data
    sheep = pretrained_dir("sketch_rnn")
    with open(os.path.join(sheep, CONFIG_NAME)) as f:
        sheep_scale = json.load(f)["scale_factor"]
    drawings = [d for d in sketch_data.load_npz(os.path.join(sheep, EXAMPLES))["valid"]
                if len(d) <= config["max_seq_len"]][:16]
    length = max(len(d) for d in drawings)
    padded = np.zeros((len(drawings), length, 3), np.float32)  # stroke-3, each drawing cut to its length on load
    for i, d in enumerate(drawings):
        padded[i, :len(d)] = d
        padded[i, :len(d), :2] *= config["scale_factor"] / sheep_scale
    with atomic_path(os.path.join(dest, CHECK_DRAWINGS), suffix=".npz") as tmp:
        np.savez(tmp, drawings=padded, lengths=np.array([len(d) for d in drawings], np.int32))


def _check_handwriting(run_dir):
    import tensorflow as tf

    from data_utils import iam_batches
    from data_utils.text import Vocabulary
    from handwriting.config import HandwritingConfig
    from handwriting.model import build_model
    from run_utils.training import load_trained
    config, model = load_trained(run_dir, HandwritingConfig, build_model)
    with open(os.path.join(run_dir, CHECK_LINES), encoding="utf-8") as f:
        lines = json.load(f)["lines"]
    stats = iam_batches.OffsetStats.from_dict(config.offset_stats)
    vocabulary = Vocabulary(config.chars)
    steps, chars = max(len(x["strokes"]) for x in lines), max(len(x["text"]) for x in lines)
    batch = {"strokes": np.zeros((len(lines), steps, 3), np.float32), "stroke_mask": np.zeros((len(lines), steps)),
             "chars": np.zeros((len(lines), chars), np.int32), "char_mask": np.zeros((len(lines), chars))}
    for i, line in enumerate(lines):
        n, u = len(line["strokes"]), len(line["text"])
        batch["strokes"][i, :n] = iam_batches.normalize(np.asarray(line["strokes"], np.float32), stats)
        batch["stroke_mask"][i, :n] = 1.0
        batch["chars"][i, :u] = vocabulary.encode(line["text"])
        batch["char_mask"][i, :u] = 1.0
    batch = {k: tf.constant(v, tf.int32 if k == "chars" else tf.float32) for k, v in batch.items()}
    losses, _ = model.compute_losses(batch, model(batch, training=False))
    return float(losses["loss"])


# ----- making the folder ---------------------------------------------------------------------------
def _export(model_name, run_dir, dest):
    """saved_model/ of the run's best weights, exported from a model built for sampling."""
    if model_name == "char_rnn":
        from char_rnn.export import export_saved_model
        from char_rnn.sample import load_trained_with_vocabulary
        _, vocabulary, model = load_trained_with_vocabulary(run_dir)
        export_saved_model(model, vocabulary, os.path.join(dest, EXPORT_DIR))
    elif model_name == "sketch_rnn":
        from run_utils.training import load_trained
        from sketch_rnn.config import SketchRNNConfig
        from sketch_rnn.export import export_saved_model
        from sketch_rnn.model import build_model
        export_saved_model(load_trained(run_dir, SketchRNNConfig, build_model)[1], os.path.join(dest, EXPORT_DIR))
    else:
        from handwriting.config import HandwritingConfig
        from handwriting.export import export_saved_model
        from handwriting.model import build_model
        from run_utils.training import load_trained
        export_saved_model(load_trained(run_dir, HandwritingConfig, build_model)[1], os.path.join(dest, EXPORT_DIR))


def _slice_char(run_dir, dest, config):
    from data_utils import text_corpus
    text = text_corpus.load_corpus(remembered_data_dir(run_dir))
    save_text(text_corpus.split_text(text, config["valid_fraction"])[1][:2000], os.path.join(dest, CHECK_TEXT))


def _evaluate_sketch(run_dir, config):
    """The original's validation figures of the run's best weights on the whole validation split
    (sketch training writes no eval.json of its own): valid_cost, valid_recon, valid_kl."""
    import keras

    from data_utils import sketch_data, strokes
    from run_utils.training import restore_weights
    from sketch_rnn.config import SketchRNNConfig
    from sketch_rnn.model import build_model
    c = SketchRNNConfig(**config)
    model = build_model(c)
    restore_weights(model, run_dir)
    data = sketch_data.load_sketch_data([os.path.join(remembered_data_dir(run_dir), c.data_set[0])], c.max_seq_len)
    valid = sketch_data.make_dataset(strokes.normalize(sketch_data.sort_by_length(data.valid), c.scale_factor),
                                     c.max_seq_len, c.batch_size, shuffle=False, repeat=False)
    keras.utils.set_random_seed(0)  # z is sampled, as in the original's eval model
    result = model.evaluate(valid, verbose=0, return_dict=True)
    return {"valid_cost": result["loss"], "valid_recon": result["recon"], "valid_kl": result["kl"],
            "valid_recon_masked": result["recon_masked"], "drawings": len(data.valid) // c.batch_size * c.batch_size}


def _evaluate_handwriting(run_dir, config):
    from data_utils import iam
    from handwriting.config import HandwritingConfig
    from handwriting.model import build_model
    from handwriting.train import evaluate
    from run_utils.training import load_trained
    _, model = load_trained(run_dir, HandwritingConfig, build_model)
    corpus = iam.load_corpus(remembered_data_dir(run_dir), split_scheme=config["split_scheme"], progress=False)
    return evaluate(model, corpus, HandwritingConfig(**config))


def _slice_sketch(run_dir, dest, config, whole=True):
    """The data set (aaron_sheep, 2.3 MB): test drawings for the demo's reconstructions and
    completions, the validation drawings of the check, and the training set of make train-demo.
    whole=False: a slice of it (100 training, 16 validation and 16 test drawings)."""
    from data_utils import sketch_data
    source = os.path.join(remembered_data_dir(run_dir), config["data_set"][0])
    target = os.path.join(dest, "examples", config["data_set"][0])
    os.makedirs(os.path.dirname(target), exist_ok=True)
    if whole:
        shutil.copyfile(source, target)
        return
    data = sketch_data.load_npz(source)
    sketch_data.write_npz(target, data["train"][:100], data["valid"][:16], data["test"][:16])


def _slice_handwriting(run_dir, dest, config, styles):
    from data_utils import iam
    from data_utils.handwriting_style import style_from_iam
    corpus = iam.load_corpus(remembered_data_dir(run_dir), split_scheme=config["split_scheme"], progress=False)
    valid = [i for i in np.flatnonzero(corpus.split == "valid") if corpus.text_ok[i]]
    picked = [i for i in valid if len(corpus.strokes[i]) <= 600][:4]
    save_json({"lines": [{"line_id": corpus.line_ids[i], "text": corpus.texts[i],
                          "strokes": np.round(corpus.strokes[i], 3).tolist()} for i in picked]},
              os.path.join(dest, CHECK_LINES))
    for line_id in styles:
        style_from_iam(corpus, line_id).save(os.path.join(dest, STYLES, f"{line_id}.json"))


def ship(model_name, run_dir, styles=(), name=None):
    """Make (or replace) pretrained/<name>/ from run_dir (name: the model's default folder, or
    <model>_<name>). The folder is built beside the old one, starting from a copy of it (so the
    hand-written model card stays), and swapped in only when everything, the check included, has
    been written: an error or a kill leaves the old one."""
    dest = os.path.join(PRETRAINED_ROOT, PRETRAINED[model_name] if name is None else f"{model_name}_{name}")
    with open(os.path.join(run_dir, CONFIG_NAME)) as f:
        config = json.load(f)
    converted = os.path.exists(os.path.join(run_dir, CONVERTED))
    with atomic_dir(dest) as new:
        if os.path.isdir(dest):
            shutil.copytree(dest, new, dirs_exist_ok=True, ignore=shutil.ignore_patterns(EXPORT_DIR))  # re-exported
        if converted:  # as convert.py made it: no training run, no data set of its own
            for file_name in (CONFIG_NAME, CONVERTED):
                shutil.copyfile(os.path.join(run_dir, file_name), os.path.join(new, file_name))
            _check_drawings(new, config)
        else:
            _ship_trained(model_name, run_dir, new, config, styles, whole_data=name is None)
        _export(model_name, run_dir, new)
        if model_name == "sketch_rnn" and not config["conditional"] and not converted:  # for @magenta/sketch
            from sketch_rnn.convert import export_magenta_js
            stem = config["data_set"][0][:-len(".npz")]
            export_magenta_js(new, os.path.join(new, f"{stem}.gen.json"))
        value = check_value(model_name, new)
        save_json({"value": value, "what": "loss of the shipped model on its check slice (pretrained/ship.py)"},
                  os.path.join(new, CHECK_FILE))
    print(f"{dest}: check value {value:.6f}")
    return dest


def _ship_trained(model_name, run_dir, new, config, styles, whole_data):
    names = [CONFIG_NAME, BEST_INFO] + ([VOCAB_FILE] if model_name == "char_rnn" else [])
    for file_name in names:
        shutil.copyfile(os.path.join(run_dir, file_name), os.path.join(new, file_name))
    if model_name == "sketch_rnn":  # sketch training writes no eval.json of its own
        save_json(_evaluate_sketch(run_dir, config), os.path.join(new, EVAL_FILE))
    elif os.path.exists(os.path.join(run_dir, EVAL_FILE)):
        shutil.copyfile(os.path.join(run_dir, EVAL_FILE), os.path.join(new, EVAL_FILE))
    else:  # a handwriting run still training: its best weights on all validation lines
        save_json(_evaluate_handwriting(run_dir, config), os.path.join(new, EVAL_FILE))
    if model_name == "char_rnn":
        _slice_char(run_dir, new, config)
    elif model_name == "sketch_rnn":
        _slice_sketch(run_dir, new, config, whole=whole_data)
    else:
        _slice_handwriting(run_dir, new, config, styles)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m pretrained.ship", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=sorted(PRETRAINED), required=True)
    parser.add_argument("--run_dir", required=True, help="the training run (with best.weights.h5)")
    parser.add_argument("--styles", default="", help="handwriting: IAM line ids to ship as styles, comma separated")
    parser.add_argument("--name", default=None, help="ship as pretrained/<model>_<name>/ (another model of the kind, "
                        "e.g. a Sketch-RNN category) instead of the model's default folder")
    args = parser.parse_args(argv)
    ship(args.model, os.path.expanduser(args.run_dir), [s for s in args.styles.split(",") if s], args.name)
    return 0


if __name__ == "__main__":
    from run_utils.quiet import silence_tensorflow
    silence_tensorflow()
    sys.exit(main())
