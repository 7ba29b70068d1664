"""Train Sketch-RNN: python train.py --model=sketch_rnn --category=bird [--hparams=...]."""
import dataclasses
import os
from collections.abc import Sequence

import keras
import tensorflow as tf

from data_utils import sketch_data, strokes
from run_utils.cli import TrainRun
from run_utils.config import apply_hparams, save_config, training_config
from run_utils.rundir import (
    CONFIG_NAME,
    EXPORT_DIR,
    default_run_dir,
    remember_data_dir,
    remembered_data_dir,
)
from run_utils.training import check_resume, fit_resumable, recorded_best, restore_weights, training_session
from sketch_rnn.config import SketchRNNConfig
from sketch_rnn.export import export_saved_model
from sketch_rnn.model import build_model

DEFAULT_DATA_DIR = "data"


class OriginalLogLine(keras.callbacks.Callback):
    """After each validation, the original sketch_rnn_train.py's log lines with its names:
    "step: .., lr: .., klw: .., cost: .., recon: .., kl: .." (training means of the round) and
    "best_valid_cost: .., valid_cost: .., valid_recon: .., valid_kl: ..", where valid_cost =
    valid_recon + kl_weight_start * valid_kl as the original's eval model computes it."""

    def __init__(self, run_dir: str):
        super().__init__()
        self.best = recorded_best(run_dir)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        if "val_loss" not in logs:
            return
        self.best = min(self.best, logs["val_loss"])
        step = int(self.model.optimizer.iterations.numpy())
        print(f"step: {step}, lr: {logs['lr']:.6f}, klw: {logs['kl_weight']:.4f}, cost: {logs['loss']:.4f}, "
              f"recon: {logs['recon']:.4f}, kl: {logs['kl']:.4f}", flush=True)
        print(f"best_valid_cost: {self.best:.4f}, valid_cost: {logs['val_loss']:.4f}, "
              f"valid_recon: {logs['val_recon']:.4f}, valid_kl: {logs['val_kl']:.4f}", flush=True)


def dataset_names(categories: Sequence[str] | None, config: SketchRNNConfig) -> list[str]:
    """--category values, else the config's data_set files, as bare names (no .npz)."""
    names = categories or config.data_set
    return [n[:-4] if n.endswith(".npz") else n for n in names]


def prepare(run: TrainRun) -> tuple[SketchRNNConfig, sketch_data.SketchData, str, str]:
    """Resolve config and data before anything is written; returns (config, data, run_dir, data_dir)."""
    names = dataset_names(run.options.category, apply_hparams(SketchRNNConfig(), run.hparams))
    run_dir = run.log_root or default_run_dir("sketch_rnn", "_".join(names))
    config, resuming = training_config(SketchRNNConfig(), run_dir, run)
    if resuming:  # the run's own data sets, scale factor and sizes
        own = dataset_names([], config)
        if run.options.category and names != own:
            raise ValueError(f"--resume continues {run_dir}, which trains on {', '.join(own)}; --category="
                             f"{','.join(names)} is other data. Leave --category out to resume, or start a new run "
                             f"(another --log_root, with --init_from={run_dir} to start from these weights).")
        names = own
    data_dir = run.data_dir or remembered_data_dir(run_dir) or DEFAULT_DATA_DIR
    paths = [sketch_data.resolve_dataset(name, data_dir) for name in names]
    data = sketch_data.load_sketch_data(paths, config.max_seq_len)
    updates = dict(data_set=[os.path.basename(p) for p in paths], max_seq_len=data.max_seq_len)
    if not resuming and not run.init_from:  # else the scale the weights were trained with
        updates["scale_factor"] = data.scale_factor
    return dataclasses.replace(config, **updates), data, run_dir, data_dir


def main(run: TrainRun) -> None:
    config, data, run_dir, data_dir = prepare(run)
    check_resume(run_dir, run.resume)
    with training_session(run_dir, run) as (strategy, chief, seed):
        train(run, config, data, run_dir, data_dir, strategy, chief, seed)


def train(run: TrainRun, config: SketchRNNConfig, data: sketch_data.SketchData, run_dir: str, data_dir: str,
          strategy: tf.distribute.Strategy, chief: bool, seed: int | None) -> None:
    if config.magenta_js_grid and strategy.num_replicas_in_sync > 1:
        raise ValueError("--hparams=magenta_js_grid=true trains on one device only (its weights are rounded "
                         "in place after every step); drop --distribute or the option.")
    if chief:
        save_config(config, os.path.join(run_dir, CONFIG_NAME))
        remember_data_dir(run_dir, data_dir)
    print(f"Sketch-RNN: {len(data.train)} train / {len(data.valid)} valid / {len(data.test)} test drawings, "
          f"N_max={config.max_seq_len}, scale factor {config.scale_factor:.4f}; run dir {run_dir}", flush=True)
    train_drawings = strokes.normalize(data.train, config.scale_factor)

    def train_data(start):
        return sketch_data.make_dataset(
            train_drawings, config.max_seq_len, config.batch_size, random_scale_factor=config.random_scale_factor,
            augment_stroke_prob=config.augment_stroke_prob, shuffle=True, repeat=True, seed=seed,
            bucket_width=config.bucket_width, start_batch=start)

    valid_ds = sketch_data.make_dataset(
        strokes.normalize(sketch_data.sort_by_length(data.valid), config.scale_factor), config.max_seq_len,
        config.batch_size, shuffle=False, repeat=False) if len(data.valid) >= config.batch_size else None
    with strategy.scope():
        model = build_model(config)
    fit_resumable(model, train_data, valid_ds, run_dir, config.num_steps, config.save_every, resume=run.resume,
                  init_from=run.init_from,
                  callbacks=[OriginalLogLine(run_dir)] if valid_ds is not None and chief else [])
    if chief:
        restore_weights(model, run_dir)  # export the best-validation weights
        export_dir = export_saved_model(model, os.path.join(run_dir, EXPORT_DIR))
        print(f"SavedModel written to {export_dir}")
