"""Run directories: runs/<model>/<dataset>/ holding config.json, checkpoints, logs, saved_model/.

Everything about a run directory's bookkeeping lives here: its file names, finding the newest
trained run, remembering where the training data was, and the lock that keeps two trainers out
of one directory.
"""
import contextlib
import glob
import os

from fileio.files import save_text

RUNS_ROOT = "runs"
# The trained models shipped with the project (pretrained/<name>/, run directories without
# checkpoints: config.json, saved_model/ and a model card), used when no run of a model exists:
# each model's registry entry names its default (ModelSpec.shipped); more of one model are
# pretrained/<model>_<data set>/ (the Sketch-RNN categories: pretrained/sketch_rnn_bird/, ...).
PRETRAINED_ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "pretrained")
CONFIG_NAME = "config.json"
DATA_DIR_FILE = "data_dir.txt"
SEED_FILE = "seed.txt"  # the run's random seed (data order, augmentation, dropout), for an exact resume
LOCK_FILE = ".lock"
BEST_WEIGHTS = "best.weights.h5"
BEST_INFO = "best.json"
CKPT_DIR = "checkpoints"
VOCAB_FILE = "vocab.json"
EXPORT_DIR = "saved_model"
EVAL_FILE = "eval.json"


def default_run_dir(model: str, dataset: str, root: str = RUNS_ROOT) -> str:
    return os.path.join(root, model, dataset)


def has_weights(run_dir: str) -> bool:
    """True if run_dir holds trained weights: best weights, a training checkpoint or an export."""
    return (os.path.exists(os.path.join(run_dir, BEST_WEIGHTS))
            or bool(glob.glob(os.path.join(run_dir, CKPT_DIR, "*.index")))
            or os.path.exists(os.path.join(run_dir, EXPORT_DIR, "saved_model.pb")))


def newest_run(model: str, root: str = RUNS_ROOT) -> str:
    """The run directory of `model` with trained weights whose files were written last; a clear
    error if none exists. Directories of a start that failed before any weights were written
    (only config.json) are skipped, so they never hide a trained run."""
    candidates = [os.path.dirname(p) for p in glob.glob(os.path.join(root, model, "**", CONFIG_NAME), recursive=True)
                  if EXPORT_DIR not in p.split(os.sep)]  # exported copies are not runs
    trained = [run for run in candidates if has_weights(run)]
    if not trained:
        untrained = f" ({len(candidates)} run directories there hold no weights yet)" if candidates else ""
        raise FileNotFoundError(
            f"No trained {model} run found under {os.path.join(root, model)}{untrained}. "
            f"Train one first (python train.py --model={model} ...) or pass --run_dir."
        )

    def last_write(run):
        return max(os.path.getmtime(p) for p in glob.glob(os.path.join(run, "*")))

    return max(trained, key=last_write)


def pretrained_dir(model: str, dataset: str | None = None) -> str | None:
    """The shipped trained model of `model` (a run directory): its default, or the one trained on
    `dataset` (pretrained/<model>_<dataset>); None if it is not there."""
    from run_utils import registry
    path = os.path.join(PRETRAINED_ROOT, registry.spec(model).shipped if dataset is None else f"{model}_{dataset}")
    return path if os.path.exists(os.path.join(path, CONFIG_NAME)) else None


def shipped_model(model: str) -> str:
    """The default shipped model of `model`; a clear error when the folder is missing."""
    path = pretrained_dir(model)
    if path is None:
        from run_utils import registry
        raise FileNotFoundError(f"The shipped model pretrained/{registry.spec(model).shipped} is missing; restore it "
                                "with git (git checkout -- pretrained/).")
    return path


def shipped_datasets(model: str) -> list[str]:
    """The data sets of the shipped models of `model` (pretrained/<model>_<dataset>/), sorted."""
    prefix = os.path.join(PRETRAINED_ROOT, f"{model}_")
    return sorted(os.path.dirname(p)[len(prefix):] for p in glob.glob(prefix + "*/" + CONFIG_NAME))


def shipped_runs(model: str) -> list[str]:
    """Every shipped model of `model`, its default first."""
    default = pretrained_dir(model)
    others = [pretrained_dir(model, d) for d in shipped_datasets(model)]
    return ([default] if default else []) + [p for p in others if p != default]


def run_for_dataset(model: str, dataset: str, root: str = RUNS_ROOT) -> str:
    """The run a `sample.py --category=<dataset>` call uses: runs/<model>/<dataset> when it holds
    weights, else the shipped pretrained/<model>_<dataset> (said in one line), else a clear error."""
    run = default_run_dir(model, dataset, root)
    if has_weights(run):
        return run
    shipped = pretrained_dir(model, dataset)
    if shipped is None:
        raise FileNotFoundError(
            f"No {model} model of '{dataset}': no trained run in {run} and none shipped (shipped: "
            f"{', '.join(shipped_datasets(model))}). Train one (python train.py --model={model} --category={dataset}) "
            f"or convert magenta's (python convert.py --from=magenta_js --source={dataset} --output={run}).")
    print(f"No trained {model} run in {run}; using the shipped model {shipped}.", flush=True)
    return shipped


def run_for_sampling(model: str, run_dir: str | None = None, root: str = RUNS_ROOT) -> str:
    """The run a sample.py call uses: --run_dir if given, else the newest trained run under
    root/<model>, else the model shipped in pretrained/ (said in one line)."""
    if run_dir:
        return run_dir
    try:
        return newest_run(model, root)
    except FileNotFoundError:
        shipped = pretrained_dir(model)
        if shipped is None:
            raise
        print(f"No trained {model} run under {os.path.join(root, model)}; using the shipped model {shipped}.",
              flush=True)
        return shipped


def remember_data_dir(run_dir: str, data_dir: str) -> None:
    """Record where the training data was, so sampling and --resume find it without flags."""
    save_text(os.path.abspath(os.path.expanduser(str(data_dir))), os.path.join(run_dir, DATA_DIR_FILE))


def remembered_data_dir(run_dir: str) -> str | None:
    """The data location recorded by remember_data_dir, or None."""
    path = os.path.join(run_dir, DATA_DIR_FILE)
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return f.read().strip() or None


def run_seed(run_dir: str, requested: int | None) -> int:
    """The seed of a run: --seed when given, else the one the run recorded at its start (a resume),
    else a new random one; recorded in run_dir/seed.txt so that --resume continues the same random
    streams."""
    import random
    path = os.path.join(run_dir, SEED_FILE)
    if requested is None and os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            text = f.read().strip()
        if text.isdigit():
            return int(text)
    seed = requested if requested is not None else random.SystemRandom().randrange(1 << 31)
    save_text(str(seed), path)
    return seed


def check_same_data(run_dir: str, data_dir: str | None) -> None:
    """On --resume, refuse a --data_dir other than the run's own (its text, drawings or lines and
    their statistics are in the checkpoint), naming both and the two ways on."""
    remembered = remembered_data_dir(run_dir)
    if data_dir and remembered and os.path.abspath(os.path.expanduser(str(data_dir))) != remembered:
        raise ValueError(f"--resume continues {run_dir}, which trains on {remembered}; --data_dir={data_dir} is "
                         "other data. Leave --data_dir out to resume, or start a new run on the new data "
                         f"(another --log_root, with --init_from={run_dir} to start from these weights).")


class RunLocked(RuntimeError):
    """Another process is training in this run directory."""


@contextlib.contextmanager
def locked_run_dir(run_dir: str):
    """Create run_dir if needed and hold an exclusive lock on it for the block (POSIX flock on
    run_dir/.lock, released by the OS when the process ends, so a killed trainer leaves no stale
    lock). A second trainer on the same directory gets RunLocked naming the holder's pid."""
    os.makedirs(run_dir, exist_ok=True)
    path = os.path.join(run_dir, LOCK_FILE)
    try:
        import fcntl
    except ImportError:  # not POSIX (Windows): no lock
        yield
        return
    with open(path, "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "unknown"
            raise RunLocked(f"{run_dir} is in use by another training process (pid {holder}). Wait for it to "
                            "finish or stop it, or choose another --log_root.") from None
        f.seek(0)
        f.truncate()
        f.write(str(os.getpid()))
        f.flush()
        try:
            yield
        finally:
            f.seek(0)
            f.truncate()
            fcntl.flock(f, fcntl.LOCK_UN)
