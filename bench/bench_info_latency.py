"""The page's responsiveness while models work: p50/p95/max latency of GET /api/info while clients
loop on sketch complete and reconstruct (the model calls that once ran on the event loop), against
serve.py started from a checkout (this one by default; --checkout an older one for a before/after
in one run). One JSON object per line.

Usage: python bench/bench_info_latency.py [--seconds 20] [--clients 2] [--checkout DIR]
"""
import argparse
import concurrent.futures
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DRAWING = [[[10, 60], [60, 20], [120, 30], [160, 80], [130, 130], [60, 120], [20, 90]], [[40, 140], [40, 180]]]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(base, path, body):
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=300) as response:
        return response.status


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--checkout", default=ROOT, help="the project checkout whose serve.py is measured")
    args = parser.parse_args()
    port = free_port()
    sketch = os.path.join(args.checkout, "pretrained", "sketch_rnn_aaron_sheep")
    server = subprocess.Popen([sys.executable, "serve.py", f"--port={port}", f"--sketch_run={sketch}"],
                              cwd=args.checkout, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 300
        while True:
            try:
                urllib.request.urlopen(base + "/api/info", timeout=5).read()
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    raise RuntimeError("serve.py did not start") from None
                time.sleep(0.5)
        for path in ("/api/sketch/complete", "/api/sketch/reconstruct"):  # warm-up: traces the signatures
            post(base, path, {"strokes": DRAWING, "num_samples": 4})
        stop, calls = threading.Event(), []

        def client(_):
            while not stop.is_set():
                for path in ("/api/sketch/complete", "/api/sketch/reconstruct"):
                    calls.append(post(base, path, {"strokes": DRAWING, "num_samples": 4}))

        latencies = []
        with concurrent.futures.ThreadPoolExecutor(args.clients) as pool:
            futures = [pool.submit(client, i) for i in range(args.clients)]
            end = time.time() + args.seconds
            while time.time() < end:
                start = time.perf_counter()
                urllib.request.urlopen(base + "/api/info", timeout=300).read()
                latencies.append(time.perf_counter() - start)
                time.sleep(0.05)
            stop.set()
            for f in futures:
                f.result()
        print(json.dumps({"benchmark": "info_latency_under_load", "checkout": os.path.abspath(args.checkout),
                          "clients": args.clients, "model_calls": len(calls), "probes": len(latencies),
                          "p50_ms": 1000 * float(np.percentile(latencies, 50)),
                          "p95_ms": 1000 * float(np.percentile(latencies, 95)),
                          "max_ms": 1000 * float(np.max(latencies))}), flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
