"""make demo's Sketch-RNN part (demo.py calls it through the registry): random sheep,
reconstructions, an interpolation and endings from the shipped aaron_sheep model, and a row of
drawings of every other shipped Sketch-RNN (magenta's categories, the decoder-only sheep)."""
import glob
import os
from collections.abc import Iterator

from data_utils import sketch_data, svg
from run_utils.rundir import pretrained_dir, shipped_datasets, shipped_model
from run_utils.training import load_trained
from sketch_rnn.config import SketchRNNConfig
from sketch_rnn.model import build_model
from sketch_rnn.sample import Sampler


def demo(out: str, seed: int) -> Iterator[tuple[str, str]]:
    """Writes the SVGs into out; yields (file, the sample.py command that writes the same file)."""
    run = shipped_model("sketch_rnn")
    config, model = load_trained(run, SketchRNNConfig, build_model)
    sampler = Sampler(model, config)
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
    yield categories(out, seed, exclude=run)


def categories(out: str, seed: int, exclude: str, per_row: int = 6) -> tuple[str, str]:
    """One row per further shipped Sketch-RNN, from the prior at temperature 0.4."""
    drawings, captions = [], []
    names = [d for d in shipped_datasets("sketch_rnn") if pretrained_dir("sketch_rnn", d) != exclude]
    for name in names:
        config, model = load_trained(pretrained_dir("sketch_rnn", name), SketchRNNConfig, build_model)
        row, _, _ = Sampler(model, config).samples(per_row, 0.4, seed=(seed, 0))
        drawings += row
        captions += [name] + [""] * (per_row - 1)
    command = (f"one row each of python sample.py --model=sketch_rnn --category=C --seed={seed} --temperature=0.4 "
               f"--num_samples={per_row}, C = {', '.join(names)}")
    return svg.save_grid(drawings, os.path.join(out, "categories.svg"), cols=per_row, captions=captions), command
