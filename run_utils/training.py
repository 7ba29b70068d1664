"""The one training loop of every model: `model.fit` with checkpoints, resume, validation,
best-model keeping, TensorBoard and a clean stop on Ctrl-C.

One Keras "epoch" here is `save_every` optimizer steps: the progress bar covers one such round,
validation runs at its end, then a checkpoint is written. The step counter is the optimizer's
`iterations`, so learning-rate and KL schedules continue exactly after a resume.

A resume is exact: the checkpoint holds the weights, the optimizer and the state of the model's
random seed generators (dropout, sampled z), the training data is a function of the step (each
model's pipeline is deterministic given the run's seed, run_utils.rundir.run_seed, and starts at
any step without replaying the ones before), and a resume from the middle of a round first
finishes that round, so validations come at the same steps as in an uninterrupted run.

A non-finite loss stops training at once: nothing is saved from that step and nothing exported.
"""
import contextlib
import glob
import json
import math
import os
import re
import shutil
import signal
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

import keras
import numpy as np
import tensorflow as tf

from fileio.files import atomic_path, remove_partial_writes, save_json
from run_utils import distribute
from run_utils.config import load_config
from run_utils.export import exported_weights
from run_utils.rundir import (
    BEST_INFO,
    BEST_WEIGHTS,
    CKPT_DIR,
    CONFIG_NAME,
    EXPORT_DIR,
    locked_run_dir,
    run_seed,
)

if TYPE_CHECKING:
    from run_utils.cli import TrainRun


class CheckpointError(RuntimeError):
    pass


class NonFiniteLoss(RuntimeError):
    """Training produced a NaN or infinite loss; the message says where and what to do."""


def random_states(model: keras.Model) -> list:
    """The state variables of the model's random seed generators (dropout masks, sampled z), which
    model.weights leaves out, in a fixed order."""
    return [v for v in model.variables if v.path.endswith("seed_generator_state")]


def _checkpoint(model):
    return tf.train.Checkpoint(model=model, optimizer=model.optimizer, random_state=random_states(model))


def _complete_checkpoints(folder):
    """{step: prefix} of the checkpoints in `folder` whose index and data files all exist."""
    found = {}
    for index in glob.glob(os.path.join(folder, "ckpt-*.index")):
        prefix = index[:-len(".index")]
        match = re.fullmatch(r"ckpt-(\d+)", os.path.basename(prefix))
        if match and glob.glob(prefix + ".data-*"):
            found[int(match.group(1))] = prefix
    return found


def latest_checkpoint(run_dir: str, announce: bool = False) -> str | None:
    """The newest complete training checkpoint of run_dir (a path prefix), or None.

    TensorFlow writes ckpt-N's files first and the `checkpoint` state file last; a kill in
    between leaves a newer checkpoint that the state file does not name. The newest complete one
    is used either way (with a note when announce=True)."""
    folder = os.path.join(run_dir, CKPT_DIR)
    named = tf.train.latest_checkpoint(folder)
    complete = _complete_checkpoints(folder)
    if not complete:
        return named
    newest = complete[max(complete)]
    if announce and named != newest:
        print(f"Note: {os.path.join(folder, 'checkpoint')} names {named and os.path.basename(named)}, but the newer "
              f"complete checkpoint {os.path.basename(newest)} exists (an interrupted save); using it.", flush=True)
    return newest


def remove_partial_saves(run_dir: str) -> None:
    """Delete what interrupted writes leave behind: ckpt-N_temp folders of a checkpoint save and the
    hidden temporary files of fileio.files (best weights, configs, exports); said when any."""
    removed = glob.glob(os.path.join(run_dir, CKPT_DIR, "*_temp"))
    for temp in removed:
        shutil.rmtree(temp, ignore_errors=True)
    removed += remove_partial_writes(run_dir)
    if removed:
        print(f"Note: removed {len(removed)} leftover(s) of an interrupted write in {run_dir}: "
              f"{', '.join(sorted(os.path.basename(p) for p in removed))}.", flush=True)


def _restore_newest_readable(ckpt: tf.train.Checkpoint, run_dir: str, announce: bool) -> str | None:
    """Restore the newest complete checkpoint that reads; a damaged one (a cut-off or corrupt data
    file) is skipped with a note naming it. Returns the path used, or None when there is none."""
    folder = os.path.join(run_dir, CKPT_DIR)
    newest = latest_checkpoint(run_dir, announce=announce)
    candidates = sorted(_complete_checkpoints(folder).items(), reverse=True)
    paths = [newest] + [p for _, p in candidates if p != newest] if newest else []
    for path in paths:
        try:
            ckpt.restore(path).assert_existing_objects_matched()
            return path
        except (tf.errors.OpError, IndexError, ValueError, AssertionError) as e:
            print(f"Note: the checkpoint {os.path.basename(path)} cannot be read ({type(e).__name__}: "
                  f"{str(e).splitlines()[0][:200]}); trying the one before it.", flush=True)
    if paths:
        raise CheckpointError(f"No checkpoint in {folder} can be read ({', '.join(os.path.basename(p) for p in paths)} "
                              "are damaged). Start a new run (another --log_root, or --init_from the best weights).")
    return None


def restore_weights(model: keras.Model, run_dir: str, which: str = "best") -> str:
    """Load trained weights into a built `model`: the best-validation weights when present
    (which="best"), else the latest training checkpoint, else the variables of the run's
    SavedModel export (a shipped model in pretrained/ holds only that). Returns the path used."""
    best = os.path.join(run_dir, BEST_WEIGHTS)
    if which == "best" and os.path.exists(best):
        try:
            with warnings.catch_warnings():  # the file also holds optimizer slots sampling has no use for
                warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
                model.load_weights(best)
        except Exception as e:  # h5py/Keras raise many types for a damaged or foreign file
            raise CheckpointError(
                f"{best} cannot be loaded ({type(e).__name__}: {str(e).splitlines()[0][:300]}). Either it is damaged "
                f"or {os.path.join(run_dir, CONFIG_NAME)} no longer describes the model it was trained as (an "
                "edited config.json): restore the config first; if the weights file is the damaged one, delete "
                f"it to use the latest training checkpoint in {os.path.join(run_dir, CKPT_DIR)}.") from None
        return best
    latest = latest_checkpoint(run_dir)
    if latest is not None:
        tf.train.Checkpoint(model=model).restore(latest).expect_partial()
        return latest
    exported = os.path.join(run_dir, EXPORT_DIR, "variables", "variables")
    if os.path.exists(exported + ".index"):
        restore_exported_weights(model, exported)
        return exported
    if os.path.exists(os.path.join(run_dir, EXPORT_DIR, "saved_model.pb")):
        raise CheckpointError(f"{os.path.join(run_dir, EXPORT_DIR)} lacks variables/variables.index: the "
                              "SavedModel is incomplete (an interrupted copy?). Copy or export it again.")
    raise CheckpointError(
        f"No weights in {run_dir}: it has no {BEST_WEIGHTS}, no {CKPT_DIR}/ and no {EXPORT_DIR}/. "
        "Train first, or point --run_dir at a finished run."
    )


def load_trained(run_dir: str, config_class: type, build_model: Callable[..., keras.Model]) -> tuple:
    """(config, model with the run's best weights) of a finished, running or shipped run:
    build_model(config, compile=False) rebuilt from run_dir/config.json, weights by
    restore_weights."""
    config = load_config(config_class, os.path.join(run_dir, CONFIG_NAME))
    model = build_model(config, compile=False)
    used = restore_weights(model, run_dir)
    bad = [w.path for w in model.weights if not np.all(np.isfinite(w.numpy()))]
    if bad:
        raise CheckpointError(f"The weights in {used} hold NaN or infinite values ({', '.join(bad[:3])}"
                              f"{', ...' if len(bad) > 3 else ''}): that training diverged. Use an earlier "
                              "checkpoint or retrain with a smaller learning rate.")
    return config, model


def restore_exported_weights(model: keras.Model, prefix: str) -> None:
    """Read a model's weights from the variables of a SavedModel written by one of the export
    modules, which all track the model's weights as the list `model_weights` (in model.weights
    order, less training-only ones); every weight must be found."""
    weights = exported_weights(model)
    try:
        status = tf.train.Checkpoint(model_weights=weights).read(prefix)
    except (tf.errors.OpError, IndexError, ValueError) as e:
        raise CheckpointError(f"The SavedModel variables at {prefix} cannot be read ({type(e).__name__}: "
                              f"{str(e).splitlines()[0][:200]}): the files are damaged or cut off. Copy or "
                              "export the model again.") from None
    try:
        status.assert_existing_objects_matched()
        reader = tf.train.load_checkpoint(prefix)
        stored = {k for k in reader.get_variable_to_shape_map() if k.startswith("model_weights/")}
        if len({k.split("/")[1] for k in stored}) != len(weights):
            raise AssertionError(f"it holds {len({k.split('/')[1] for k in stored})} weights, the model "
                                 f"has {len(weights)}")
    except AssertionError as e:
        raise CheckpointError(f"The SavedModel variables at {prefix} do not fit this model ({e}); they were "
                              "exported from a different configuration or version.") from None


def check_resume(run_dir: str, resume: bool) -> None:
    """Refuse to start over a run that has checkpoints unless resuming (nothing is overwritten)."""
    latest = latest_checkpoint(run_dir)
    if latest and not resume:
        raise CheckpointError(
            f"{run_dir} already holds a training checkpoint ({latest}). "
            "Pass --resume to continue it, or choose another --log_root to start afresh."
        )


def recorded_best(run_dir: str) -> float:
    """The best validation value recorded in run_dir/best.json, or inf when there is none or when
    its weights file is missing (then the next validation writes new best weights, so a resumed
    run never ends without best weights to export)."""
    info = os.path.join(run_dir, BEST_INFO)
    if not os.path.exists(info):
        return math.inf
    if not os.path.exists(os.path.join(run_dir, BEST_WEIGHTS)):
        print(f"Note: {info} records a best value but {BEST_WEIGHTS} is missing; the next validation "
              "writes new best weights.", flush=True)
        return math.inf
    try:
        with open(info) as f:
            return float(json.load(f)["value"])
    except (ValueError, KeyError, TypeError) as e:
        print(f"Note: {info} cannot be read ({e}); the next validation writes new best weights.", flush=True)
        return math.inf


class _RoundEnd(keras.callbacks.Callback):
    """At the end of each round: keep the best weights, write a checkpoint; stop at num_steps."""

    def __init__(self, manager, run_dir, num_steps, best_metric, write_dir=None):
        super().__init__()
        self.manager = manager
        self.write_dir = write_dir or run_dir  # a non-chief worker writes into a folder of its own
        self.chief = self.write_dir == run_dir
        self.num_steps = num_steps
        self.best_metric = best_metric
        self.best = recorded_best(run_dir)  # every worker decides alike: saving is collective

    def _step(self):
        return int(self.model.optimizer.iterations.numpy())

    def on_train_batch_end(self, batch, logs=None):
        if self._step() >= self.num_steps:
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        step = self._step()
        _check_finite(logs.get("loss"), step)  # never checkpoint diverged weights
        value = logs.get(self.best_metric)
        if value is not None and math.isfinite(value) and value < self.best:
            self.best = float(value)
            with atomic_path(os.path.join(self.write_dir, BEST_WEIGHTS), suffix=".weights.h5") as tmp:
                self.model.save_weights(tmp)
            if self.chief:
                save_json({"metric": self.best_metric, "value": self.best, "step": step},
                          os.path.join(self.write_dir, BEST_INFO))
        self.manager.save(checkpoint_number=step)


def _check_finite(loss, step):
    if loss is not None and not math.isfinite(float(loss)):
        raise NonFiniteLoss(f"Training stopped at step {step}: the loss is {float(loss)} (not finite). Nothing was "
                            "saved from that step and no SavedModel was exported; the last checkpoint before it is "
                            "kept. The usual cause is a learning rate too high for the gradient clipping: start a "
                            "new run with a smaller --hparams=learning_rate=... (or a tighter clip), or --resume "
                            "from the last checkpoint.")


class _StopOnNonFinite(keras.callbacks.Callback):
    """Stops at the first step whose loss is NaN or infinite (before anything is saved)."""

    def on_train_batch_end(self, batch, logs=None):
        _check_finite((logs or {}).get("loss"), int(self.model.optimizer.iterations.numpy()))


class _Validate(keras.callbacks.Callback):
    """Runs validate(model) -> {name: value} at the end of each round and adds the values to the
    round's logs as val_<name> (before checkpointing, best-keeping and TensorBoard see them)."""

    def __init__(self, validate):
        super().__init__()
        self.validate = validate

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            for name, value in self.validate(self.model).items():
                logs[f"val_{name}"] = float(value)


def fit_resumable(model: keras.Model, train_data: Callable[[int], tf.data.Dataset], valid_ds: tf.data.Dataset | None,
                  run_dir: str, num_steps: int, save_every: int, resume: bool = False, valid_steps: int | None = None,
                  best_metric: str = "val_loss", callbacks: Sequence[keras.callbacks.Callback] = (),
                  validate: Callable[[keras.Model], dict[str, float]] | None = None,
                  init_from: str | None = None) -> keras.callbacks.History | None:
    """Train a compiled, built `model` until its optimizer has taken `num_steps` steps.

    train_data(step): the infinite training stream from optimizer step `step` on, the same batches
    an uninterrupted run would see from there (each model's pipeline is deterministic given the
    run's seed); valid_ds: a finite dataset, or None.
    validate: instead of (or besides) valid_ds, a function model -> {name: value} run at the end
    of every round, whose values are logged as val_<name> (for validation that is not a plain
    pass over batches, e.g. the char-RNN's state carried across windows).
    Returns the Keras History of the last fit call (None if nothing was left to do).
    """
    if not model.trainable_variables:
        raise ValueError("fit_resumable needs a built model: call it once on a batch first.")
    chief = distribute.is_chief(model.distribute_strategy)
    # Keras (3.15) peeks at a batch and all-reduces it to build a model made in a strategy's scope;
    # under MultiWorkerMirroredStrategy that fails for integer inputs (char ids). Our models are
    # built before fit (checked above), so that step is skipped.
    model._maybe_symbolic_build = lambda *args, **kwargs: None
    # Every worker of a multi-worker run saves (saving is collective); only the chief into run_dir.
    write_dir = run_dir if chief else tempfile.mkdtemp(prefix="rnngen-worker-")
    os.makedirs(write_dir, exist_ok=True)
    with model.distribute_strategy.scope():
        model.optimizer.build(model.trainable_variables)
    check_resume(run_dir, resume)
    if chief:
        remove_partial_saves(run_dir)
    ckpt = _checkpoint(model)
    manager = tf.train.CheckpointManager(ckpt, os.path.join(write_dir, CKPT_DIR), max_to_keep=3)
    latest = _restore_newest_readable(ckpt, run_dir, announce=chief)
    if latest:
        print(f"Resumed from {latest} at step {int(model.optimizer.iterations.numpy())}.", flush=True)
    elif init_from:
        fresh = [v.numpy() for v in model.optimizer.variables]
        print(f"Starting from the weights in {restore_weights(model, init_from)}.", flush=True)
        for variable, value in zip(model.optimizer.variables, fresh):  # a .weights.h5 holds optimizer state too
            variable.assign(value)
    step = int(model.optimizer.iterations.numpy())
    if step >= num_steps:
        print(f"Already trained for {step} >= num_steps={num_steps} steps; nothing to do.")
        return None
    validating = valid_ds is not None or validate is not None
    round_end = _RoundEnd(manager, run_dir, num_steps, best_metric if validating else "loss", write_dir)
    logs = [keras.callbacks.TensorBoard(os.path.join(run_dir, "logs"), update_freq=max(1, save_every // 10))] \
        if chief else []
    all_callbacks = [_StopOnNonFinite(), *([_Validate(validate)] if validate else []), *logs, round_end, *callbacks]

    def fit(steps_per_round, first_round, last_round):
        start = int(model.optimizer.iterations.numpy())
        return model.fit(
            train_data(start),
            steps_per_epoch=steps_per_round,
            epochs=last_round,  # _RoundEnd stops exactly at num_steps
            initial_epoch=first_round,
            validation_data=valid_ds,
            validation_steps=valid_steps,
            callbacks=all_callbacks,
            shuffle=False,  # tf.data pipelines shuffle themselves
            verbose=1 if sys.stdout.isatty() else 2,
        )

    previous_handler = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        history = None
        first_round = step // save_every
        if step % save_every:  # resumed mid-round: finish that round first, so rounds end where they did
            history = fit(min(save_every - step % save_every, num_steps - step), first_round, first_round + 1)
            step, first_round = int(model.optimizer.iterations.numpy()), first_round + 1
        if step < num_steps and not model.stop_training:
            history = fit(save_every, first_round, first_round + math.ceil((num_steps - step) / save_every))
        return history
    except KeyboardInterrupt:
        step = int(model.optimizer.iterations.numpy())
        path = manager.save(checkpoint_number=step)
        print(f"\nInterrupted at step {step}; checkpoint saved to {path}. "
              "Run the same command with --resume to continue.", flush=True)
        raise SystemExit(130) from None
    finally:
        signal.signal(signal.SIGTERM, previous_handler)
        if not chief:
            shutil.rmtree(write_dir, ignore_errors=True)


def _raise_keyboard_interrupt(signum, frame):
    """SIGTERM (kill, a scheduler's stop) is handled like Ctrl-C: checkpoint, then exit."""
    raise KeyboardInterrupt


@contextlib.contextmanager
def training_session(run_dir: str, run: "TrainRun") -> Iterator[tuple[tf.distribute.Strategy, bool, int | None]]:
    """What every train.main runs in: yields (strategy, chief, seed) for --distribute, with the run
    directory locked by the chief (the one writer); at the end every worker waits for the others.
    The seed is --seed, else the run's recorded one (run_utils.rundir.run_seed: a resume continues
    the same random streams), else a new one. A multi-worker run needs the same data order on every
    worker (tf.data shards one stream between them), so its seed defaults to 0."""
    kind = run.distribute
    strategy = distribute.make_strategy(kind)
    chief = distribute.is_chief(strategy)
    requested = run.seed if run.seed is not None else (0 if kind == "multi_worker" else None)
    if strategy.num_replicas_in_sync > 1 and chief:
        print(f"Training on {strategy.num_replicas_in_sync} replicas ({kind}).", flush=True)
    with locked_run_dir(run_dir) if chief else contextlib.nullcontext():
        seed = run_seed(run_dir, requested) if chief else requested if requested is not None else 0
        keras.utils.set_random_seed(seed)
        yield strategy, chief, seed
    distribute.barrier(strategy)  # the other workers wait for the chief's export
