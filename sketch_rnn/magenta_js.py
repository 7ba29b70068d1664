"""magenta's JavaScript model format (sketch-rnn-js, `@magenta/sketch`), read and written.

A file is a JSON list `[info, shapes, blobs]`: info `{"mode", "version", "max_seq_len", "name",
"scale_factor"}`; blobs are base64 strings of little-endian int16 arrays, a weight being
int16 / 32767 * 10. Mode 2 (or "gen") is a decoder-only model with five blobs; mode 0 or 1 (or
"vae") an encoder + decoder with seventeen, in the orders of GEN_BLOBS and VAE_BLOBS (names of
sketch_rnn.weights.weight_table; the initial-state layer's columns in the original's [c, h] order).
The cells are the original's plain LSTM (forget bias +1 added at run time, not stored).
"""
import base64
import binascii
import json
import math
import os

import numpy as np

from sketch_rnn.config import SketchRNNConfig
from sketch_rnn.weights import state_permutation

QUANTUM = 32767        # int16 steps per WEIGHT_LIMIT
WEIGHT_LIMIT = 10.0    # a weight is int16 / QUANTUM * WEIGHT_LIMIT
MAGENTA_MIXTURES = 20  # @magenta/sketch hard-codes NMIXTURE = 20
FORMAT_VERSION = 6     # what magenta's published files carry; older VAE files put tanh() on z first
GEN_MODES = (2, "gen")
VAE_MODES = (0, 1, "vae")

DECODER_BLOBS = ("output_layer.kernel", "output_layer.bias",
                 "dec_cell.kernel", "dec_cell.recurrent_kernel", "dec_cell.bias")
GEN_BLOBS = DECODER_BLOBS
VAE_BLOBS = ("enc_fw_cell.kernel", "enc_fw_cell.recurrent_kernel", "enc_fw_cell.bias",
             "enc_bw_cell.kernel", "enc_bw_cell.recurrent_kernel", "enc_bw_cell.bias",
             "mu_layer.kernel", "mu_layer.bias", "presig_layer.kernel", "presig_layer.bias",
             "init_state_layer.kernel", "init_state_layer.bias") + DECODER_BLOBS


class FormatError(ValueError):
    """A file that is not a readable magenta-js Sketch-RNN model, or a model the format cannot hold."""


def quantize(array: np.ndarray) -> np.ndarray:
    """float weights in [-10, 10] -> the format's int16 values."""
    return np.round(np.asarray(array, np.float64) / WEIGHT_LIMIT * QUANTUM).astype("<i2")


def dequantize(values: np.ndarray) -> np.ndarray:
    """int16 values -> float32 weights, as the JavaScript readers compute them (10 * v / 32767)."""
    return (WEIGHT_LIMIT * values.astype(np.float32) / QUANTUM).astype(np.float32)


def _decode_blob(text, shape, index, source):
    if not isinstance(text, str):
        raise FormatError(f"{source}: blob {index} is not a base64 string.")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as e:
        raise FormatError(f"{source}: blob {index} is not valid base64 ({e}); the file is damaged.") from None
    need = int(np.prod(shape))
    if len(raw) != 2 * need:
        raise FormatError(f"{source}: blob {index} holds {len(raw) // 2} values but its shape {list(shape)} needs "
                          f"{need}; the file is damaged or cut off.")
    return dequantize(np.frombuffer(raw, "<i2")).reshape(shape)


def _mode_kind(mode, source):
    if mode in GEN_MODES:
        return "gen"
    if mode in VAE_MODES:
        return "vae"
    raise FormatError(f"{source}: unknown mode {mode!r} (2 or 'gen' is a decoder-only model, 0, 1 or 'vae' an "
                      "encoder + decoder).")


def read_file(path: str) -> tuple[dict, list[list[int]], list[np.ndarray]]:
    """(info, shapes, float32 arrays) of a magenta-js model file; FormatError when it is not one."""
    try:
        with open(path, encoding="utf-8") as f:
            content = json.load(f)
    except (OSError, UnicodeDecodeError) as e:
        raise FormatError(f"{path} cannot be read ({e}).") from None
    except json.JSONDecodeError as e:
        raise FormatError(f"{path} is not JSON ({e}); a cut-off download or not a model file.") from None
    if not (isinstance(content, list) and len(content) == 3 and isinstance(content[0], dict)
            and isinstance(content[1], list) and isinstance(content[2], list)):
        raise FormatError(f"{path} is not a sketch-rnn-js model: expected a JSON list [info, shapes, blobs].")
    info, shapes, blobs = content
    kind = _mode_kind(info.get("mode"), path)
    expected = len(GEN_BLOBS if kind == "gen" else VAE_BLOBS)
    if len(shapes) != expected or len(blobs) != expected:
        raise FormatError(f"{path}: a {kind} model has {expected} weight blobs and shapes; this file has "
                          f"{len(blobs)} blobs and {len(shapes)} shapes.")
    for i, shape in enumerate(shapes):
        if not (isinstance(shape, list) and shape and all(isinstance(n, int) and n > 0 for n in shape)):
            raise FormatError(f"{path}: shape {i} is {shape!r}, not a list of positive sizes.")
    return info, shapes, [_decode_blob(b, s, i, path) for i, (b, s) in enumerate(zip(blobs, shapes))]


def _positive(info, key, source, default=None, kind=float):
    value = info.get(key, default)
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value) or value <= 0:
        raise FormatError(f"{source}: info.{key} is {value!r}; it must be a positive number.")
    return kind(value)


def to_project(info: dict, shapes: list[list[int]], arrays: list[np.ndarray],
               source: str) -> tuple[SketchRNNConfig, dict[str, np.ndarray]]:
    """A read file -> (config, {weight name: array}) of the same model in this project's layout."""
    kind = _mode_kind(info.get("mode"), source)
    named = dict(zip(GEN_BLOBS if kind == "gen" else VAE_BLOBS, arrays))
    if kind == "vae" and info.get("version", FORMAT_VERSION) < FORMAT_VERSION:
        raise FormatError(f"{source} is a version {info.get('version')} VAE file: those feed tanh(z) to the "
                          "initial-state layer, which the original Python code (and this project) does not; "
                          "use a version 6 file (magenta's published models are).")
    units, outputs = named["output_layer.kernel"].shape[0], named["output_layer.bias"].shape[0]
    if (outputs - 3) % 6 or outputs < 9:
        raise FormatError(f"{source}: the output bias has {outputs} values; a Sketch-RNN has 3 + 6M.")
    values = dict(dec_rnn_size=units, num_mixture=(outputs - 3) // 6, conditional=kind == "vae",
                  max_seq_len=_positive(info, "max_seq_len", source, 250, int),
                  scale_factor=_positive(info, "scale_factor", source))
    if kind == "vae":
        values.update(enc_rnn_size=named["enc_fw_cell.recurrent_kernel"].shape[0],
                      z_size=named["mu_layer.kernel"].shape[-1])
        state = named["init_state_layer.kernel"].shape[-1] // 2
        order = state_permutation("lstm", state)
        named["init_state_layer.kernel"] = named["init_state_layer.kernel"][:, order]
        named["init_state_layer.bias"] = named["init_state_layer.bias"][order]
    name = str(info.get("name") or os.path.basename(source).split(".")[0])
    config = SketchRNNConfig(data_set=[f"{name}.npz"], **values)
    return config, named


def from_project(config: SketchRNNConfig, arrays: dict[str, np.ndarray], source: str) -> list:
    """(config, {weight name: array}) of a model of this project -> the file's content [info, shapes,
    blobs]. FormatError (with the reason) for a model the format cannot hold."""
    cells = [config.dec_model] + ([config.enc_model] if config.conditional else [])
    if any(cell != "lstm" for cell in cells):
        raise FormatError(f"{source} uses {'/'.join(sorted(set(cells) - {'lstm'}))} cells; the magenta-js format "
                          "holds only plain LSTM cells (dec_model=lstm, enc_model=lstm).")
    if config.num_mixture != MAGENTA_MIXTURES:
        raise FormatError(f"{source} has num_mixture={config.num_mixture}; @magenta/sketch reads exactly "
                          f"{MAGENTA_MIXTURES} mixture components (its NMIXTURE), so train with num_mixture=20.")
    names = VAE_BLOBS if config.conditional else GEN_BLOBS
    arrays = dict(arrays)
    if config.conditional:  # back to the original's [c, h] state order
        back = np.argsort(state_permutation("lstm", config.dec_rnn_size))
        arrays["init_state_layer.kernel"] = arrays["init_state_layer.kernel"][:, back]
        arrays["init_state_layer.bias"] = arrays["init_state_layer.bias"][back]
    largest = max(names, key=lambda n: float(np.max(np.abs(arrays[n]))))
    peak = float(np.max(np.abs(arrays[largest])))
    if not math.isfinite(peak) or peak > WEIGHT_LIMIT:
        raise FormatError(f"{source} has a weight of magnitude {peak:.4g} in {largest}; the format stores weights "
                          f"as int16 / {QUANTUM} * {WEIGHT_LIMIT:g}, so none may lie beyond +-{WEIGHT_LIMIT:g}.")
    name = config.data_set[0][:-4] if config.data_set[0].endswith(".npz") else config.data_set[0]
    info = {"mode": 0 if config.conditional else 2, "version": FORMAT_VERSION, "max_seq_len": config.max_seq_len,
            "name": name, "scale_factor": float(config.scale_factor)}
    shapes = [list(arrays[n].shape) for n in names]
    blobs = [base64.b64encode(quantize(arrays[n]).tobytes()).decode("ascii") for n in names]
    return [info, shapes, blobs]
