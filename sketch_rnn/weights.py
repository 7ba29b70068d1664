"""A SketchRNN's weights by stable names, and how the original code lays out the same weights.

The converters (magenta_js.py, magenta_tf1.py) translate between the original's files and a dict
{name: numpy array} in this project's layout; `weight_table` names every weight of a built model
(`"dec_cell.kernel"`, `"dec_cell.hyper.ln_gamma"`, `"init_state_layer.bias"`, ...) and
`assign_weights` loads such a dict into it, all or nothing.

One layout differs between the two codes beyond names: the decoder state that the initial-state
layer tanh(W z + b) emits. The original concatenates the state of its cells as LSTMCell [c, h],
LayerNormLSTMCell [h, c], HyperLSTMCell [h, hyper_h, c, hyper_c]; here every cell's state is the
list [h, c] (HyperLSTM [h, c, hyper_h, hyper_c]). `state_permutation` maps one to the other.
"""
import keras
import numpy as np

from run_utils.export import exported_weights
from sketch_rnn.cells import HyperLSTMCell

# The model's layers that hold weights, by attribute name (absent ones are skipped).
LAYERS = ("enc_fw_cell", "enc_bw_cell", "mu_layer", "presig_layer", "dec_cell", "init_state_layer", "output_layer")
ORIGINAL_STATE_ORDER = {"lstm": ("c", "h"), "layer_norm": ("h", "c"), "hyper": ("h", "hyper_h", "c", "hyper_c")}
STATE_ORDER = {"lstm": ("h", "c"), "layer_norm": ("h", "c"), "hyper": ("h", "c", "hyper_h", "hyper_c")}


class WeightsMismatch(ValueError):
    """Named arrays that do not fit a model: the message lists what is missing, extra or misshapen."""


def weight_table(model: keras.Model) -> dict[str, keras.Variable]:
    """{name: variable} of every weight of a built SketchRNN, named "<layer attribute>.<weight>"
    ("dec_cell.recurrent_kernel"; a HyperLSTM's inner cell: "dec_cell.hyper.kernel")."""
    table = {}
    for attr in LAYERS:
        layer = getattr(model, attr, None)
        if layer is None:
            continue
        inner = {id(v) for v in layer.hyper.weights} if isinstance(layer, HyperLSTMCell) else set()
        for variable in layer.weights:
            leaf = variable.path.rsplit("/", 1)[-1]
            table[f"{attr}.hyper.{leaf}" if id(variable) in inner else f"{attr}.{leaf}"] = variable
    weights = exported_weights(model)  # magenta_js_grid's remainders are not weights of the format
    if len(table) != len(weights):
        raise AssertionError(f"weight_table named {len(table)} of the model's {len(weights)} weights")
    return table


def assign_weights(model: keras.Model, arrays: dict[str, np.ndarray], source: str) -> None:
    """Load {name: array} (names of weight_table) into `model`. Every weight of the model must be
    given with its exact shape and nothing else may be given; otherwise WeightsMismatch naming
    `source` and each difference, and the model is left unchanged."""
    table = weight_table(model)
    missing = sorted(set(table) - set(arrays))
    extra = sorted(set(arrays) - set(table))
    misshapen = [f"{name} {list(np.shape(arrays[name]))} (the model needs {list(table[name].shape)})"
                 for name in sorted(set(table) & set(arrays))
                 if tuple(np.shape(arrays[name])) != tuple(table[name].shape)]
    problems = ([f"missing {', '.join(missing)}"] if missing else []) + \
               ([f"not in the model {', '.join(extra)}"] if extra else []) + \
               ([f"wrong shape {'; '.join(misshapen)}"] if misshapen else [])
    if problems:
        raise WeightsMismatch(f"The weights of {source} do not fit the model its configuration describes: "
                              f"{'; '.join(problems)}.")
    for name, variable in table.items():
        variable.assign(np.asarray(arrays[name], np.float32))


def state_permutation(cell_kind: str, units: int, hyper_units: int = 256) -> np.ndarray:
    """Index array p such that ours = original[..., p] for a decoder state (or the columns of the
    layer that makes it) of a `cell_kind` cell; original = ours[..., argsort(p)]."""
    sizes = {"h": units, "c": units, "hyper_h": hyper_units, "hyper_c": hyper_units}
    offsets, start = {}, 0
    for part in ORIGINAL_STATE_ORDER[cell_kind]:
        offsets[part] = start
        start += sizes[part]
    return np.concatenate([np.arange(offsets[part], offsets[part] + sizes[part]) for part in STATE_ORDER[cell_kind]])
