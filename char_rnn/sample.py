"""Sample text from a trained char-RNN:
python sample.py --model=char_rnn --prime "ROMEO:" --temperature 0.8 --steps 1000 [--top_k 10]
[--greedy] [--num_samples 3] [--seed 1] [--output out.txt] [--export_dir dir].

Without --run_dir the newest char_rnn run is used. --export_dir writes a SavedModel and exits.
Every sample starts with the prime; samples go to --output (a UTF-8 text file) or stdout.
"""
import os

import numpy as np
import tensorflow as tf

from char_rnn.config import CharRNNConfig
from char_rnn.export import export_saved_model
from char_rnn.model import CharRNN, build_model
from data_utils.text import Vocabulary
from fileio.files import save_text
from run_utils import checks
from run_utils.cli import SampleRun
from run_utils.rundir import VOCAB_FILE, run_for_sampling
from run_utils.training import load_trained

DEFAULT_TEMPERATURE = 1.0
DEFAULT_NUM_SAMPLES = 1
DEFAULT_STEPS = 1000


def load_trained_with_vocabulary(run_dir: str) -> tuple[CharRNNConfig, Vocabulary, CharRNN]:
    """(config, vocabulary, model with the best weights) of a finished, running or shipped run."""
    config, model = load_trained(run_dir, CharRNNConfig, build_model)
    return config, Vocabulary.load(os.path.join(run_dir, VOCAB_FILE)), model


class Sampler:
    """Batched sampling of one trained model in a single compiled tf.function (one trace per
    prime steps at most; all other arguments are tensors)."""

    def __init__(self, model: CharRNN, vocabulary: Vocabulary):
        self.model = model
        self.vocabulary = vocabulary
        self._generate = tf.function(model.generate, reduce_retracing=True)

    def sample(self, prime: str, steps: int, num_samples: int = 1, temperature: float = 1.0, top_k: int = 0,
               greedy: bool = False, seed: int = 0) -> list[str]:
        """num_samples strings, each the prime followed by `steps` generated characters.
        Raises UnknownCharacterError if the prime has characters outside the vocabulary."""
        if not prime:
            raise ValueError("The prime is empty; give at least one character (--prime).")
        checks.count_flag(steps, "steps", None, checks.MAX_TEXT_STEPS, minimum=0)
        checks.count_flag(num_samples, "num_samples", None, checks.MAX_BATCH)
        if top_k < 0:
            raise ValueError(f"--top_k must be >= 0 (0: all characters); got {top_k}.")
        if not greedy and not (temperature > 0 and temperature <= checks.MAX_TEMPERATURE):
            raise ValueError(f"--temperature must be a number in (0, {checks.MAX_TEMPERATURE:g}]; got {temperature}. "
                             "Use --greedy for the most likely continuation.")
        ids = np.tile(self.vocabulary.encode(prime)[None], (num_samples, 1))
        out = self._generate(tf.constant(ids), tf.constant(steps, tf.int32),
                             temperature=tf.constant(temperature if temperature > 0 else 1.0, tf.float32),
                             top_k=tf.constant(top_k, tf.int32), greedy=tf.constant(greedy),
                             seed=tf.constant([seed, 0], tf.int32))
        return [prime + self.vocabulary.decode(row) for row in out.numpy()]


def main(run: SampleRun) -> None:
    run_dir = run_for_sampling("char_rnn", run.run_dir)
    config, vocabulary, model = load_trained_with_vocabulary(run_dir)
    if run.export_dir:
        print(f"SavedModel written to {export_saved_model(model, vocabulary, run.export_dir)}")
        return
    prime = run.options.prime
    if prime is None:
        prime = "\n" if "\n" in vocabulary.index else vocabulary.chars[0]
    temperature = DEFAULT_TEMPERATURE if run.temperature is None else run.temperature
    greedy = run.options.greedy
    seed = run.seed if run.seed is not None else int(np.random.randint(1 << 30))
    num = checks.count_flag(run.num_samples, "num_samples", DEFAULT_NUM_SAMPLES, checks.MAX_BATCH)
    steps = DEFAULT_STEPS if run.options.steps is None else run.options.steps
    texts = Sampler(model, vocabulary).sample(prime, steps, num,
                                              temperature, run.options.top_k, greedy, seed)
    body = texts[0] if len(texts) == 1 else "".join(
        f"===== sample {i + 1} =====\n{t}\n" for i, t in enumerate(texts))
    if run.output:
        save_text(body, run.output)
        print(f"Wrote {len(texts)} sample(s) of {steps} characters to {run.output}")
    else:
        print(body)
