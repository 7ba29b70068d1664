"""make demo's handwriting part (demo.py calls it through the registry): one sentence in three of
the shipped model's IAM styles."""
import glob
import os
from collections.abc import Iterator

from data_utils import svg
from data_utils.handwriting_style import Style
from handwriting.config import HandwritingConfig
from handwriting.model import build_model
from handwriting.sample import Sampler
from run_utils.rundir import shipped_model
from run_utils.training import load_trained

SENTENCE = "The quick brown fox jumps over the lazy dog"


def demo(out: str, seed: int) -> Iterator[tuple[str, str]]:
    run = shipped_model("handwriting")
    config, model = load_trained(run, HandwritingConfig, build_model)
    sampler = Sampler(model, config)
    styles = sorted(glob.glob(os.path.join(run, "styles", "*.json")))[:3]
    page = []
    for path in styles:
        page += ([None] if page else []) + [r["strokes"] for r in
                                            sampler.synthesize([SENTENCE], 1.0, (seed, 0), Style.load(path))]
    command = (f"python sample.py --model=handwriting --run_dir={os.path.relpath(run)} --text=\"{SENTENCE}\" "
               f"--bias=1.0 --seed={seed} --style={','.join(os.path.relpath(p) for p in styles)}")
    yield svg.save_handwriting(page, os.path.join(out, "handwriting.svg")), command
