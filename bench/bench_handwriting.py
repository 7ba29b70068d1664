"""Handwriting network benchmarks (one JSON object per line), Graves' sizes by default
(3 LSTM layers of 400, M = 20, K = 10, an 81-character alphabet), random weights and data.

1. Training: points per second of the compiled train step (fused LSTM backward), with and
   without XLA, on batches of B lines x T points, against the same train_step run eagerly
   (every time step a Python iteration) in the same process.
2. Sampling: points per second of one compiled tf.while_loop call drawing 16 lines of 700
   points, against an eager loop that runs one network step per Python iteration.
3. Recurrence: forward + backward of one LSTM layer (peepholes, gate-derivative clipping) over
   B x T projected inputs, three ways: the fused lstm_sequence (hand-written backward), a
   tf.while_loop differentiated by TensorFlow (weights read once, inputs in a TensorArray: how
   the synthesis network runs its first layer with the window), and keras.layers.RNN with a
   custom cell.

Usage: python bench/bench_handwriting.py [--task both] [--rnn_size 400] [--batch 16] [--points 300]
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from run_utils.quiet import silence_tensorflow  # noqa: E402

silence_tensorflow()
import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from bench.common import best_time, emit  # noqa: E402
from handwriting.config import HandwritingConfig  # noqa: E402
from handwriting.model import LSTMLayer, build_model, lstm_step, output_distributions  # noqa: E402

ALPHABET = [chr(32 + i) for i in range(81)]


def batch(config, size, points, rng, chars=40):
    strokes = rng.normal(size=(size, points, 3)).astype(np.float32)
    strokes[..., 2] = rng.random((size, points)) < 0.05
    data = {"strokes": tf.constant(strokes), "stroke_mask": tf.ones([size, points])}
    if config.task == "synthesis":
        data.update(chars=tf.constant(rng.integers(0, len(ALPHABET), (size, chars)), tf.int32),
                    char_mask=tf.ones([size, chars]))
    return data


def points_per_second(model, data, eager, repeats):
    model.run_eagerly = eager
    model.make_train_function(force=True)
    iterator = iter(tf.data.Dataset.from_tensors(data).repeat())
    train = model.train_function
    seconds = best_time(lambda: float(train(iterator)["loss"]), repeats=repeats, warmup=1)
    b, t = data["strokes"].shape[:2]
    return b * (t - 1) / seconds


def bench_training(config, size, points, eager_points, rng):
    data = batch(config, size, points, rng)
    xla = points_per_second(build_model(config, jit_compile=True), data, eager=False, repeats=2)
    model = build_model(config, jit_compile=False)
    graph = points_per_second(model, data, eager=False, repeats=2)
    eager = points_per_second(model, batch(config, size, eager_points, rng), eager=True, repeats=1)
    emit(benchmark=f"handwriting_{config.task}_train_step", layers=config.num_layers, rnn_size=config.rnn_size,
         batch_lines=size, points_per_line=points, xla_points_per_second=round(xla, 1),
         graph_points_per_second=round(graph, 1), xla_speedup=round(xla / graph, 2),
         eager_points_per_line=eager_points, eager_points_per_second=round(eager, 1),
         speedup_vs_eager=round(max(xla, graph) / eager, 1), load_average=os.getloadavg()[0])


def eager_sampling(model, data, steps, bias=0.5):
    """One Python iteration per time step: network step + sampling ops run eagerly."""
    batch_size = data["strokes"].shape[0]
    context = model.make_context(data.get("chars"), data.get("char_mask"))
    state = model.initial_state(batch_size, context)
    prev = model.anchor(batch_size)
    for t in range(steps):
        raw, state, _ = model.step(prev, state, context)
        offsets, eos, _ = output_distributions(*model.head.split(raw), bias=bias)
        prev = tf.concat([offsets.sample(seed=[1, t]), eos.sample(seed=[2, t])[:, None]], axis=-1)
    return prev.numpy()


def bench_sampling(config, lines, steps, eager_steps, rng):
    model = build_model(config, compile=False)
    if config.task == "synthesis":  # keep the window still so that no line stops before `steps`
        bias = model.window.dense.bias
        bias.assign(tf.concat([bias[:2 * config.num_window], tf.fill([config.num_window], -30.0)], 0))
    data = batch(config, lines, 2, rng)
    generate = tf.function(model.generate)

    def compiled():
        out = generate(lines, tf.constant(steps), bias=tf.constant(0.5), seed=tf.constant([1, 2]),
                       chars=data.get("chars"), char_mask=data.get("char_mask"))
        assert int(out["lengths"].numpy().min()) == steps
    seconds = best_time(compiled, repeats=2, warmup=1)
    eager_seconds = best_time(lambda: eager_sampling(model, data, eager_steps), repeats=1, warmup=0)
    rate, eager_rate = lines * steps / seconds, lines * eager_steps / eager_seconds
    emit(benchmark=f"handwriting_{config.task}_sampling", layers=config.num_layers, rnn_size=config.rnn_size,
         lines=lines, points_per_line=steps, seconds=round(seconds, 2), points_per_second=round(rate, 1),
         eager_points_per_line=eager_steps, eager_points_per_second=round(eager_rate, 1),
         speedup_vs_eager=round(rate / eager_rate, 1), load_average=os.getloadavg()[0])


class _PeepholeCell(keras.layers.Layer):
    """lstm_step as a cell for keras.layers.RNN (inputs: projected gates [B, 4u])."""

    def __init__(self, lstm, clip):
        super().__init__()
        self.lstm, self.clip = lstm, clip
        self.state_size = [lstm.units, lstm.units]
        self.output_size = lstm.units

    def call(self, z, states):
        h, c = lstm_step(z, states[0], states[1], self.lstm.recurrent_kernel, self.lstm.peephole, self.clip)
        return h, [h, c]


def bench_recurrence(units, size, points, rng):
    lstm = LSTMLayer(units, 3)
    z = tf.constant(rng.normal(size=(size, points, 4 * units)), tf.float32)
    weights = tf.constant(rng.normal(size=(size, points, units)), tf.float32)
    h0 = tf.zeros([size, units])
    clip = tf.constant(10.0)
    variables = [lstm.recurrent_kernel, lstm.peephole]

    def fused(z):
        return lstm.sequence(z, h0, h0, clip)[0]

    def while_loop(z):
        steps = tf.shape(z)[1]
        zs = tf.TensorArray(tf.float32, size=steps).unstack(tf.transpose(z, [1, 0, 2]))
        kernel, peephole = tf.convert_to_tensor(lstm.recurrent_kernel), tf.convert_to_tensor(lstm.peephole)

        def body(t, h, c, hs):
            h, c = lstm_step(zs.read(t), h, c, kernel, peephole, clip)
            return t + 1, h, c, hs.write(t, h)
        _, _, _, hs = tf.while_loop(lambda t, *_: t < steps, body,
                                    (0, h0, h0, tf.TensorArray(tf.float32, size=steps)), maximum_iterations=steps)
        return tf.transpose(hs.stack(), [1, 0, 2])

    rnn = keras.layers.RNN(_PeepholeCell(lstm, clip), return_sequences=True)
    results = {}
    for name, run in (("fused_custom_gradient", fused), ("while_loop_autodiff", while_loop),
                      ("keras_rnn_custom_cell", rnn)):
        @tf.function
        def step(z, run=run):
            with tf.GradientTape() as tape:
                tape.watch(z)
                loss = tf.reduce_sum(run(z) * weights)
            return tape.gradient(loss, [z] + variables)
        results[name] = best_time(lambda: [g.numpy() for g in step(z)], repeats=2, warmup=1)
    emit(benchmark="handwriting_lstm_recurrence", units=units, batch_lines=size, points_per_line=points,
         **{f"{k}_seconds": round(v, 3) for k, v in results.items()},
         **{f"{k}_slowdown_vs_fused": round(v / results["fused_custom_gradient"], 2) for k, v in results.items()},
         load_average=os.getloadavg()[0])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--task", choices=["prediction", "synthesis", "both"], default="both")
    parser.add_argument("--rnn_size", type=int, default=400)
    parser.add_argument("--batch", type=int, default=16, help="lines per training batch")
    parser.add_argument("--points", type=int, default=300, help="points per training line")
    parser.add_argument("--eager_points", type=int, default=40, help="points per line in the eager train step")
    parser.add_argument("--sample_steps", type=int, default=700)
    parser.add_argument("--eager_sample_steps", type=int, default=40)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    bench_recurrence(args.rnn_size, args.batch, args.points, rng)
    for task in (["prediction", "synthesis"] if args.task == "both" else [args.task]):
        config = HandwritingConfig(task=task, rnn_size=args.rnn_size, chars=ALPHABET)
        bench_training(config, args.batch, args.points, args.eager_points, rng)
        bench_sampling(config, 16, args.sample_steps, args.eager_sample_steps, rng)


if __name__ == "__main__":
    main()
