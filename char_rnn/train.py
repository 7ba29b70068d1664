"""Train the char-RNN: python train.py --model=char_rnn --data_dir=path/to/text_or_folder [--hparams=...].

The run directory (default runs/char_rnn/<file or folder name>) gets config.json, vocab.json
(built from the training split), checkpoints, best.weights.h5, TensorBoard logs and saved_model/.
"""
import dataclasses
import os
import time

import keras
import numpy as np
import tensorflow as tf

from char_rnn.config import CharRNNConfig
from char_rnn.export import export_saved_model
from char_rnn.model import LN2, CharRNN, build_model, text_nll
from data_utils import text_corpus
from data_utils.text import Vocabulary
from fileio.files import save_json
from run_utils.cli import TrainRun
from run_utils.config import save_config, training_config
from run_utils.rundir import (
    CONFIG_NAME,
    EVAL_FILE,
    EXPORT_DIR,
    VOCAB_FILE,
    default_run_dir,
    remember_data_dir,
    remembered_data_dir,
)
from run_utils.training import check_resume, fit_resumable, restore_weights, training_session


class Throughput(keras.callbacks.Callback):
    """Prints training characters per second of each round, timed from the end of its first
    step (so tracing, validation and checkpointing are left out)."""

    def __init__(self, chars_per_step: int):
        super().__init__()
        self.chars_per_step = chars_per_step
        self.seconds = 0.0
        self.steps = 0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._start, self._round_steps = None, 0

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        now = time.perf_counter()
        if self._start is None:
            self._start = now
        else:
            self._last, self._round_steps = now, self._round_steps + 1

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self._round_steps:
            seconds = self._last - self._start
            self.seconds += seconds
            self.steps += self._round_steps
            print(f"training throughput: {self._round_steps * self.chars_per_step / seconds:.0f} chars/s this round, "
                  f"{self.steps * self.chars_per_step / self.seconds:.0f} chars/s overall", flush=True)


def prepare(run: TrainRun) -> tuple[CharRNNConfig, Vocabulary, np.ndarray, np.ndarray, str, str]:
    """Resolve config, text and vocabulary before anything is written.
    Returns (config, vocabulary, train_ids, valid_ids, run_dir, data_path)."""
    if not run.data_dir and not run.log_root:
        raise ValueError("--data_dir is required: a UTF-8 text file or a folder of text files.")
    run_dir = run.log_root or default_run_dir("char_rnn", text_corpus.corpus_name(run.data_dir))
    config, resuming = training_config(CharRNNConfig(), run_dir, run)
    data_path = run.data_dir or (remembered_data_dir(run_dir) if resuming else None)
    if not data_path:
        raise ValueError("--data_dir is required: a UTF-8 text file or a folder of text files.")
    text = text_corpus.load_corpus(data_path)
    train_text, valid_text = text_corpus.split_text(text, config.valid_fraction)
    if resuming or run.init_from:  # the vocabulary the weights were trained with
        vocabulary = Vocabulary.load(os.path.join(run_dir if resuming else run.init_from, VOCAB_FILE))
        vocabulary.encode("".join(set(train_text)))  # the text must fit it
    else:
        vocabulary = Vocabulary.from_text(train_text)
    config = dataclasses.replace(config, vocab_size=len(vocabulary))
    train_ids = vocabulary.encode(train_text)
    valid_ids, dropped = text_corpus.encode_known(vocabulary, valid_text)
    if dropped:
        print(f"Note: {dropped} validation characters are not in the training split's vocabulary and are "
              "left out of the validation text.", flush=True)
    return config, vocabulary, train_ids, valid_ids, run_dir, data_path


def validation_figures(model: CharRNN, valid_ids: np.ndarray, config: CharRNNConfig) -> dict[str, float | int]:
    """Both validation figures of a model: state carried across windows (the one reported, and
    the one best weights are chosen by) and every window from a zero state."""
    carried, count = text_nll(model, valid_ids, config.batch_size, config.seq_length)
    windows, _ = text_nll(model, valid_ids, config.batch_size, config.seq_length, carry_state=False)
    return {"chars": count, "nats_per_char": carried, "bits_per_char": carried / LN2,
            "nats_per_char_windows": windows, "bits_per_char_windows": windows / LN2}


def main(run: TrainRun) -> None:
    config, vocabulary, train_ids, valid_ids, run_dir, data_path = prepare(run)
    check_resume(run_dir, run.resume)
    with training_session(run_dir, run) as (strategy, chief, seed):
        train(run, config, vocabulary, train_ids, valid_ids, run_dir, data_path, strategy, chief, seed)


def train(run: TrainRun, config: CharRNNConfig, vocabulary: Vocabulary, train_ids: np.ndarray, valid_ids: np.ndarray,
          run_dir: str, data_path: str, strategy: tf.distribute.Strategy, chief: bool, seed: int | None) -> None:
    if chief:
        save_config(config, os.path.join(run_dir, CONFIG_NAME))
        vocabulary.save(os.path.join(run_dir, VOCAB_FILE))
        remember_data_dir(run_dir, data_path)
    print(f"char-RNN: {len(train_ids)} train / {len(valid_ids)} valid characters, vocabulary of "
          f"{len(vocabulary)}; run dir {run_dir}", flush=True)
    text_corpus.train_dataset(train_ids, config.seq_length, config.batch_size)  # refuses a too short text now

    def train_data(start):
        return text_corpus.train_dataset(train_ids, config.seq_length, config.batch_size, seed=seed, start_batch=start)
    validate = None
    if len(valid_ids) > config.seq_length:
        def validate(model):
            nll, _ = text_nll(model, valid_ids, config.batch_size, config.seq_length)
            return {"loss": nll, "bpc": nll / LN2}
    else:
        print(f"Note: the validation split has fewer than seq_length + 1 = {config.seq_length + 1} characters; "
              "training without validation (best weights by training loss).", flush=True)
    with strategy.scope():
        model = build_model(config)
    throughput = Throughput(config.batch_size * config.seq_length)
    fit_resumable(model, train_data, None, run_dir, config.num_steps, config.save_every,
                  resume=run.resume, init_from=run.init_from, callbacks=[throughput], validate=validate)
    if not chief:
        return
    restore_weights(model, run_dir)  # export the best-validation weights
    if validate is not None:
        result = validation_figures(model, valid_ids, config)
        save_json(result, os.path.join(run_dir, EVAL_FILE))
        print(f"Validation (best weights, {result['chars']} characters): {result['nats_per_char']:.4f} nats/char "
              f"= {result['bits_per_char']:.4f} bits/char with the state carried across windows; "
              f"{result['nats_per_char_windows']:.4f} nats/char with every {config.seq_length}-character window "
              "started from a zero state.", flush=True)
    export_dir = export_saved_model(model, vocabulary, os.path.join(run_dir, EXPORT_DIR))
    print(f"SavedModel written to {export_dir}")
