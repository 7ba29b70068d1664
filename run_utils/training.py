"""The one training loop of every model: `model.fit` with checkpoints, resume, validation,
best-model keeping, TensorBoard and a clean stop on Ctrl-C.

One Keras "epoch" here is `save_every` optimizer steps: the progress bar covers one such round,
validation runs at its end, then a checkpoint is written. The step counter is the optimizer's
`iterations`, so learning-rate and KL schedules continue exactly after a resume.
"""
import json
import math
import os
import signal
import sys

import keras
import tensorflow as tf

from data_utils.files import atomic_path, save_json

CKPT_DIR = "checkpoints"
BEST_WEIGHTS = "best.weights.h5"
BEST_INFO = "best.json"


class CheckpointError(RuntimeError):
    pass


def _checkpoint(model):
    return tf.train.Checkpoint(model=model, optimizer=model.optimizer)


def latest_checkpoint(run_dir):
    return tf.train.latest_checkpoint(os.path.join(run_dir, CKPT_DIR))


def restore_weights(model, run_dir, which="best"):
    """Load trained weights into a built `model`: the best-validation weights when present
    (which="best"), else the latest training checkpoint. Returns the path used."""
    best = os.path.join(run_dir, BEST_WEIGHTS)
    if which == "best" and os.path.exists(best):
        model.load_weights(best)
        return best
    latest = latest_checkpoint(run_dir)
    if latest is None:
        raise CheckpointError(
            f"No checkpoint in {run_dir}: it has no {BEST_WEIGHTS} and no {CKPT_DIR}/. "
            "Train first, or point --run_dir at a finished run."
        )
    tf.train.Checkpoint(model=model).restore(latest).expect_partial()
    return latest


def check_resume(run_dir, resume):
    """Refuse to start over a run that has checkpoints unless resuming (nothing is overwritten)."""
    latest = latest_checkpoint(run_dir)
    if latest and not resume:
        raise CheckpointError(
            f"{run_dir} already holds a training checkpoint ({latest}). "
            "Pass --resume to continue it, or choose another --log_root to start afresh."
        )


class _RoundEnd(keras.callbacks.Callback):
    """At the end of each round: keep the best weights, write a checkpoint; stop at num_steps."""

    def __init__(self, manager, run_dir, num_steps, best_metric):
        super().__init__()
        self.manager = manager
        self.run_dir = run_dir
        self.num_steps = num_steps
        self.best_metric = best_metric
        info = os.path.join(run_dir, BEST_INFO)
        self.best = json.load(open(info))["value"] if os.path.exists(info) else math.inf

    def _step(self):
        return int(self.model.optimizer.iterations.numpy())

    def on_train_batch_end(self, batch, logs=None):
        if self._step() >= self.num_steps:
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        step = self._step()
        value = logs.get(self.best_metric)
        if value is not None and math.isfinite(value) and value < self.best:
            self.best = float(value)
            with atomic_path(os.path.join(self.run_dir, BEST_WEIGHTS), suffix=".weights.h5") as tmp:
                self.model.save_weights(tmp)
            save_json({"metric": self.best_metric, "value": self.best, "step": step},
                      os.path.join(self.run_dir, BEST_INFO))
        self.manager.save(checkpoint_number=step)


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


def fit_resumable(model, train_ds, valid_ds, run_dir, num_steps, save_every,
                  resume=False, valid_steps=None, best_metric="val_loss", callbacks=(), validate=None):
    """Train a compiled, built `model` until its optimizer has taken `num_steps` steps.

    train_ds: an infinite (repeated) tf.data.Dataset; valid_ds: a finite one, or None.
    validate: instead of (or besides) valid_ds, a function model -> {name: value} run at the end
    of every round, whose values are logged as val_<name> (for validation that is not a plain
    pass over batches, e.g. the char-RNN's state carried across windows).
    Returns the Keras History of this call (None if nothing was left to do).
    """
    os.makedirs(run_dir, exist_ok=True)
    if not model.trainable_variables:
        raise ValueError("fit_resumable needs a built model: call it once on a batch first.")
    model.optimizer.build(model.trainable_variables)
    check_resume(run_dir, resume)
    ckpt = _checkpoint(model)
    manager = tf.train.CheckpointManager(ckpt, os.path.join(run_dir, CKPT_DIR), max_to_keep=3)
    if manager.latest_checkpoint:
        ckpt.restore(manager.latest_checkpoint).assert_existing_objects_matched()
        print(f"Resumed from {manager.latest_checkpoint} at step "
              f"{int(model.optimizer.iterations.numpy())}.", flush=True)
    step = int(model.optimizer.iterations.numpy())
    if step >= num_steps:
        print(f"Already trained for {step} >= num_steps={num_steps} steps; nothing to do.")
        return None
    validating = valid_ds is not None or validate is not None
    round_end = _RoundEnd(manager, run_dir, num_steps, best_metric if validating else "loss")
    tensorboard = keras.callbacks.TensorBoard(os.path.join(run_dir, "logs"), update_freq=max(1, save_every // 10))
    first_round = step // save_every
    rounds = first_round + math.ceil((num_steps - step) / save_every)
    previous_handler = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        return model.fit(
            train_ds,
            steps_per_epoch=save_every,
            epochs=rounds,  # _RoundEnd stops exactly at num_steps
            initial_epoch=first_round,
            validation_data=valid_ds,
            validation_steps=valid_steps,
            callbacks=[*([_Validate(validate)] if validate else []), tensorboard, round_end, *callbacks],
            shuffle=False,  # tf.data pipelines shuffle themselves
            verbose=1 if sys.stdout.isatty() else 2,
        )
    except KeyboardInterrupt:
        step = int(model.optimizer.iterations.numpy())
        path = manager.save(checkpoint_number=step)
        print(f"\nInterrupted at step {step}; checkpoint saved to {path}. "
              "Run the same command with --resume to continue.", flush=True)
        raise SystemExit(130)
    finally:
        signal.signal(signal.SIGTERM, previous_handler)


def _raise_keyboard_interrupt(signum, frame):
    """SIGTERM (kill, a scheduler's stop) is handled like Ctrl-C: checkpoint, then exit."""
    raise KeyboardInterrupt
