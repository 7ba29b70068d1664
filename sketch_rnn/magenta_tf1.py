"""What the original magenta `sketch_rnn_train.py` leaves in its log_root, read: `model_config.json`
(its hparams) and a TF1 checkpoint `vector-N` whose variables are named as the original names them
(`vector_rnn/RNN/LSTMCell/W_xh`, `vector_rnn/ENC_RNN/fw/...`, `vector_rnn/linear/super_linear_w`).
Optimizer slots and counters are ignored.

The architecture is read off the checkpoint (cell kinds from the variable scopes, sizes from the
shapes) and checked against model_config.json; the original's trainer at magenta's last commit
writes the hparams' names only (`json.dump(list(hps.values()))`), so a list there is accepted and
the checkpoint decides. The original does not store the data's scale factor: it comes from the
training split of the data sets (as the original computes it) or from the caller.
"""
import dataclasses
import glob
import json
import os
import re

import numpy as np

from sketch_rnn.config import SketchRNNConfig
from sketch_rnn.weights import WeightsMismatch, state_permutation

CONFIG_FILE = "model_config.json"
SCOPE = "vector_rnn"
CELL_SCOPES = {"LSTMCell": "lstm", "LayerNormLSTMCell": "layer_norm", "HyperLSTMCell": "hyper"}
CELL_NAMES = {kind: scope for scope, kind in CELL_SCOPES.items()}
# Keys of the original's hparams that do not describe the model (the original's own switch for
# its eval/sample copies).
IGNORED_KEYS = ("is_training",)
# Keys that fix the variables: checked against the checkpoint.
ARCHITECTURE_KEYS = ("dec_model", "dec_rnn_size", "num_mixture", "conditional")
ENCODER_KEYS = ("enc_model", "enc_rnn_size", "z_size")
GATES = "ijfo"


class CheckpointFormatError(ValueError):
    """A log_root that cannot be converted; the message names the file and the fix."""


def find_checkpoint(log_root: str) -> str:
    """The checkpoint prefix of log_root: the one its `checkpoint` file names, else the newest vector-N."""
    import tensorflow as tf

    if not os.path.isdir(log_root):
        raise CheckpointFormatError(f"{log_root} is not a folder; --source must be the log_root that the original's "
                                    "sketch_rnn_train.py wrote (model_config.json and vector-N.* files).")
    named = tf.train.latest_checkpoint(log_root)
    if named and os.path.exists(named + ".index"):
        return named
    found = {int(m.group(1)): p[:-len(".index")] for p in glob.glob(os.path.join(log_root, "*.index"))
             if (m := re.search(r"-(\d+)\.index$", p))}
    if not found:
        raise CheckpointFormatError(f"{log_root} holds no checkpoint (no vector-N.index / .data files); point "
                                    "--source at the original's --log_root after it saved.")
    return found[max(found)]


def read_hparams(log_root: str) -> tuple[dict, list[str]]:
    """(hparams dict, notes) from log_root/model_config.json; notes say what was ignored."""
    path = os.path.join(log_root, CONFIG_FILE)
    if not os.path.exists(path):
        raise CheckpointFormatError(f"{log_root} has no {CONFIG_FILE}; the original writes it beside its "
                                    "checkpoints. Copy it there from the training run.")
    try:
        with open(path, encoding="utf-8") as f:
            values = json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointFormatError(f"{path} cannot be read ({e}).") from None
    if isinstance(values, list) and all(isinstance(v, str) for v in values):
        return {}, [f"{path} lists hparam names without values (as the original trainer writes it); the "
                    "architecture is read off the checkpoint and the rest are the original's defaults"]
    if not isinstance(values, dict):
        raise CheckpointFormatError(f"{path} is not an hparams object (a JSON dict of name: value).")
    known = {f.name for f in dataclasses.fields(SketchRNNConfig)}
    unknown = sorted(set(values) - known - set(IGNORED_KEYS))
    notes = [f"{path}: keys {', '.join(unknown)} are not hparams of the original code this project follows; "
             "they were ignored (the checkpoint's variables decide the architecture)"] if unknown else []
    return {k: v for k, v in values.items() if k in known}, notes


def _architecture(shapes, prefix):
    """Cell kinds and sizes read off the variable names and shapes."""
    def cell_kind(scope):
        kinds = {CELL_SCOPES[m.group(1)] for name in shapes
                 if (m := re.match(re.escape(scope) + r"/(\w+)/W_xh$", name)) and m.group(1) in CELL_SCOPES}
        if len(kinds) != 1:
            raise CheckpointFormatError(f"{prefix} has no (or more than one) recurrent cell under {scope}/; it is "
                                        "not a checkpoint of the original sketch_rnn code.")
        return kinds.pop()

    out = f"{SCOPE}/RNN/output_b"
    if out not in shapes:
        raise CheckpointFormatError(f"{prefix} has no variable {out}; it is not a checkpoint of the original "
                                    "sketch_rnn code.")
    arch = {"dec_model": cell_kind(f"{SCOPE}/RNN"), "dec_rnn_size": shapes[f"{SCOPE}/RNN/output_w"][0],
            "num_mixture": (shapes[out][0] - 3) // 6, "conditional": f"{SCOPE}/ENC_RNN_mu/super_linear_w" in shapes}
    if arch["conditional"]:
        mu = shapes[f"{SCOPE}/ENC_RNN_mu/super_linear_w"]
        arch.update(enc_model=cell_kind(f"{SCOPE}/ENC_RNN/fw"), enc_rnn_size=mu[0] // 2, z_size=mu[1])
    return arch


def _cell(read, scope, kind, ours):
    """{our name: array} of one cell under the original's variable scope."""
    base = f"{scope}/{CELL_NAMES[kind]}"
    out = {f"{ours}.kernel": read(f"{base}/W_xh"), f"{ours}.recurrent_kernel": read(f"{base}/W_hh")}
    if kind in ("lstm", "hyper"):
        out[f"{ours}.bias"] = read(f"{base}/bias")
    if kind in ("layer_norm", "hyper"):
        for ours_name, theirs in (("ln_gamma", "ln_all/ln_gamma"), ("ln_beta", "ln_all/ln_beta"),
                                  ("ln_c_gamma", "ln_c/ln_gamma"), ("ln_c_beta", "ln_c/ln_beta")):
            out[f"{ours}.{ours_name}"] = read(f"{base}/{theirs}")
    if kind == "hyper":  # the inner layer-norm LSTM and the eight hyper_norm projections (gates i, j, f, o)
        out.update(_cell(read, base, "layer_norm", f"{ours}.hyper"))

        def per_gate(part, layer, bias=False):
            return [read(f"{base}/hyper_{g}{part}/{layer}/super_linear_{'b' if bias else 'w'}") for g in GATES]

        out.update({f"{ours}.z_x": np.concatenate(per_gate("x", "zw"), axis=1),
                    f"{ours}.z_x_bias": np.concatenate(per_gate("x", "zw", bias=True)),
                    f"{ours}.z_h": np.concatenate(per_gate("h", "zw"), axis=1),
                    f"{ours}.z_h_bias": np.concatenate(per_gate("h", "zw", bias=True)),
                    f"{ours}.z_b": np.concatenate(per_gate("h", "zb"), axis=1),
                    f"{ours}.alpha_x": np.stack(per_gate("x", "alpha")),
                    f"{ours}.alpha_h": np.stack(per_gate("h", "alpha")),
                    f"{ours}.beta_b": np.stack(per_gate("h", "beta"))})
    return out


def read_log_root(log_root: str) -> tuple[SketchRNNConfig, dict[str, np.ndarray], list[str], set[str]]:
    """(config without the data scale factor, {weight name: array}, notes, the hparams that
    model_config.json gave) of an original log_root."""
    import tensorflow as tf

    prefix = find_checkpoint(log_root)
    hparams, notes = read_hparams(log_root)
    try:
        reader = tf.train.load_checkpoint(prefix)
        shapes = reader.get_variable_to_shape_map()
    except (tf.errors.OpError, ValueError) as e:
        raise CheckpointFormatError(f"The checkpoint {prefix} cannot be read ({type(e).__name__}: "
                                    f"{str(e).splitlines()[0]}); it is damaged or cut off.") from None
    arch = _architecture(shapes, prefix)
    conflicts = [f"{k}={hparams[k]!r} (the checkpoint has {arch[k]!r})" for k in arch
                 if k in hparams and hparams[k] != arch[k]]
    if conflicts:
        raise WeightsMismatch(f"{os.path.join(log_root, CONFIG_FILE)} does not describe the checkpoint {prefix}: "
                              f"{', '.join(conflicts)}.")
    missing = []

    def read(name):
        full = f"{SCOPE}/{name}" if not name.startswith(SCOPE) else name
        if full not in shapes:
            missing.append(full)
            return np.zeros([0], np.float32)
        try:
            return reader.get_tensor(full).astype(np.float32)
        except (tf.errors.OpError, IndexError, ValueError) as e:  # a cut-off or damaged data file
            raise CheckpointFormatError(f"The variable {full} of the checkpoint {prefix} cannot be read "
                                        f"({type(e).__name__}: {str(e).splitlines()[0]}); the checkpoint is "
                                        "damaged or cut off.") from None

    arrays = _cell(read, f"{SCOPE}/RNN", arch["dec_model"], "dec_cell")
    arrays.update({"output_layer.kernel": read("RNN/output_w"), "output_layer.bias": read("RNN/output_b")})
    if arch["conditional"]:
        arrays.update(_cell(read, f"{SCOPE}/ENC_RNN/fw", arch["enc_model"], "enc_fw_cell"))
        arrays.update(_cell(read, f"{SCOPE}/ENC_RNN/bw", arch["enc_model"], "enc_bw_cell"))
        for ours, theirs in (("mu_layer", "ENC_RNN_mu"), ("presig_layer", "ENC_RNN_sigma"),
                             ("init_state_layer", "linear")):
            arrays[f"{ours}.kernel"] = read(f"{theirs}/super_linear_w")
            arrays[f"{ours}.bias"] = read(f"{theirs}/super_linear_b")
    if missing:
        raise WeightsMismatch(f"The checkpoint {prefix} lacks the variables {', '.join(missing)} that a "
                              f"{arch['dec_model']} Sketch-RNN of the original code has.")
    if arch["conditional"]:
        hyper_units = arrays.get("dec_cell.hyper.recurrent_kernel", np.zeros((256, 0))).shape[0]
        order = state_permutation(arch["dec_model"], arch["dec_rnn_size"], hyper_units)
        if len(order) == arrays["init_state_layer.bias"].shape[0]:  # else assign_weights names the mismatch
            arrays["init_state_layer.kernel"] = arrays["init_state_layer.kernel"][:, order]
            arrays["init_state_layer.bias"] = arrays["init_state_layer.bias"][order]
    values = {**hparams, **arch}
    values.pop("scale_factor", None)
    return SketchRNNConfig(**values), arrays, notes, set(hparams)
