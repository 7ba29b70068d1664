"""Run directories: runs/<model>/<dataset>/ holding config.json, checkpoints, logs, saved_model/."""
import glob
import os

RUNS_ROOT = "runs"
CONFIG_NAME = "config.json"


def default_run_dir(model, dataset, root=RUNS_ROOT):
    return os.path.join(root, model, dataset)


def newest_run(model, root=RUNS_ROOT):
    """The run directory of `model` whose files were written last; a clear error if none exists."""
    candidates = [p for p in glob.glob(os.path.join(root, model, "**", CONFIG_NAME), recursive=True)
                  if "saved_model" not in p.split(os.sep)]  # exported copies are not runs
    if not candidates:
        raise FileNotFoundError(
            f"No trained {model} run found under {os.path.join(root, model)}. "
            f"Train one first (python train.py --model={model} ...) or pass --run_dir."
        )

    def last_write(config_path):
        run = os.path.dirname(config_path)
        return max(os.path.getmtime(p) for p in glob.glob(os.path.join(run, "*")))

    return os.path.dirname(max(candidates, key=last_write))
