"""Train Sketch-RNN: python train.py --model=sketch_rnn --category=bird [--hparams=...]."""
import dataclasses
import json
import math
import os

import keras

from data_utils import sketch_data, strokes
from run_utils.config import apply_hparams, load_config, save_config
from run_utils.rundir import CONFIG_NAME, default_run_dir
from run_utils.training import BEST_INFO, check_resume, fit_resumable, restore_weights
from sketch_rnn.config import SketchRNNConfig
from sketch_rnn.export import export_saved_model
from sketch_rnn.model import build_model

DEFAULT_DATA_DIR = "data"


class OriginalLogLine(keras.callbacks.Callback):
    """After each validation, the original sketch_rnn_train.py's log lines with its names:
    "step: .., lr: .., klw: .., cost: .., recon: .., kl: .." (training means of the round) and
    "best_valid_cost: .., valid_cost: .., valid_recon: .., valid_kl: ..", where valid_cost =
    valid_recon + kl_weight_start * valid_kl as the original's eval model computes it."""

    def __init__(self, run_dir):
        super().__init__()
        info = os.path.join(run_dir, BEST_INFO)
        self.best = json.load(open(info))["value"] if os.path.exists(info) else math.inf

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if "val_loss" not in logs:
            return
        self.best = min(self.best, logs["val_loss"])
        step = int(self.model.optimizer.iterations.numpy())
        print(f"step: {step}, lr: {logs['lr']:.6f}, klw: {logs['kl_weight']:.4f}, cost: {logs['loss']:.4f}, "
              f"recon: {logs['recon']:.4f}, kl: {logs['kl']:.4f}", flush=True)
        print(f"best_valid_cost: {self.best:.4f}, valid_cost: {logs['val_loss']:.4f}, "
              f"valid_recon: {logs['val_recon']:.4f}, valid_kl: {logs['val_kl']:.4f}", flush=True)


def dataset_names(categories, config):
    """--category values, else the config's data_set files, as bare names (no .npz)."""
    names = categories or config.data_set
    return [n[:-4] if n.endswith(".npz") else n for n in names]


def prepare(flags):
    """Resolve data and config; returns (config, data, run_dir)."""
    config = apply_hparams(SketchRNNConfig(), flags.hparams)
    names = dataset_names(flags.category, config)
    run_dir = flags.log_root or default_run_dir("sketch_rnn", "_".join(names))
    config_path = os.path.join(run_dir, CONFIG_NAME)
    if flags.resume and os.path.exists(config_path):
        # Keep the run's own settings (scale factor, sizes); flags may only extend the schedule.
        config = load_config(SketchRNNConfig, config_path)
        names = dataset_names([], config)
    data_dir = flags.data_dir or DEFAULT_DATA_DIR
    paths = [sketch_data.resolve_dataset(name, data_dir) for name in names]
    data = sketch_data.load_sketch_data(paths, config.max_seq_len)
    updates = dict(data_set=[os.path.basename(p) for p in paths], max_seq_len=data.max_seq_len)
    if not flags.resume or not os.path.exists(config_path):
        updates["scale_factor"] = data.scale_factor
    if flags.num_steps is not None:
        updates["num_steps"] = flags.num_steps
    if flags.save_every is not None:
        updates["save_every"] = flags.save_every
    config = dataclasses.replace(config, **updates)
    return config, data, run_dir, data_dir


def main(flags):
    config, data, run_dir, data_dir = prepare(flags)
    check_resume(run_dir, flags.resume)
    os.makedirs(run_dir, exist_ok=True)
    save_config(config, os.path.join(run_dir, CONFIG_NAME))
    with open(os.path.join(run_dir, "data_dir.txt"), "w") as f:
        f.write(os.path.abspath(data_dir))
    print(f"Sketch-RNN: {len(data.train)} train / {len(data.valid)} valid / {len(data.test)} test drawings, "
          f"N_max={config.max_seq_len}, scale factor {config.scale_factor:.4f}; run dir {run_dir}", flush=True)
    if flags.seed is not None:
        keras.utils.set_random_seed(flags.seed)
    train_ds = sketch_data.make_dataset(
        strokes.normalize(data.train, config.scale_factor), config.max_seq_len, config.batch_size,
        random_scale_factor=config.random_scale_factor, augment_stroke_prob=config.augment_stroke_prob,
        shuffle=True, repeat=True, seed=flags.seed, bucket_width=config.bucket_width)
    valid_ds = sketch_data.make_dataset(
        strokes.normalize(sketch_data.sort_by_length(data.valid), config.scale_factor), config.max_seq_len,
        config.batch_size, shuffle=False, repeat=False) if len(data.valid) >= config.batch_size else None
    model = build_model(config)
    fit_resumable(model, train_ds, valid_ds, run_dir, config.num_steps, config.save_every, resume=flags.resume,
                  callbacks=[OriginalLogLine(run_dir)] if valid_ds is not None else [])
    restore_weights(model, run_dir)  # export the best-validation weights
    export_dir = export_saved_model(model, os.path.join(run_dir, "saved_model"))
    print(f"SavedModel written to {export_dir}")
