"""Char-RNN benchmarks (one JSON object per line).

1. Training: characters per second of the teacher-forced train step (random text, vocabulary 65
   like tiny Shakespeare) for the default config and the README's CPU run config, with and
   without XLA (the reason build_model defaults to jit_compile=False).
2. Sampling: characters per second of the batched, compiled tf.while_loop sampler (64 samples
   and 1 sample at a time) against an eager loop that calls the model once per character (the
   original notebook's style), same weights, measured in the same run.

Usage: python bench/bench_char_rnn.py [--steps 5] [--length 500] [--configs default,readme]
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from run_utils.quiet import silence_tensorflow  # noqa: E402

silence_tensorflow()
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from bench.common import best_time, emit  # noqa: E402
from char_rnn.config import CharRNNConfig  # noqa: E402
from char_rnn.model import build_model, choose_next  # noqa: E402
from data_utils.text_corpus import train_dataset  # noqa: E402

VOCAB = 65
CONFIGS = {
    "default": CharRNNConfig(vocab_size=VOCAB),
    "readme": CharRNNConfig(vocab_size=VOCAB, rnn_size=384, embedding_size=128, output_keep_prob=0.85),
}


def bench_training(name, config, steps, jit):
    model = build_model(config, jit_compile=jit)
    ids = np.random.default_rng(0).integers(0, VOCAB, size=200_000).astype(np.int32)
    iterator = iter(train_dataset(ids, config.seq_length, config.batch_size, seed=0))
    model.make_train_function()
    train = model.train_function

    def run():
        for _ in range(steps):
            logs = train(iterator)
        float(logs["loss"])
    seconds = best_time(run, repeats=1, warmup=1) / steps
    chars = config.batch_size * config.seq_length
    emit(benchmark="char_rnn_train", config=name, jit_compile=jit, num_layers=config.num_layers,
         rnn_size=config.rnn_size, batch_size=config.batch_size, seq_length=config.seq_length,
         seconds_per_step=round(seconds, 4), train_chars_per_second=round(chars / seconds))
    return model


def eager_sample(model, prime, length, temperature=0.8, seed=1):
    """One Python iteration (and one eager model call) per generated character."""
    logits, states = model(prime, return_state=True)
    logits = logits[:, -1]
    out = []
    for t in range(length):
        ids = choose_next(logits, temperature, 0, False, tf.constant([seed, t]))
        out.append(ids)
        logits, states = model.step(ids, states)
    return tf.stack(out, axis=1).numpy()


def bench_sampling(name, model, length):
    generate = tf.function(model.generate, reduce_retracing=True)

    def batched(n):
        prime = tf.zeros([n, 10], tf.int32)
        return lambda: generate(prime, tf.constant(length), tf.constant(0.8), tf.constant(0),
                                tf.constant(False), tf.constant([1, 2])).numpy()

    t_batch = best_time(batched(64))
    t_single = best_time(batched(1))
    t_eager = best_time(lambda: eager_sample(model, tf.zeros([1, 10], tf.int32), length), repeats=1)
    emit(benchmark="char_rnn_sampling", config=name, length=length,
         compiled_batch64_chars_per_second=round(64 * length / t_batch),
         compiled_single_chars_per_second=round(length / t_single),
         eager_single_chars_per_second=round(length / t_eager),
         throughput_ratio_batch64_vs_eager=round((64 * length / t_batch) / (length / t_eager), 1),
         latency_ratio_single_vs_eager=round(t_eager / t_single, 1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=5, help="timed training steps per measurement")
    parser.add_argument("--length", type=int, default=500, help="characters generated per sample")
    parser.add_argument("--configs", default="default,readme", help="comma-separated: default, readme")
    args = parser.parse_args()
    for name in args.configs.split(","):
        config = CONFIGS[name]
        for jit in (False, True):
            model = bench_training(name, config, args.steps, jit)
        bench_sampling(name, model, args.length)


if __name__ == "__main__":
    main()
