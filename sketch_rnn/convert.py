"""The original's trained models in and out (python convert.py, docs/sketch_rnn.md "Models of the
original"):

- import_magenta_js: a sketch-rnn-js / @magenta/sketch file (or a category name, downloaded from
  magenta's quickdraw-models bucket and cached) -> a run directory of this project;
- import_magenta_tf1: a log_root of the original's sketch_rnn_train.py -> a run directory;
- export_magenta_js: a run directory -> a `.gen.json` / `.vae.json` file for @magenta/sketch.

A converted run directory holds config.json, saved_model/ (the weights and every signature) and
converted.json (where it came from); sample.py, serve.py, train.py --init_from and convert.py
--to take it as they take a trained run.
"""
import hashlib
import json
import math
import os
import urllib.parse

from data_utils import sketch_data
from fileio.download import DownloadError, download
from fileio.files import atomic_dir, atomic_open, save_json
from run_utils.config import save_config
from run_utils.rundir import CONFIG_NAME, EXPORT_DIR, remember_data_dir
from sketch_rnn import magenta_js, magenta_tf1
from sketch_rnn.config import SketchRNNConfig
from sketch_rnn.weights import assign_weights, weight_table

MODELS_URL = "https://storage.googleapis.com/quickdraw-models/sketchRNN/large_models"
MODELS_URL_ENV = "RNNGEN_MAGENTA_MODELS_URL"  # another place holding <category>.<gen|vae>.json (tests, mirrors)
SOURCE_FILE = "converted.json"
JS_KINDS = ("gen", "vae")


class ConversionError(ValueError):
    """A conversion that cannot be done as asked; the message says why and what to do."""


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_output_dir(output: str, overwrite: bool) -> None:
    """Refuse to replace a folder that holds anything unless overwrite (nothing is written yet)."""
    if os.path.isfile(output):
        raise ConversionError(f"--output={output} is a file; give a folder for the run directory.")
    if os.path.isdir(output) and os.listdir(output) and not overwrite:
        what = "a run" if os.path.exists(os.path.join(output, CONFIG_NAME)) else "files"
        raise ConversionError(f"--output={output} already holds {what}; choose another folder or pass --overwrite "
                              "to replace it.")


def build_converted(config: SketchRNNConfig, arrays: dict, source: str):
    """A SketchRNN for sampling with the converted weights (all checked by assign_weights)."""
    from sketch_rnn.model import build_model
    model = build_model(config, compile=False)
    assign_weights(model, arrays, source)
    return model


def write_run(output: str, config: SketchRNNConfig, model, provenance: dict, data_dir: str | None = None) -> str:
    """The run directory (config.json, saved_model/, converted.json), written as a whole or not at all."""
    from sketch_rnn.export import export_saved_model
    with atomic_dir(output) as tmp:
        save_config(config, os.path.join(tmp, CONFIG_NAME))
        export_saved_model(model, os.path.join(tmp, EXPORT_DIR))
        save_json(provenance, os.path.join(tmp, SOURCE_FILE))
        if data_dir:
            remember_data_dir(tmp, data_dir)
    return output


# ----- magenta-js in ------------------------------------------------------------------------------
def is_category(source: str) -> bool:
    """True when --source names a category to download rather than a file."""
    return not os.path.exists(source) and not source.endswith(".json") and "/" not in source and "\\" not in source


def model_url(category: str, kind: str) -> str:
    base = os.environ.get(MODELS_URL_ENV) or MODELS_URL
    return f"{base.rstrip('/')}/{urllib.parse.quote(category)}.{kind}.json"


def fetch_category(category: str, kind: str, cache_dir: str, progress=True) -> str:
    """<cache_dir>/<category>.<kind>.json, downloaded first when it is not there (checked as a model)."""
    if kind not in JS_KINDS:
        raise ConversionError(f"--js_kind must be one of {', '.join(JS_KINDS)}; got {kind!r}.")
    path = os.path.join(cache_dir, f"{category}.{kind}.json")
    if os.path.isfile(path):
        return path
    url = model_url(category, kind)
    try:
        return download(url, path, verify=magenta_js.read_file, progress=progress)
    except DownloadError as e:
        hint = " Category names are QuickDraw's (e.g. cat, bird, 'palm_tree')." if "HTTP 404" in str(e) else ""
        raise DownloadError(f"The {kind} model of '{category}' is not in {cache_dir}. {e}{hint}") from e


def import_magenta_js(source: str, output: str, cache_dir: str = os.path.join("data", "magenta_js"),
                      kind: str = "gen", overwrite: bool = False, progress=True) -> str:
    """A magenta-js model file (or category name) -> run directory `output`."""
    check_output_dir(output, overwrite)
    path = fetch_category(source, kind, cache_dir, progress) if is_category(source) else source
    if not os.path.isfile(path):
        raise ConversionError(f"--source={source} is neither a file nor a category name.")
    info, shapes, arrays = magenta_js.read_file(path)
    config, named = magenta_js.to_project(info, shapes, arrays, path)
    model = build_converted(config, named, path)
    provenance = {"format": "magenta_js", "source": os.path.abspath(path), "sha256": _sha256(path), "info": info}
    if is_category(source):
        provenance["url"] = model_url(source, kind)
    return write_run(output, config, model, provenance)


# ----- original TF1 checkpoints in ----------------------------------------------------------------
def data_scale_factor(config: SketchRNNConfig, data_dir: str) -> tuple[float, int]:
    """(scale factor, longest drawing) of the config's data sets in data_dir, computed as the original's
    load_dataset does: the standard deviation of dx, dy over the whole training split."""
    paths = [os.path.join(data_dir, name if name.endswith(".npz") else name + ".npz") for name in config.data_set]
    absent = [p for p in paths if not os.path.isfile(p)]
    if absent:
        raise ConversionError(f"--data_dir={data_dir} lacks {', '.join(absent)}: the original computed its scale "
                              "factor from these data sets (model_config.json's data_set). Put them there, or pass "
                              "--scale_factor.")
    data = sketch_data.load_sketch_data(paths, max_seq_len=10 ** 9)
    return data.scale_factor, data.max_seq_len


def import_magenta_tf1(source: str, output: str, data_dir: str | None = None, scale_factor: float | None = None,
                       overwrite: bool = False) -> str:
    """A log_root of the original's training code -> run directory `output`."""
    import dataclasses
    check_output_dir(output, overwrite)
    config, arrays, notes, given = magenta_tf1.read_log_root(source)
    for note in notes:
        print(f"Note: {note}.", flush=True)
    computed, longest = data_scale_factor(config, data_dir) if data_dir else (None, None)
    if scale_factor is not None:
        if not (math.isfinite(scale_factor) and scale_factor > 0):
            raise ConversionError(f"--scale_factor must be a finite number > 0; got {scale_factor}.")
        how = "--scale_factor"
    elif data_dir:
        scale_factor, how = computed, f"the training split of {', '.join(config.data_set)} in {data_dir}"
    else:
        raise ConversionError(f"{source} does not store the data's scale factor (the original computes it from the "
                              "training data at start-up): pass --data_dir=DIR holding "
                              f"{', '.join(config.data_set)}, or --scale_factor=F.")
    config = dataclasses.replace(config, scale_factor=float(scale_factor))
    if longest is not None and "max_seq_len" not in given:  # the original sets it from the data
        config = dataclasses.replace(config, max_seq_len=longest)
    print(f"Scale factor {scale_factor:.4f} from {how}.", flush=True)
    prefix = magenta_tf1.find_checkpoint(source)
    model = build_converted(config, arrays, prefix)
    provenance = {"format": "magenta_tf1", "source": os.path.abspath(source), "checkpoint": os.path.basename(prefix),
                  "scale_factor_from": how, "notes": notes}
    return write_run(output, config, model, provenance, data_dir)


# ----- magenta-js out -----------------------------------------------------------------------------
def export_magenta_js(run_dir: str, output: str) -> dict:
    """A run directory -> a magenta-js model file at `output` (written atomically); returns its info."""
    from run_utils.training import load_trained
    from sketch_rnn.model import build_model
    config, model = load_trained(run_dir, SketchRNNConfig, build_model)
    kind = "vae" if config.conditional else "gen"
    other = "gen" if kind == "vae" else "vae"
    if output.endswith(f".{other}.json"):
        raise ConversionError(f"{run_dir} is a {'conditional' if kind == 'vae' else 'decoder-only'} model, which "
                              f"the format calls {kind}; name the file *.{kind}.json, not {os.path.basename(output)}.")
    arrays = {name: variable.numpy() for name, variable in weight_table(model).items()}
    content = magenta_js.from_project(config, arrays, run_dir)
    with atomic_open(output) as f:
        json.dump(content, f, separators=(",", ":"))
    return content[0]
