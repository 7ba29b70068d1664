"""Serving under load: N concurrent clients against serve.py's app on 127.0.0.1, with request
batching on and off, measured in one run (one JSON object per line).

Every client sends `--requests` requests back to back (each asks for --samples drawings, or
--steps characters of text); reported per mode: p50 and p95 latency, requests/s and samples/s,
and the ratio of batching on to off. Uses the models shipped in pretrained/ (else tiny untrained
ones). Bounded: clients x requests calls per mode, each with a timeout.

Usage: python bench/bench_serve.py [--clients 16] [--requests 4] [--route sketch|text|handwriting]
"""
import argparse
import concurrent.futures
import os
import pathlib
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from run_utils.quiet import silence_tensorflow  # noqa: E402

silence_tensorflow()
import numpy as np  # noqa: E402

from bench.common import emit  # noqa: E402
from run_utils.rundir import pretrained_dir  # noqa: E402
from tests.web_fixtures import call, export_tiny_models, running_server  # noqa: E402

ROUTES = {
    "sketch": ("/api/sketch/sample", lambda args, i: {"num_samples": args.samples, "temperature": 0.4, "seed": i}),
    "text": ("/api/text/generate", lambda args, i: {"prompt": "to be or not"[: 1 + i % 12], "steps": args.steps,
                                                    "temperature": 0.8, "seed": i}),
    "handwriting": ("/api/handwriting/write", lambda args, i: {"text": "this is the sea", "bias": 1.0, "seed": i}),
}


def models():
    shipped = {"sketch": pretrained_dir("sketch_rnn"), "handwriting": pretrained_dir("handwriting"),
               "text": pretrained_dir("char_rnn")}
    if all(shipped.values()):
        return {k: pathlib.Path(v) for k, v in shipped.items()}, "shipped"
    return export_tiny_models(pathlib.Path(tempfile.mkdtemp())), "tiny untrained"


def load(base, args):
    path, body = ROUTES[args.route]

    def client(c):
        latencies = []
        for r in range(args.requests):
            start = time.perf_counter()
            status, out = call(base, path, body(args, c * args.requests + r))
            if status != 200:
                raise RuntimeError(f"{path} answered {status}: {out}")
            latencies.append(time.perf_counter() - start)
        return latencies

    call(base, path, body(args, 0))  # warm-up: traces the compiled functions
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(args.clients) as pool:
        latencies = [t for ts in pool.map(client, range(args.clients)) for t in ts]
    return np.array(latencies), time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=4, help="requests per client")
    parser.add_argument("--route", choices=sorted(ROUTES), default="sketch")
    parser.add_argument("--samples", type=int, default=1, help="drawings per sketch request")
    parser.add_argument("--steps", type=int, default=200, help="characters per text request")
    args = parser.parse_args()
    runs, which = models()
    results = {}
    for mode, window in (("batching_on", 0.005), ("batching_off", None)):
        with running_server(runs, window=window) as (base, service):
            latencies, seconds = load(base, args)
            batcher = {"sketch": next(iter(service.decoders.values()), None), "text": service.generator,
                       "handwriting": service.writer}[args.route]
            total = len(latencies)
            samples = total * (args.samples if args.route == "sketch" else 1)
            results[mode] = dict(p50_s=float(np.percentile(latencies, 50)), p95_s=float(np.percentile(latencies, 95)),
                                 requests_per_s=total / seconds, samples_per_s=samples / seconds,
                                 model_calls=batcher.calls)
            emit(benchmark="serve", route=args.route, mode=mode, models=which, clients=args.clients,
                 requests=total, **results[mode])
    on, off = results["batching_on"], results["batching_off"]
    emit(benchmark="serve", route=args.route, models=which, clients=args.clients,
         samples_per_s_ratio_on_over_off=on["samples_per_s"] / off["samples_per_s"],
         p50_ratio_off_over_on=off["p50_s"] / on["p50_s"], p95_ratio_off_over_on=off["p95_s"] / on["p95_s"])


if __name__ == "__main__":
    main()
