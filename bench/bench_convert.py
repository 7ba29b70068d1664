"""Conversion benchmarks (one JSON object per line): how long convert.py's work takes.

1. magenta-js import of every *.gen.json in --js_dir: reading and dequantizing the file, and the
   whole conversion into a run directory (model build, weights, SavedModel export).
2. TF1 import of every log_root in --tf1_dir (with --data_dir for the scale factor).
3. magenta-js export of one converted run (back to .gen.json).

Usage: python bench/bench_convert.py [--shared_data ../shared/data]
The files are those of ../shared/data (magenta_js/, magenta_tf1/, sketch/); it measures nothing
without them.
"""
import argparse
import glob
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from run_utils.quiet import silence_tensorflow  # noqa: E402

silence_tensorflow()
from bench.common import emit  # noqa: E402
from sketch_rnn import convert, magenta_js  # noqa: E402


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared_data", default=os.environ.get("RNNGEN_SHARED_DATA", "../shared/data"))
    args = parser.parse_args()
    out = tempfile.mkdtemp(prefix="bench-convert-")
    js_files = sorted(glob.glob(os.path.join(args.shared_data, "magenta_js", "*.gen.json")))
    if not js_files:
        sys.exit(f"No magenta_js/*.gen.json under {args.shared_data}; pass --shared_data.")
    for path in js_files:
        name = os.path.basename(path).split(".")[0]
        _, read_s = timed(magenta_js.read_file, path)
        run, total_s = timed(convert.import_magenta_js, path, os.path.join(out, name), progress=False)
        emit(benchmark="convert", what="magenta_js import", model=name, read_s=read_s, to_run_dir_s=total_s)
    _, export_s = timed(convert.export_magenta_js, run, os.path.join(out, "again.gen.json"))
    emit(benchmark="convert", what="magenta_js export", model=os.path.basename(run), seconds=export_s)
    for root in sorted(glob.glob(os.path.join(args.shared_data, "magenta_tf1", "*", "model_config.json"))):
        root = os.path.dirname(root)
        name = os.path.basename(root)
        _, seconds = timed(convert.import_magenta_tf1, root, os.path.join(out, "tf1_" + name),
                           data_dir=os.path.join(args.shared_data, "sketch"))
        emit(benchmark="convert", what="magenta_tf1 import", model=name, to_run_dir_s=seconds)


if __name__ == "__main__":
    main()
