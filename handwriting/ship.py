"""What shipping the handwriting model needs (pretrained/ship.py calls these through the
registry): the export, the check (the loss of a few validation lines, recomputed by
tests/test_pretrained.py), the validation figures, and the lines and styles that ship with it."""
import json
import os

import numpy as np

from fileio.files import save_json
from run_utils.rundir import EVAL_FILE, remembered_data_dir

EXTRA_FILES = ()
CHECK_LINES = "check_lines.json"         # validation lines with their text
STYLES = "styles"                        # IAM lines to prime with


def export(run_dir, export_dir):
    from handwriting.config import HandwritingConfig
    from handwriting.export import export_saved_model
    from handwriting.model import build_model
    from run_utils.training import load_trained
    return export_saved_model(load_trained(run_dir, HandwritingConfig, build_model)[1], export_dir)


def check_value(run_dir):
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


def evaluation(run_dir, config):
    """eval.json of the run, or (a run still training) its best weights on all validation lines."""
    if os.path.exists(os.path.join(run_dir, EVAL_FILE)):
        with open(os.path.join(run_dir, EVAL_FILE)) as f:
            return json.load(f)
    from data_utils import iam
    from handwriting.config import HandwritingConfig
    from handwriting.model import build_model
    from handwriting.train import evaluate
    from run_utils.training import load_trained
    _, model = load_trained(run_dir, HandwritingConfig, build_model)
    corpus = iam.load_corpus(remembered_data_dir(run_dir), split_scheme=config["split_scheme"], progress=False)
    return evaluate(model, corpus, HandwritingConfig(**config))


def copy_data(run_dir, dest, config, whole=True, styles=()):
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


def copy_converted(run_dir, dest, config):
    raise ValueError(f"{run_dir} is a converted run; only Sketch-RNN models of the original are converted.")


def finish(dest, config, converted):
    return None
