"""make demo: what the shipped models do, offline, in well under a minute, into samples/.

    python demo.py [--output_dir samples] [--seed 1]

Writes, with the trained models in pretrained/: 16 random sheep, reconstructions of test sheep, an
interpolation between two sheep, endings of a half-drawn sheep, a row of drawings of every other
shipped Sketch-RNN (magenta's categories, converted, and the decoder-only sheep trained here), a
sentence handwritten in three IAM styles, and a char-RNN continuation of a Shakespeare prompt. Each
file is what the sample.py command printed beside it writes (one process here, so each model loads once).
"""
from run_utils.quiet import silence_tensorflow

silence_tensorflow()  # before anything imports TensorFlow

import glob  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402

from absl import app, flags  # noqa: E402

from char_rnn.sample import Sampler as TextSampler  # noqa: E402
from char_rnn.sample import load_trained_with_vocabulary  # noqa: E402
from data_utils import sketch_data, svg  # noqa: E402
from data_utils.files import save_text  # noqa: E402
from data_utils.handwriting_style import Style  # noqa: E402
from handwriting.config import HandwritingConfig  # noqa: E402
from handwriting.model import build_model as build_handwriting  # noqa: E402
from handwriting.sample import Sampler as HandwritingSampler  # noqa: E402
from run_utils.cli import run_main  # noqa: E402
from run_utils.rundir import PRETRAINED, shipped_datasets  # noqa: E402
from run_utils.rundir import pretrained_dir as shipped  # noqa: E402
from run_utils.training import load_trained  # noqa: E402
from sketch_rnn.config import SketchRNNConfig  # noqa: E402
from sketch_rnn.model import build_model as build_sketch  # noqa: E402
from sketch_rnn.sample import Sampler as SketchSampler  # noqa: E402

flags.DEFINE_string("output_dir", "samples", "Where the demo's files go.")
flags.DEFINE_integer("seed", 1, "Random seed of every sample.")

SENTENCE = "The quick brown fox jumps over the lazy dog"
PROMPT = "ROMEO:"


def need(model):
    path = shipped(model)
    if path is None:
        raise FileNotFoundError(f"The shipped model pretrained/{PRETRAINED[model]} is missing; restore it with git.")
    return path


def sketches(out, seed):
    run = need("sketch_rnn")
    config, model = load_trained(run, SketchRNNConfig, build_sketch)
    sampler = SketchSampler(model, config)
    test = sketch_data.load_sketch_data(glob.glob(os.path.join(run, "examples", "*.npz")), config.max_seq_len).test
    sample = f"python sample.py --model=sketch_rnn --run_dir={os.path.relpath(run)} --seed={seed}"
    jobs = [
        ("sheep.svg", f"{sample} --temperature=0.4 --num_samples=16",
         lambda: sampler.samples(16, 0.4, seed=(seed, 0))),
        ("sheep_reconstruct.svg", f"{sample} --reconstruct --indices=0,1,2,3 --temperature=0.2",
         lambda: sampler.reconstructions(test[:4], 0.2, seed=(seed, 0))),
        ("sheep_interpolate.svg", f"{sample} --interpolate --indices=0,5 --interpolation_steps=6 --temperature=0.2",
         lambda: sampler.interpolation(test[0], test[5], 6, 0.2, seed=(seed, 0))),
        ("sheep_complete.svg", f"{sample} --complete --indices=7 --num_samples=8 --temperature=0.4",
         lambda: sampler.completions(test[7], 0.5, 8, 0.4, seed=(seed, 0))),
    ]
    for name, command, make in jobs:
        drawings, captions, cols = make()
        yield svg.save_grid(drawings, os.path.join(out, name), cols=cols, captions=captions), command


def categories(out, seed, per_row=6):
    """One row per further shipped Sketch-RNN (the categories), from the prior at temperature 0.4."""
    drawings, captions, names = [], [], [d for d in shipped_datasets("sketch_rnn") if shipped("sketch_rnn", d)
                                         and d != os.path.basename(need("sketch_rnn"))[len("sketch_rnn_"):]]
    for name in names:
        config, model = load_trained(shipped("sketch_rnn", name), SketchRNNConfig, build_sketch)
        row, _, _ = SketchSampler(model, config).samples(per_row, 0.4, seed=(seed, 0))
        drawings += row
        captions += [name] + [""] * (per_row - 1)
    command = (f"one row each of python sample.py --model=sketch_rnn --category=C --seed={seed} --temperature=0.4 "
               f"--num_samples={per_row}, C = {', '.join(names)}")
    yield svg.save_grid(drawings, os.path.join(out, "categories.svg"), cols=per_row, captions=captions), command


def handwriting(out, seed):
    run = need("handwriting")
    config, model = load_trained(run, HandwritingConfig, build_handwriting)
    sampler = HandwritingSampler(model, config)
    styles = sorted(glob.glob(os.path.join(run, "styles", "*.json")))[:3]
    page = []
    for path in styles:
        page += ([None] if page else []) + [r["strokes"] for r in
                                            sampler.synthesize([SENTENCE], 1.0, (seed, 0), Style.load(path))]
    command = (f"python sample.py --model=handwriting --run_dir={os.path.relpath(run)} --text=\"{SENTENCE}\" "
               f"--bias=1.0 --seed={seed} --style={','.join(os.path.relpath(p) for p in styles)}")
    yield svg.save_handwriting(page, os.path.join(out, "handwriting.svg")), command


def text(out, seed):
    run = need("char_rnn")
    _, vocabulary, model = load_trained_with_vocabulary(run)
    (sample,) = TextSampler(model, vocabulary).sample(PROMPT, 500, temperature=0.8, seed=seed)
    path = os.path.join(out, "shakespeare.txt")
    save_text(sample, path)
    yield path, (f"python sample.py --model=char_rnn --run_dir={os.path.relpath(run)} --prime=\"{PROMPT}\" "
                 f"--steps=500 --temperature=0.8 --seed={seed}")


def demo(f):
    start = time.time()
    for make in (sketches, categories, handwriting, text):
        for path, command in make(f.output_dir, f.seed):
            print(f"{path:32s} {command}", flush=True)
    print(f"Done in {time.time() - start:.0f} s. Open the SVG files in a browser; python serve.py plays with the "
          "same models in a web page.")


def main(argv):
    run_main(argv, demo)


if __name__ == "__main__":
    app.run(main)
