"""What shipping a Sketch-RNN needs (pretrained/ship.py calls these through the registry): the
export, the check (the reconstruction loss of a few drawings, recomputed by tests/test_pretrained.py),
the validation figures for eval.json, and the data that ships beside the weights."""
import glob
import json
import os
import shutil

import numpy as np

from fileio.files import atomic_path
from run_utils.rundir import CONFIG_NAME, pretrained_dir, remembered_data_dir

EXTRA_FILES = ()                         # files copied from the run besides config.json and best.json
EXAMPLES = os.path.join("examples", "aaron_sheep.npz")  # the data set (check: its first valid drawings)
CHECK_DRAWINGS = "check_drawings.npz"    # a model without a data set of its own: the check's drawings
CONVERTED = "converted.json"             # written by convert.py: where a converted model came from


def export(run_dir, export_dir):
    """saved_model/ of the run's best weights, exported from a model built for sampling."""
    from run_utils.training import load_trained
    from sketch_rnn.config import SketchRNNConfig
    from sketch_rnn.export import export_saved_model
    from sketch_rnn.model import build_model
    return export_saved_model(load_trained(run_dir, SketchRNNConfig, build_model)[1], export_dir)


def check_value(run_dir):
    """The reconstruction loss of the shipped model on its check drawings (z = mu: deterministic)."""
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


def evaluation(run_dir, config):
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


def copy_data(run_dir, dest, config, whole=True, styles=()):
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


def copy_converted(run_dir, dest, config):
    """A run convert.py made from one of the original's models: its files as they are, and check
    drawings scaled to its units (it has no data set of its own)."""
    for name in (CONFIG_NAME, CONVERTED):
        shutil.copyfile(os.path.join(run_dir, name), os.path.join(dest, name))
    _check_drawings(dest, config)


def finish(dest, config, converted):
    """An unconditional model trained here also ships its magenta-js file, for @magenta/sketch."""
    if not config["conditional"] and not converted:
        from sketch_rnn.convert import export_magenta_js
        stem = config["data_set"][0][:-len(".npz")]
        export_magenta_js(dest, os.path.join(dest, f"{stem}.gen.json"))
