"""make demo's char-RNN part (demo.py calls it through the registry): 500 characters after a
Shakespeare prompt."""
import os
from collections.abc import Iterator

from char_rnn.sample import Sampler, load_trained_with_vocabulary
from fileio.files import save_text
from run_utils.rundir import shipped_model

PROMPT = "ROMEO:"


def demo(out: str, seed: int) -> Iterator[tuple[str, str]]:
    run = shipped_model("char_rnn")
    _, vocabulary, model = load_trained_with_vocabulary(run)
    (sample,) = Sampler(model, vocabulary).sample(PROMPT, 500, temperature=0.8, seed=seed)
    path = os.path.join(out, "shakespeare.txt")
    save_text(sample, path)
    yield path, (f"python sample.py --model=char_rnn --run_dir={os.path.relpath(run)} --prime=\"{PROMPT}\" "
                 f"--steps=500 --temperature=0.8 --seed={seed}")
