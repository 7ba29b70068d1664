"""make demo: what the shipped models do, offline, in about a minute, into samples/.

    python demo.py [--output_dir samples] [--seed 1]

Writes, with the trained models in pretrained/, each model's demo (its package's demo.py, found
through the registry): 16 random sheep, reconstructions of test sheep, an interpolation between two
sheep, endings of a half-drawn sheep, a row of drawings of every other shipped Sketch-RNN (magenta's
categories, converted, and the decoder-only sheep trained here), a sentence handwritten in three IAM
styles, and a char-RNN continuation of a Shakespeare prompt. Each file is what the sample.py command
printed beside it writes (one process here, so each model loads once).
"""
from run_utils.quiet import silence_tensorflow

silence_tensorflow()  # before anything imports TensorFlow

import time  # noqa: E402

from absl import app, flags  # noqa: E402

from run_utils import registry  # noqa: E402
from run_utils.cli import run_main  # noqa: E402

flags.DEFINE_string("output_dir", "samples", "Where the demo's files go.")
flags.DEFINE_integer("seed", 1, "Random seed of every sample.")


def demo(f):
    start = time.time()
    for spec in registry.specs():
        for path, command in spec.load("demo")(f.output_dir, f.seed):
            print(f"{path:32s} {command}", flush=True)
    print(f"Done in {time.time() - start:.0f} s. Open the SVG files in a browser; python serve.py (or make serve) "
          "plays with the same models in a web page.")


def main(argv):
    run_main(argv, demo)


if __name__ == "__main__":
    app.run(main)
