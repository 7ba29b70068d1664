"""Sample from a trained Sketch-RNN: python sample.py --model=sketch_rnn [--temperature 0.4] ...

Modes (one at a time): plain sampling from the prior (default), --reconstruct, --interpolate,
--complete. --export_dir writes a SavedModel and exits. Output: an SVG grid (--output).
"""
import os
from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from data_utils import sketch_data, svg
from data_utils import strokes as strokes_lib
from data_utils.latent import slerp
from run_utils import checks
from run_utils.cli import SampleRun
from run_utils.rundir import remembered_data_dir, run_for_dataset, run_for_sampling
from run_utils.training import load_trained
from sketch_rnn.config import SketchRNNConfig
from sketch_rnn.export import export_saved_model
from sketch_rnn.model import SketchRNN, build_model

DEFAULT_TEMPERATURE = 0.4
DEFAULT_NUM_SAMPLES = 16


class Sampler:
    """Batched, compiled sampling and encoding of one trained model (drawings in data units)."""

    def __init__(self, model: SketchRNN, config: SketchRNNConfig, temperature_rule: str = "code"):
        self.model = model
        self.config = config
        self.temperature_rule = temperature_rule
        self._generate = tf.function(model.generate, jit_compile=True, reduce_retracing=True)

    def encode(self, drawings: Sequence[np.ndarray], seed: Sequence[int] = (0, 0)) -> np.ndarray:
        """List of stroke-3 arrays -> z samples [n, z_size] (mu + sigma * eps, as the original)."""
        lengths = np.array([len(d) for d in drawings], np.int32)
        padded = np.zeros((len(drawings), lengths.max(), 3), np.float32)
        for i, d in enumerate(drawings):
            padded[i, :len(d)] = d
        strokes5 = sketch_data.stroke3_to_stroke5_tensor(tf.constant(padded), tf.constant(lengths),
                                                         self.config.scale_factor)
        mu, presig = self.model.encode(strokes5, tf.constant(lengths))
        return self.model.sample_z(mu, presig, seed=tf.constant(seed)).numpy()

    def decode(self, z: np.ndarray | None, num: int, temperature: float, greedy: bool = False,
               seed: Sequence[int] = (0, 0), prime: np.ndarray | None = None) -> list[np.ndarray]:
        """z [num, z_size] or None -> list of num stroke-3 drawings in data units.
        prime: optional stroke-3 drawing fed before sampling (the same one for every sample)."""
        prime5 = None
        if prime is not None:
            p = sketch_data.stroke3_to_stroke5_tensor(tf.constant(prime[None], tf.float32), tf.constant([len(prime)]),
                                          self.config.scale_factor)[:, 1:]
            prime5 = tf.tile(p, [num, 1, 1])
        z = None if z is None else tf.constant(z, tf.float32)
        strokes5, lengths = self._generate(z, num, self.config.max_seq_len, temperature=float(temperature),
                                           greedy=greedy, seed=tf.constant(seed), prime=prime5,
                                           temperature_rule=self.temperature_rule)
        out = []
        for s, n in zip(strokes5.numpy(), lengths.numpy()):
            drawing = strokes_lib.to_normal_strokes(s[:n + 1]) if n else np.zeros((0, 3), np.float32)
            drawing = drawing.astype(np.float32)
            drawing[:, :2] *= self.config.scale_factor
            out.append(drawing if prime is None else np.concatenate([prime, drawing]))
        return out

    # The four modes; each returns (drawings, captions, columns) for svg.save_grid.
    def samples(self, num: int, temperature: float, greedy: bool = False,
                seed: Sequence[int] = (0, 0)) -> tuple[list[np.ndarray], None, int]:
        """num drawings from the prior (z ~ N(0, I) for a conditional model)."""
        z = np.random.default_rng(seed[0]).standard_normal((num, self.config.z_size)).astype(np.float32) \
            if self.config.conditional else None
        return self.decode(z, num, temperature, greedy, seed), None, int(np.ceil(np.sqrt(num)))

    def reconstructions(self, originals: Sequence[np.ndarray], temperature: float, greedy: bool = False,
                        seed: Sequence[int] = (0, 0)) -> tuple[list[np.ndarray], list[str], int]:
        """Each drawing beside its reconstruction (encode, then decode)."""
        recon = self.decode(self.encode(originals, seed), len(originals), temperature, greedy, seed)
        pairs = [d for pair in zip(originals, recon) for d in pair]
        captions = [c for i in range(len(originals)) for c in (f"original {i}", "reconstruction")]
        return pairs, captions, 2

    def interpolation(self, start: np.ndarray, end: np.ndarray, steps: int, temperature: float, greedy: bool = False,
                      seed: Sequence[int] = (0, 0)) -> tuple[list[np.ndarray], list[str], int]:
        """A row: start, `steps` drawings decoded from z spherically interpolated between the two
        drawings' codes, end."""
        z0, z1 = self.encode([start, end], seed)
        z = np.stack([slerp(z0, z1, t) for t in np.linspace(0.0, 1.0, steps)]).astype(np.float32)
        row = self.decode(z, steps, temperature, greedy, seed)
        return [start, *row, end], ["start", *[""] * steps, "end"], steps + 2

    def completions(self, drawing: np.ndarray, fraction: float, num: int, temperature: float, greedy: bool = False,
                    seed: Sequence[int] = (0, 0)) -> tuple[list[np.ndarray], list[str], int]:
        """The first `fraction` of the drawing and num endings sampled after it."""
        prime = drawing[:max(1, int(round(len(drawing) * fraction)))]
        z = np.repeat(self.encode([prime], seed), num, axis=0) if self.config.conditional else None
        endings = self.decode(z, num, temperature, greedy, seed, prime=prime)
        return [prime, *endings], ["given start"] + [""] * num, int(np.ceil(np.sqrt(num + 1)))


def test_drawings(data_dir: str | None, config: SketchRNNConfig, run_dir: str) -> list[np.ndarray]:
    """The test split the modes draw from: data_dir (--data_dir), else the training data, else the
    example drawings a shipped model carries (run_dir/examples/, a few of its data set's drawings)."""
    data_dir = data_dir or remembered_data_dir(run_dir)
    examples = os.path.join(run_dir, "examples")
    if data_dir is None and os.path.isdir(examples):
        data_dir = examples
    paths = [sketch_data.resolve_dataset(name[:-4] if name.endswith(".npz") else name, data_dir or "data")
             for name in config.data_set]
    test = sketch_data.load_sketch_data(paths, config.max_seq_len).test
    if not test:
        raise ValueError(f"The test split of {paths} is empty; --reconstruct/--interpolate/--complete need it.")
    return test


def pick(test: Sequence[np.ndarray], indices: Sequence[int | str], default_count: int) -> list[np.ndarray]:
    chosen = [int(i) for i in indices] or list(range(min(default_count, len(test))))
    bad = [i for i in chosen if not 0 <= i < len(test)]
    if bad:
        raise ValueError(f"--indices {bad} out of range: the test set has {len(test)} drawings (0..{len(test) - 1}).")
    return [test[i] for i in chosen]


def main(run: SampleRun) -> None:
    options = run.options
    if options.category and run.run_dir:
        raise ValueError("Give --run_dir or --category, not both.")
    run_dir = run_for_dataset("sketch_rnn", options.category) if options.category \
        else run_for_sampling("sketch_rnn", run.run_dir)
    config, model = load_trained(run_dir, SketchRNNConfig, build_model)
    if run.export_dir:
        print(f"SavedModel written to {export_saved_model(model, run.export_dir)}")
        return
    modes = [m for m in ("reconstruct", "interpolate", "complete") if getattr(options, m)]
    if len(modes) > 1:
        raise ValueError(f"Choose one of --reconstruct, --interpolate, --complete (got {', '.join(modes)}).")
    needs_encoder = modes and modes[0] in ("reconstruct", "interpolate")
    if needs_encoder and not config.conditional:
        raise ValueError(f"--{modes[0]} needs a conditional model; {run_dir} was trained with conditional=False.")
    temperature = checks.temperature_flag(run.temperature, DEFAULT_TEMPERATURE)
    num = checks.count_flag(run.num_samples, "num_samples", DEFAULT_NUM_SAMPLES, checks.MAX_BATCH)
    seed = (run.seed if run.seed is not None else np.random.randint(1 << 30), 0)
    sampler = Sampler(model, config, options.temperature_rule)
    output = run.output or f"sketch_rnn_{modes[0] if modes else 'samples'}.svg"
    greedy = options.greedy

    if not modes:
        grid = sampler.samples(num, temperature, greedy, seed)
    elif modes[0] == "reconstruct":
        originals = pick(test_drawings(run.data_dir, config, run_dir), options.indices, min(num, 8))
        grid = sampler.reconstructions(originals, temperature, greedy, seed)
    elif modes[0] == "interpolate":
        ends = pick(test_drawings(run.data_dir, config, run_dir), options.indices[:2] or [0, 1], 2)
        if len(ends) != 2:
            raise ValueError("--interpolate needs exactly two --indices.")
        grid = sampler.interpolation(*ends, max(2, options.interpolation_steps), temperature, greedy, seed)
    else:
        drawing = pick(test_drawings(run.data_dir, config, run_dir), options.indices[:1], 1)[0]
        grid = sampler.completions(drawing, options.complete_fraction, num, temperature, greedy, seed)
    drawings, captions, cols = grid
    svg.save_grid(drawings, output, cols=cols, captions=captions, color_strokes=options.color_strokes)
    print(f"Wrote {output}")
