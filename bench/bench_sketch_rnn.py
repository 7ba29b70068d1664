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
4. Only when the original magenta code can be run (--original_python and --original_dir, or
   $RNNGEN_ORIGINAL_PYTHON and $RNNGEN_ORIGINAL_DIR): its own timing harness
   (ORIGINAL_DIR/orig_sketch_bench.py, the code in ORIGINAL_DIR/magenta_src) in a subprocess of this
   run, then ours with the same protocol (real --data batches padded to N_max 250, default hparams,
   median of the steps after two warm-up steps; one 250-step drawing, and 100 in one call, median
   after one warm-up), and the ratios. A speed ratio against the original is only printed from
   figures of the same run on the same machine; without the original there are absolute figures
   and no ratio.

Usage: python bench/bench_sketch_rnn.py [--steps 5] [--jit] [--data PATH] [--bucket_steps 20]
           [--original_python /tmp/orig/bin/python --original_dir ../shared/peers] [--original_steps 3]
"""
import argparse
import json
import os
import subprocess
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
         recurrent_shape_fraction_of_peak=round(step_shape / peak, 3))
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
         latency_ratio_vs_eager=round(t_eager_single / t_single, 1))


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


def original_paths(python, folder):
    """(python, the harness script, the original's source folder); exits naming a missing one."""
    script, source = os.path.join(folder, "orig_sketch_bench.py"), os.path.join(folder, "magenta_src")
    for path in (python, script, source):
        if not os.path.exists(path):
            sys.exit(f"The original cannot be run: {path} does not exist (--original_python, --original_dir).")
    return python, script, source


def run_original(python, folder, data, steps, samples):
    """The original code's own timing harness, in its own Python (TF1 graph through tf.compat.v1):
    {"train_s_per_step_median", "train_s_per_step_min", "sample1_s_median", "sample1_s_min"}."""
    python, script, source = original_paths(python, folder)
    env = dict(os.environ, PYTHONPATH=os.path.abspath(source), TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([python, script, os.path.abspath(data), str(steps), str(samples)], env=env,
                          capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        sys.exit(f"The original's harness failed (exit status {proc.returncode}):\n{proc.stderr[-2000:]}")
    figures = {}
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            figures.update(json.loads(line))
    return figures


def ours_like_the_original(path, steps, samples):
    """Our figures measured the way orig_sketch_bench.py measures the original's: training steps
    on augmented batches of `path` padded to N_max 250 with the default hparams (median of `steps`
    after two warm-up steps), and one drawing of 250 steps at temperature 0.4 (median of `samples`
    after one warm-up; all 250 steps, as the original's sample() always runs); also 100 drawings in
    one call, the same way."""
    data = sketch_data.load_sketch_data([path], 250)
    config = SketchRNNConfig(max_seq_len=250, scale_factor=data.scale_factor)
    ds = sketch_data.make_dataset(strokes.normalize(data.train, data.scale_factor), config.max_seq_len,
                                  config.batch_size, config.random_scale_factor, config.augment_stroke_prob, seed=1)
    model = build_model(config)
    model.make_train_function()
    iterator = iter(ds)
    times = []
    for _ in range(steps + 2):
        start = time.perf_counter()
        model.train_function(iterator)["loss"].numpy()
        times.append(time.perf_counter() - start)
    never_ending(model)
    generate = tf.function(model.generate, jit_compile=True, reduce_retracing=True)
    latencies = {1: [], 100: []}
    for batch in latencies:
        for i in range(samples + 1):
            z = tf.random.normal([batch, config.z_size])
            start = time.perf_counter()
            generate(z, batch, 250, temperature=0.4, seed=tf.constant([1, i]))[0].numpy()
            latencies[batch].append(time.perf_counter() - start)
    return {"train_s_per_step_median": float(np.median(times[2:])), "train_s_per_step_min": float(np.min(times[2:])),
            "sample1_s_median": float(np.median(latencies[1][1:])), "sample1_s_min": float(np.min(latencies[1][1:])),
            "sample100_s_median": float(np.median(latencies[100][1:]))}


def bench_vs_original(python, folder, path, steps, samples):
    """The original and ours, one after the other in this run, and the ratios (see the docstring)."""
    original = run_original(python, folder, path, steps, samples)
    ours = ours_like_the_original(path, steps, samples)
    record = dict(benchmark="sketch_rnn_vs_original", data=os.path.basename(path), steps=steps, samples=samples,
                  original_python=python, batch_size=100, max_seq_len=250)
    for name in ("train_s_per_step_median", "train_s_per_step_min", "sample1_s_median", "sample1_s_min"):
        record[f"original_{name}"] = round(original[name], 4)
        record[f"ours_{name}"] = round(ours[name], 4)
    record.update(
        train_speed_ratio_vs_original=round(original["train_s_per_step_median"] / ours["train_s_per_step_median"], 2),
        sample1_latency_ratio_vs_original=round(original["sample1_s_median"] / ours["sample1_s_median"], 1),
        ours_sample100_s_median=round(ours["sample100_s_median"], 4),  # 100 drawings in one call
        batched_100_throughput_ratio_vs_original=round(100 * original["sample1_s_median"] / ours["sample100_s_median"],
                                                       1))
    emit(**record)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=5, help="timed training steps")
    parser.add_argument("--jit", action="store_true", help="XLA-compile the train step")
    parser.add_argument("--data", default=default_data_path(), help="a sketch-rnn .npz for the bucketing benchmark")
    parser.add_argument("--bucket_steps", type=int, default=20, help="timed steps per mode (0: skip)")
    parser.add_argument("--original_python", default=os.environ.get("RNNGEN_ORIGINAL_PYTHON"),
                        help="a Python with tensorflow, tf_keras, tf_slim, six, requests, to run the original "
                             "(default $RNNGEN_ORIGINAL_PYTHON); with --original_dir, times it in this run")
    parser.add_argument("--original_dir", default=os.environ.get("RNNGEN_ORIGINAL_DIR"),
                        help="the folder holding orig_sketch_bench.py and magenta_src/ (default $RNNGEN_ORIGINAL_DIR)")
    parser.add_argument("--original_steps", type=int, default=3, help="timed training steps of each, vs the original")
    parser.add_argument("--original_samples", type=int, default=3, help="timed drawings of each, vs the original")
    args = parser.parse_args()
    if bool(args.original_python) != bool(args.original_dir):
        parser.error("--original_python and --original_dir go together (or $RNNGEN_ORIGINAL_PYTHON and "
                     "$RNNGEN_ORIGINAL_DIR).")
    if args.original_dir:
        if not args.data:
            parser.error("the comparison with the original needs --data (aaron_sheep.npz).")
        original_paths(args.original_python, args.original_dir)  # before minutes of our own benchmarks
    model = bench_training(SketchRNNConfig(), args.steps, args.jit) if args.steps else build_model(SketchRNNConfig())
    bench_sampling(model)
    if args.data and args.bucket_steps:
        bench_bucketing(args.data, args.bucket_steps)
    if args.original_dir:
        bench_vs_original(args.original_python, args.original_dir, args.data, args.original_steps,
                          args.original_samples)
    else:
        print("(no ratio against the original: give --original_python and --original_dir to time it in this run)",
              file=sys.stderr)


if __name__ == "__main__":
    main()
