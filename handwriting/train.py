"""Train Graves' handwriting networks on IAM-OnDB.

    python train.py --model=handwriting --task=synthesis --data_dir=/path/to/IAM-OnDB
    python train.py --model=handwriting --task=prediction --data_dir=... --hparams="rnn_size=128"

The run directory (default runs/handwriting/<task>) receives config.json (hyperparameters, the
offset statistics and the alphabet), checkpoints, best.weights.h5, TensorBoard logs, eval.json
(the best weights' log-loss on the whole validation split, nats per line and per point) and
saved_model/.
"""
import dataclasses
import os
import time

import keras
import tensorflow as tf

from data_utils import iam, iam_batches
from data_utils.text import Vocabulary
from fileio.files import save_json
from handwriting.config import HandwritingConfig
from handwriting.export import export_saved_model
from handwriting.model import HandwritingNetwork, build_model
from run_utils.cli import TrainRun
from run_utils.config import save_config, training_config
from run_utils.rundir import (
    CONFIG_NAME,
    EVAL_FILE,
    EXPORT_DIR,
    default_run_dir,
    remember_data_dir,
    remembered_data_dir,
)
from run_utils.training import check_resume, fit_resumable, restore_weights, training_session

# Fields a resumed run may change with --hparams (its other hyperparameters are the checkpoint's).
RESUMABLE = ("num_steps", "save_every", "max_minutes", "valid_batches")
CHAR_PAD = 32  # with jit_compile, texts are padded to a multiple of this many characters


def prepare(run: TrainRun) -> tuple[HandwritingConfig, str, str, bool]:
    """Resolve the run directory, the config (new or resumed) and the data folder, before anything
    is written."""
    task = run.options.task or "synthesis"
    run_dir = run.log_root or default_run_dir("handwriting", task)
    config, resuming = training_config(HandwritingConfig(task=task), run_dir, run, RESUMABLE)
    if resuming and run.options.task and run.options.task != config.task:
        raise ValueError(f"{run_dir} holds a {config.task} run; drop --task={run.options.task} or pick another "
                         "--log_root.")
    if run.init_from and not resuming and config.task != task:
        if run.options.task:
            raise ValueError(f"--init_from={run.init_from} holds a {config.task} model; drop "
                             f"--task={run.options.task}.")
    elif not resuming and config.task != task:
        raise ValueError("Set the task with --task, not with --hparams.")
    data_dir = run.data_dir or remembered_data_dir(run_dir)
    if data_dir is None:
        raise ValueError("Pass --data_dir: the IAM-OnDB folder (lineStrokes/ + ascii/, their archives "
                         "lineStrokes-all.tar.gz + ascii-all.tar.gz, or iamondb_lines.npz).")
    return config, run_dir, data_dir, resuming


def fill_from_data(config: HandwritingConfig, corpus: iam.Corpus) -> HandwritingConfig:
    """The training split's offset statistics and (synthesis) the alphabet of all transcriptions."""
    train = [s for s, split in zip(corpus.strokes, corpus.split) if split == "train"]
    if not train:
        raise ValueError("The corpus has no training line; check the split lists.")
    stats = iam_batches.compute_offset_stats(train)
    chars = iam_batches.alphabet_from_texts(corpus.texts).chars if config.task == "synthesis" else []
    return dataclasses.replace(config, offset_stats=stats.to_dict(), chars=chars)


def vocabulary(config: HandwritingConfig) -> Vocabulary | None:
    return Vocabulary(config.chars) if config.task == "synthesis" else None


def make_datasets(corpus: iam.Corpus, config: HandwritingConfig, seed: int | None = None, split: str = "train",
                  valid_split: str | None = "valid",
                  start_batch: int = 0) -> tuple[tf.data.Dataset, tf.data.Dataset | None]:
    """(infinite shuffled training batches from batch `start_batch` on, one pass over the validation
    split or None). With jit_compile, batches are padded to multiples of bucket_width points and
    CHAR_PAD characters, so that the compiled step sees few shapes."""
    stats = iam_batches.OffsetStats.from_dict(config.offset_stats)
    vocab = vocabulary(config)
    longest = max(len(s) for s in corpus.strokes)
    bounds = iam_batches.bucket_bounds(min(longest, config.max_points or longest), config.bucket_width) \
        if config.bucket_width else None
    pad = (config.bucket_width, CHAR_PAD) if config.jit_compile and config.bucket_width else None

    def dataset(name, training):
        return iam_batches.make_dataset(corpus, name, config.batch_size, stats, vocabulary=vocab,
                                        max_points=(config.max_points or None) if training else None,
                                        shuffle=training, repeat=training, bucket_boundaries=bounds,
                                        seed=seed if training else None, pad_multiple=pad,
                                        start_batch=start_batch if training else 0)

    valid = dataset(valid_split, False) if valid_split and valid_split in set(corpus.split.tolist()) else None
    return dataset(split, True), valid


def evaluate(model: HandwritingNetwork, corpus: iam.Corpus, config: HandwritingConfig,
             split: str = "valid") -> dict[str, str | int | float]:
    """Log-loss (Graves eq. 26) of `model` on every line of `split`: a dict with nats per
    sequence (mean over lines), per point, the number of lines and points."""
    stats = iam_batches.OffsetStats.from_dict(config.offset_stats)
    ds = iam_batches.make_dataset(corpus, split, config.batch_size, stats, vocabulary=vocabulary(config),
                                  shuffle=False, repeat=False)
    total = points = lines = 0.0
    test = tf.function(lambda batch: model.compute_losses(batch, model(batch, training=False)), reduce_retracing=True)
    for batch in ds:
        losses, n = test(batch)
        b = float(tf.shape(batch["strokes"])[0])
        total += float(losses["loss"]) * b
        points += float(n)
        lines += b
    return {"split": split, "lines": int(lines), "points": int(points),
            "nats_per_sequence": total / lines, "nats_per_point": total / points}


class TimeLimit(keras.callbacks.Callback):
    """Stop training after `minutes` of wall-clock time; the round still ends with validation and
    a checkpoint."""

    def __init__(self, minutes: float):
        super().__init__()
        self.deadline = time.time() + 60.0 * minutes

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if time.time() > self.deadline:
            self.model.stop_training = True


def main(run: TrainRun) -> None:
    config, run_dir, data_dir, resuming = prepare(run)
    check_resume(run_dir, run.resume)
    corpus = iam.load_corpus(data_dir, split_scheme=config.split_scheme)
    if not resuming and not run.init_from:  # else the statistics the weights were trained with
        config = fill_from_data(config, corpus)
    with training_session(run_dir, run) as (strategy, chief, seed):
        train(run, config, corpus, run_dir, data_dir, strategy, chief, seed)


def train(run: TrainRun, config: HandwritingConfig, corpus: iam.Corpus, run_dir: str, data_dir: str,
          strategy: tf.distribute.Strategy, chief: bool, seed: int | None) -> None:
    if chief:
        save_config(config, os.path.join(run_dir, CONFIG_NAME))
        remember_data_dir(run_dir, data_dir)
    _, valid_ds = make_datasets(corpus, config, seed=seed)

    def train_data(start):
        return make_datasets(corpus, config, seed=seed, valid_split=None, start_batch=start)[0]

    with strategy.scope():
        model = build_model(config, jit_compile=config.jit_compile)
    print(f"Handwriting {config.task}: {config.num_layers}x{config.rnn_size} LSTM, M={config.num_mixture}"
          f"{f', K={config.num_window}, {config.vocab_size} characters' if config.task == 'synthesis' else ''}; "
          f"{model.count_params():,} parameters; {config.optimizer} lr {config.learning_rate}; run dir {run_dir}",
          flush=True)
    start = time.time()
    fit_resumable(model, train_data, valid_ds, run_dir, config.num_steps, config.save_every,
                  resume=run.resume, init_from=run.init_from, valid_steps=config.valid_batches or None,
                  callbacks=[TimeLimit(config.max_minutes)] if config.max_minutes else [])
    print(f"Training took {time.time() - start:.0f}s.", flush=True)
    if not chief:
        return
    restore_weights(model, run_dir)  # the best-validation weights
    if valid_ds is not None:
        result = evaluate(model, corpus, config)
        save_json(result, os.path.join(run_dir, EVAL_FILE))
        print(f"Validation ({result['lines']} lines, {result['points']} points): "
              f"{result['nats_per_sequence']:.1f} nats per sequence, {result['nats_per_point']:.4f} per point.",
              flush=True)
    export_dir = export_saved_model(model, os.path.join(run_dir, EXPORT_DIR))
    print(f"SavedModel written to {export_dir}", flush=True)
