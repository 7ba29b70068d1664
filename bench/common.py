"""Helpers shared by the benchmarks: JSON output and an fp32 matmul reference measured in-run."""
import json
import platform
import time

import tensorflow as tf


def emit(**record):
    """Print one measurement as a JSON object on its own line."""
    record.setdefault("machine", platform.machine())
    record.setdefault("tensorflow", tf.__version__)
    print(json.dumps(record), flush=True)


def best_time(fn, repeats=3, warmup=1):
    """Fastest wall-clock seconds of `repeats` calls of fn() after `warmup` calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def matmul_gflops(m=2048, k=2048, n=2048, repeats=10):
    """Achieved fp32 GFLOP/s of a large square matmul: the machine's practical peak right now."""
    a = tf.random.normal([m, k])
    b = tf.random.normal([k, n])
    f = tf.function(lambda: tf.matmul(a, b))

    def run():
        for _ in range(repeats):
            f().numpy()
    return 2.0 * m * k * n * repeats / best_time(run) / 1e9
