"""The original's Sketch-RNN models in and out (docs/sketch_rnn.md, "Models of the original"):

    python convert.py --from=magenta_js --source=FILE.gen.json|CATEGORY --output=RUN_DIR [--js_kind=gen|vae]
    python convert.py --from=magenta_tf1 --source=LOG_ROOT --output=RUN_DIR [--data_dir=DIR | --scale_factor=F]
    python convert.py --to=magenta_js --run_dir=RUN_DIR --output=FILE.gen.json

Only parses flags and dispatches to sketch_rnn.convert, where the reading and writing live.
"""
from run_utils.quiet import silence_tensorflow

silence_tensorflow()  # before anything imports TensorFlow

import os  # noqa: E402
import time  # noqa: E402

from absl import app, flags  # noqa: E402

from run_utils.cli import run_main  # noqa: E402

FORMATS = ["magenta_js", "magenta_tf1"]
flags.DEFINE_enum("from", None, FORMATS, "Import a model of the original: magenta_js (a sketch-rnn-js / "
                  "@magenta/sketch .gen.json or .vae.json file, or a QuickDraw category name to download) or "
                  "magenta_tf1 (a log_root of the original's sketch_rnn_train.py).")
flags.DEFINE_enum("to", None, ["magenta_js"], "Export a run of this project to magenta-js JSON for @magenta/sketch.")
flags.DEFINE_string("source", None, "--from: the file, category name or log_root to read.")
flags.DEFINE_string("output", None, "--from: the run directory to write; --to: the .json file to write.")
flags.DEFINE_string("run_dir", None, "--to: the run directory (or shipped model) to export.")
flags.DEFINE_string("data_dir", None, "--from=magenta_tf1: the folder with the training data sets, for the scale "
                    "factor the original computed from them; --from=magenta_js: where downloaded models are cached "
                    "(default data/, files go to data/magenta_js/).")
flags.DEFINE_float("scale_factor", None, "--from=magenta_tf1: the data's scale factor, instead of --data_dir.")
flags.DEFINE_enum("js_kind", "gen", ["gen", "vae"], "--from=magenta_js with a category name: the decoder-only "
                  "(gen) or the encoder + decoder (vae) model.")
flags.DEFINE_bool("overwrite", False, "Replace the run directory --output if it exists.")


def _require(f, *names):
    missing = [n for n in names if not getattr(f, n)]
    if missing:
        raise ValueError(f"{' and '.join('--' + n for n in missing)} {'is' if len(missing) == 1 else 'are'} needed "
                         f"here (python convert.py --help).")


def convert(f) -> None:
    from sketch_rnn import convert as sketch_convert
    source_format = getattr(f, "from")
    if bool(source_format) == bool(f.to):
        raise ValueError("Give exactly one of --from=magenta_js|magenta_tf1 (import) and --to=magenta_js (export).")
    start = time.time()
    if source_format == "magenta_js":
        _require(f, "source", "output")
        cache = os.path.join(f.data_dir or "data", "magenta_js")
        path = sketch_convert.import_magenta_js(f.source, f.output, cache, f.js_kind, f.overwrite)
    elif source_format == "magenta_tf1":
        _require(f, "source", "output")
        path = sketch_convert.import_magenta_tf1(f.source, f.output, f.data_dir, f.scale_factor, f.overwrite)
    else:
        _require(f, "run_dir", "output")
        info = sketch_convert.export_magenta_js(f.run_dir, f.output)
        print(f"Wrote {f.output} (mode {info['mode']}, {info['name']}, scale factor {info['scale_factor']:.4f}) "
              f"in {time.time() - start:.1f} s.")
        return
    print(f"Wrote the run directory {path} in {time.time() - start:.1f} s; sample from it with "
          f"python sample.py --model=sketch_rnn --run_dir={path}")


def main(argv):
    run_main(argv, convert)


def run():
    """Console entry point (rnngen-convert)."""
    app.run(main)


if __name__ == "__main__":
    run()
