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
What differs between the models (the check, the export, the data that ships) is in each model's
ship module (run_utils.registry.ModelSpec.ship); this file only assembles the folder.
The model card MODEL.md is written by hand.

--name ships one more model of a kind as pretrained/<model>_<name>/ (Sketch-RNN categories). A run
that convert.py made from one of the original's models (it holds converted.json) ships as it is,
with the check on a few aaron_sheep drawings scaled to its units (check_drawings.npz); an
unconditional Sketch-RNN also ships its magenta-js file (<data set>.gen.json, for @magenta/sketch).
"""
import argparse
import json
import os
import shutil
import sys

from fileio.files import atomic_dir, save_json
from run_utils import registry
from run_utils.rundir import BEST_INFO, CONFIG_NAME, EVAL_FILE, EXPORT_DIR, PRETRAINED_ROOT

CHECK_FILE = "check.json"
CONVERTED = "converted.json"  # written by convert.py: the run is one of the original's models, converted


def check_value(model_name, run_dir):
    """The loss the shipped model `run_dir` gives on its own check slice (deterministic)."""
    return registry.spec(model_name).load("ship").check_value(run_dir)


def ship(model_name, run_dir, styles=(), name=None):
    """Make (or replace) pretrained/<name>/ from run_dir (name: the model's default folder, or
    <model>_<name>). The folder is built beside the old one, starting from a copy of it (so the
    hand-written model card stays), and swapped in only when everything, the check included, has
    been written: an error or a kill leaves the old one."""
    spec = registry.spec(model_name)
    parts = spec.load("ship")
    dest = os.path.join(PRETRAINED_ROOT, spec.shipped if name is None else f"{model_name}_{name}")
    with open(os.path.join(run_dir, CONFIG_NAME)) as f:
        config = json.load(f)
    converted = os.path.exists(os.path.join(run_dir, CONVERTED))
    with atomic_dir(dest) as new:
        if os.path.isdir(dest):
            shutil.copytree(dest, new, dirs_exist_ok=True, ignore=shutil.ignore_patterns(EXPORT_DIR))  # re-exported
        if converted:  # as convert.py made it: no training run, no data set of its own
            parts.copy_converted(run_dir, new, config)
        else:
            for file_name in (CONFIG_NAME, BEST_INFO, *parts.EXTRA_FILES):
                shutil.copyfile(os.path.join(run_dir, file_name), os.path.join(new, file_name))
            save_json(parts.evaluation(run_dir, config), os.path.join(new, EVAL_FILE))
            parts.copy_data(run_dir, new, config, whole=name is None, styles=styles)
        parts.export(run_dir, os.path.join(new, EXPORT_DIR))
        parts.finish(new, config, converted)
        value = check_value(model_name, new)
        save_json({"value": value, "what": "loss of the shipped model on its check slice (pretrained/ship.py)"},
                  os.path.join(new, CHECK_FILE))
    print(f"{dest}: check value {value:.6f}")
    return dest


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m pretrained.ship", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=registry.PACKAGES, required=True)
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
