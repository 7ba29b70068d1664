"""Sketch-RNN benchmarks (one JSON object per line).

1. Training: seconds per step with the original's default hparams (batch 100, N_max 250,
   LSTM 512/256, z 128, M 20) on synthetic drawings, and achieved GFLOP/s (matmul FLOPs of the
   model as the original computes it, forward + backward = 3x forward) against an fp32 matmul
   measured in the same run.
2. Sampling: 100 drawings x 250 steps in one compiled, batched call vs an eager
   one-step-at-a-time loop (the original's per-drawing sampling style), same weights.
3. With a real data set (--data, default aaron_sheep.npz in data/ or $RNNGEN_SHARED_DATA/sketch):
   training steps on its augmented batches padded to N_max (the original) vs length-bucketed
   (bucket_width), mean seconds per step over the same number of steps.

Usage: python bench/bench_sketch_rnn.py [--steps 5] [--jit] [--data PATH] [--bucket_steps 20]
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from run_utils.quiet import silence_tensorflow  # noqa: E402

silence_tensorflow()
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from bench.common import best_time, emit, matmul_gflops  # noqa: E402
from data_utils import sketch_data, strokes  # noqa: E402
from mdn import mixture  # noqa: E402
from sketch_rnn.config import SketchRNNConfig  # noqa: E402
from sketch_rnn.model import build_model  # noqa: E402


def forward_flops(c, batch):
    """Matmul FLOPs of one teacher-forced forward pass (conditional LSTM model)."""
    n, e, d, z, out = c.max_seq_len, c.enc_rnn_size, c.dec_rnn_size, c.z_size, 6 * c.num_mixture + 3
    enc = 2 * (2 * batch * n * (5 + e) * 4 * e) + 2 * (2 * batch * 2 * e * z)
    dec = 2 * batch * n * (5 + z + d) * 4 * d + 2 * batch * z * 2 * d + 2 * batch * n * d * out
    return enc + dec


def synthetic_batch(c, rng):
    b, n = c.batch_size, c.max_seq_len
    x = np.zeros((b, n + 1, 5), np.float32)
    x[:, 0, 2] = 1
    lens = rng.integers(n // 2, n + 1, size=b).astype(np.int32)
    for i, ln in enumerate(lens):
        x[i, 1:ln + 1, :2] = rng.normal(size=(ln, 2))
        x[i, 1:ln + 1, 2] = 1
        x[i, ln, 2:4] = [0, 1]
        x[i, ln + 1:, 4] = 1
    return {"strokes": tf.constant(x), "seq_len": tf.constant(lens)}


def bench_training(config, steps, jit):
    model = build_model(config, jit_compile=jit)
    data = synthetic_batch(config, np.random.default_rng(0))
    iterator = iter(tf.data.Dataset.from_tensors(data).repeat())
    model.make_train_function()
    train = model.train_function
    seconds = best_time(lambda: [train(iterator) for _ in range(steps)], repeats=1, warmup=1) / steps
    peak = matmul_gflops()
    # The recurrence multiplies [batch, 512] x [512, 2048] once per step and direction: the
    # practical ceiling of that shape bounds the whole step.
    step_shape = matmul_gflops(config.batch_size, config.dec_rnn_size, 4 * config.dec_rnn_size, repeats=200)
    gflop = 3 * forward_flops(config, config.batch_size) / 1e9
    emit(benchmark="sketch_rnn_train_step", jit_compile=jit, batch_size=config.batch_size,
         max_seq_len=config.max_seq_len, seconds_per_step=round(seconds, 3), gflop_per_step=round(gflop, 1),
         achieved_gflops=round(gflop / seconds, 1), matmul_peak_gflops=round(peak, 1),
         fraction_of_matmul_peak=round(gflop / seconds / peak, 3),
         recurrent_shape_matmul_gflops=round(step_shape, 1),
         recurrent_shape_fraction_of_peak=round(step_shape / peak, 3),
         original_tf1_seconds_per_step=1.9, speedup_vs_original=round(1.9 / seconds, 2))
    return model


def never_ending(model):
    """Bias the pen logits against the end-of-drawing state so every sample runs all steps."""
    kernel, bias = model.output_layer.kernel, model.output_layer.bias
    bias.assign(tf.tensor_scatter_nd_update(bias, [[2]], [-1e4]))
    return kernel


def eager_sample(model, batch, steps, temperature=0.4):
    """One Python iteration per time step, like the original's session-per-step loop."""
    c = model.config
    z = tf.random.normal([batch, c.z_size])
    state = model.initial_state(z, batch)
    prev = tf.tile(tf.constant([[0.0, 0.0, 1.0, 0.0, 0.0]]), [batch, 1])
    for _ in range(steps):
        h, state = model.dec_cell(model.dec_cell.project_inputs(prev[:, None], constant=z)[:, 0], state)
        pen_logits, mix_raw = model.output_layer.split(model.output_layer(h))
        pen = tf.random.categorical(pen_logits / temperature, 1)[:, 0]
        params = mixture.mixture_params(mix_raw, temperature=temperature)
        offset = mixture.offset_distribution(params).sample()
        prev = tf.concat([offset, tf.one_hot(pen, 3)], axis=-1)
    return prev.numpy()


def decoder_recurrence_seconds(model, steps):
    """The floor of single-drawing latency: the decoder cell alone, `steps` times, batch 1, XLA."""
    cell, z = model.dec_cell, tf.random.normal([1, model.config.z_size])

    @tf.function(jit_compile=True)
    def run():
        inputs = cell.project_inputs(tf.zeros([1, 1, 5]))[:, 0] + cell.project_constant(z)
        def step(t, state):
            return t + 1, cell(inputs, state, training=False)[1]
        return tf.while_loop(lambda t, state: t < steps, step, (0, model.initial_state(z, 1)))[1]
    return best_time(lambda: [s.numpy() for s in tf.nest.flatten(run())], repeats=5)


def bench_sampling(model, steps=250):
    never_ending(model)
    c = model.config
    generate = tf.function(model.generate, jit_compile=True, reduce_retracing=True)

    def batched(n):
        z = tf.random.normal([n, c.z_size])
        return lambda: generate(z, n, steps, temperature=0.4, seed=tf.constant([1, 2]))[0].numpy()

    t_batch = best_time(batched(100))
    t_single = best_time(batched(1))
    t_eager_single = best_time(lambda: eager_sample(model, 1, steps), repeats=1)
    t_recurrence = decoder_recurrence_seconds(model, steps)
    emit(benchmark="sketch_rnn_sampling", steps=steps,
         batched_100_seconds=round(t_batch, 3), batched_100_drawings_per_second=round(100 / t_batch, 1),
         single_drawing_latency_seconds=round(t_single, 4),
         decoder_recurrence_only_seconds=round(t_recurrence, 4),
         eager_loop_single_drawing_seconds=round(t_eager_single, 3),
         throughput_ratio_vs_eager=round((100 / t_batch) / (1 / t_eager_single), 1),
         latency_ratio_vs_eager=round(t_eager_single / t_single, 1),
         original_tf1_seconds_per_drawing=0.22,
         throughput_ratio_vs_original=round((100 / t_batch) / (1 / 0.22), 1),
         latency_ratio_vs_original=round(0.22 / t_single, 1))


def default_data_path():
    for folder in ("data", os.path.join(os.environ.get("RNNGEN_SHARED_DATA", ""), "sketch")):
        path = os.path.join(folder, "aaron_sheep.npz")
        if os.path.exists(path):
            return path
    return None


def bench_bucketing(path, steps, bucket_width=25):
    """Mean seconds per training step on real augmented batches, padded to N_max vs bucketed."""
    data = sketch_data.load_sketch_data([path], SketchRNNConfig().max_seq_len)
    config = SketchRNNConfig(max_seq_len=data.max_seq_len, scale_factor=data.scale_factor)
    drawings = strokes.normalize(data.train, data.scale_factor)
    seconds = {}
    for width in (0, bucket_width):
        ds = sketch_data.make_dataset(drawings, config.max_seq_len, config.batch_size, config.random_scale_factor,
                                      config.augment_stroke_prob, seed=1, bucket_width=width)
        model = build_model(config)
        model.make_train_function()
        iterator = iter(ds)
        for _ in range(3):  # traces (a bucketed run settles on one shape-generic trace)
            model.train_function(iterator)
        start = time.perf_counter()
        for _ in range(steps):
            model.train_function(iterator)["loss"].numpy()
        seconds[width] = (time.perf_counter() - start) / steps
    emit(benchmark="sketch_rnn_bucketed_training", data=os.path.basename(path), steps=steps,
         bucket_width=bucket_width, mean_train_length=round(float(np.mean([len(d) for d in drawings])), 1),
         max_seq_len=config.max_seq_len, padded_seconds_per_step=round(seconds[0], 3),
         bucketed_seconds_per_step=round(seconds[bucket_width], 3),
         bucketed_speedup=round(seconds[0] / seconds[bucket_width], 2))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=5, help="timed training steps")
    parser.add_argument("--jit", action="store_true", help="XLA-compile the train step")
    parser.add_argument("--data", default=default_data_path(), help="a sketch-rnn .npz for the bucketing benchmark")
    parser.add_argument("--bucket_steps", type=int, default=20, help="timed steps per mode (0: skip)")
    args = parser.parse_args()
    model = bench_training(SketchRNNConfig(), args.steps, args.jit) if args.steps else build_model(SketchRNNConfig())
    bench_sampling(model)
    if args.data and args.bucket_steps:
        bench_bucketing(args.data, args.bucket_steps)


if __name__ == "__main__":
    main()
