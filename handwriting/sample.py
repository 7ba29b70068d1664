"""Write with a trained handwriting network.

    python sample.py --model=handwriting --text "Hello world" --bias 0.75 --style my_style.json
    python sample.py --model=handwriting --run_dir runs/handwriting/prediction --num_samples 4

A synthesis run writes --text (wrapped into lines of --line_chars; every line of every one of
--num_samples copies is one row of a single batched, compiled sampling call), optionally primed
with a --style file (Graves 5.5). A prediction run draws --num_samples free samples of --steps
points. The SVG goes to --output; --plots adds OUTPUT_density.svg (Fig. 10) and, for synthesis,
OUTPUT_window.svg (Fig. 13) of the first line. --export_dir writes a SavedModel instead.
"""
import math
import re
import textwrap
from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from data_utils import iam_batches, svg
from data_utils.handwriting_style import Style
from data_utils.text import UnknownCharacterError, Vocabulary
from handwriting.config import HandwritingConfig
from handwriting.export import export_saved_model
from handwriting.model import MAX_POINTS_PER_CHAR, HandwritingNetwork, build_model
from run_utils import checks
from run_utils.cli import SampleRun
from run_utils.rundir import run_for_sampling
from run_utils.training import load_trained

DEFAULT_BIAS = {"synthesis": 0.75, "prediction": 0.0}
DEFAULT_STEPS = 700


def wrap_text(text: str, line_chars: int) -> list[str]:
    """Text -> lines of at most line_chars characters (newlines start new lines; words longer
    than a line are split)."""
    if line_chars < 1:
        raise ValueError(f"--line_chars must be positive; got {line_chars}.")
    lines = [line for paragraph in text.replace("\\n", "\n").split("\n")
             for line in textwrap.wrap(paragraph, line_chars)]
    if not lines:
        raise ValueError("--text is empty: give the text to write.")
    return lines


class Sampler:
    """Batched, compiled sampling of one trained model; strokes in and out are raw IAM offsets."""

    def __init__(self, model: HandwritingNetwork, config: HandwritingConfig):
        self.model = model
        self.config = config
        self.stats = iam_batches.OffsetStats.from_dict(config.offset_stats)
        self.vocabulary = Vocabulary(config.chars) if config.task == "synthesis" else None
        self._generate = tf.function(model.generate, reduce_retracing=True)

    def _unpack(self, out, record):
        """Batched generate() output -> list of dicts per row: "strokes" [n, 3] raw offsets and,
        with record, the per-step plot data cut to the same n steps (mixture in raw units)."""
        lengths = out["lengths"].numpy()
        strokes = iam_batches.denormalize(out["strokes"].numpy(), self.stats)
        rows = []
        for b, n in enumerate(lengths):
            row = {"strokes": strokes[b, :n]}
            if record:
                row.update(logits=out["logits"].numpy()[b, :n], rho=out["rho"].numpy()[b, :n],
                           mu=out["mu"].numpy()[b, :n] * self.stats.std + self.stats.mean,
                           sigma=out["sigma"].numpy()[b, :n] * self.stats.std,
                           eos_prob=out["eos_prob"].numpy()[b, :n])
                if "phi" in out:
                    row["phi"] = out["phi"].numpy()[b, :n]
            rows.append(row)
        return rows

    def synthesize(self, lines: Sequence[str], bias: float, seed: Sequence[int] = (0, 0), style: Style | None = None,
                   max_steps: int | None = None, temperature: float = 1.0,
                   record: bool = False) -> list[dict[str, np.ndarray | str]]:
        """Write each of `lines` (a list of str) -> list of dicts (see _unpack), one per line, with
        "window": int [n], at each step the character of the line the window weighs most (index
        into the line; -1 the space after a style's text, lower values the style's text itself,
        len(line) past its end) and "text", the character sequence the window ran over (the
        style's text, a space and the line when primed)."""
        if self.vocabulary is None:
            raise ValueError("This run is a prediction network: it cannot write a given text. Train with "
                             "--task=synthesis, or sample without --text.")
        for line in lines:
            self.vocabulary.encode(line)  # UnknownCharacterError names the characters
        texts = list(lines)
        prime = prime_chars = None
        if style is not None:
            try:
                self.vocabulary.encode(style.text)
            except UnknownCharacterError as e:
                e.args = (f"In the style's text {style.text!r}: {e}",)
                raise
            texts = [f"{style.text} {line}" for line in lines]
            rows = iam_batches.normalize(style.strokes, self.stats)
            prime = tf.constant(np.repeat(rows[None], len(lines), axis=0))
            prime_chars = tf.fill([len(lines)], len(style.text))  # chars[len(style.text)] is the space
        width = max(len(t) for t in texts)
        chars = np.zeros((len(texts), width), np.int32)
        mask = np.zeros((len(texts), width), np.float32)
        for i, t in enumerate(texts):
            chars[i, :len(t)] = self.vocabulary.encode(t)
            mask[i, :len(t)] = 1.0
        steps = max_steps or MAX_POINTS_PER_CHAR * max(len(line) for line in lines)
        out = self._generate(len(lines), tf.constant(steps), bias=tf.constant(float(bias)),
                             temperature=tf.constant(float(temperature)), seed=tf.constant(seed, tf.int32),
                             chars=tf.constant(chars), char_mask=tf.constant(mask), prime=prime,
                             prime_chars=prime_chars, record=record)
        rows = self._unpack(out, record)
        skip = len(style.text) + 1 if style is not None else 0
        for row, text, w in zip(rows, texts, out["window"].numpy()):
            row["text"] = text
            row["window"] = w[:len(row["strokes"])] - skip  # index into the line (-1: the space after the style)
            if "phi" in row:  # the batch's phi spans its longest text; this row's window ends at len(text) + 1
                row["phi"] = row["phi"][:, :len(text) + 1]
        return rows

    def sample(self, num: int, steps: int, bias: float, seed: Sequence[int] = (0, 0), temperature: float = 1.0,
               record: bool = False) -> list[dict[str, np.ndarray]]:
        """num free samples of `steps` points (prediction network) -> list of dicts (see _unpack)."""
        if self.vocabulary is not None:
            raise ValueError("This run is a synthesis network: give --text to write.")
        out = self._generate(num, tf.constant(steps), bias=tf.constant(float(bias)),
                             temperature=tf.constant(float(temperature)), seed=tf.constant(seed, tf.int32),
                             record=record)
        return self._unpack(out, record)


COLOUR = re.compile(r"#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?|[a-zA-Z]{3,20}")


def pen_colour(value: str) -> str:
    """--stroke_color: a colour name or #rgb / #rrggbb (it goes into the SVG as an attribute)."""
    if not COLOUR.fullmatch(value or ""):
        raise ValueError(f"--stroke_color must be a colour name (e.g. navy) or #rgb / #rrggbb; got {value!r}.")
    return value


def pen_width(value: float) -> float:
    if not (math.isfinite(value) and 0.0 < value <= 100.0):
        raise ValueError(f"--stroke_width must be a number of pixels in (0, 100]; got {value}.")
    return value


def plot_paths(output: str) -> tuple[str, str]:
    stem = output[:-4] if output.lower().endswith(".svg") else output
    return f"{stem}_density.svg", f"{stem}_window.svg"


def main(run: SampleRun) -> None:
    run_dir = run_for_sampling("handwriting", run.run_dir)
    config, model = load_trained(run_dir, HandwritingConfig, build_model)
    if run.export_dir:
        print(f"SavedModel written to {export_saved_model(model, run.export_dir)}")
        return
    synthesis = config.task == "synthesis"
    if synthesis and not run.options.text:
        raise ValueError(f"{run_dir} holds a synthesis network: pass --text \"what to write\".")
    if not synthesis and (run.options.text or run.options.style):
        raise ValueError(f"{run_dir} holds a prediction network, which cannot write a given text or use a "
                         "style; pass --run_dir of a synthesis run (train.py --task=synthesis).")
    bias = checks.bias_flag(run.options.bias, DEFAULT_BIAS[config.task])
    temperature = checks.temperature_flag(run.temperature, 1.0)
    seed = (run.seed if run.seed is not None else np.random.randint(1 << 30), 0)
    num = checks.count_flag(run.num_samples, "num_samples", 1 if synthesis else 4, checks.MAX_BATCH)
    steps = checks.count_flag(run.options.steps, "steps", None if synthesis else DEFAULT_STEPS, checks.MAX_STROKE_STEPS)
    sampler = Sampler(model, config)
    output = run.output or f"handwriting_{config.task}.svg"
    style = dict(stroke_width=pen_width(run.options.stroke_width), stroke_color=pen_colour(run.options.stroke_color))
    if synthesis:
        lines = wrap_text(run.options.text, run.options.line_chars)
        primers = [Style.load(path) for path in run.options.style.split(",")] if run.options.style else [None]
        if len(lines) * num > checks.MAX_BATCH:
            raise ValueError(f"{len(lines)} lines x --num_samples={num} is more than {checks.MAX_BATCH} lines in one "
                             "call; write less text or fewer copies.")
        cap = steps or MAX_POINTS_PER_CHAR * max(map(len, lines))
        rows, page = [], []
        for primer in primers:  # one call per style (a style primes the whole batch)
            written = sampler.synthesize(lines * num, bias, seed, primer, cap, temperature, record=run.options.plots)
            for k in range(num):  # copies one below the other, a blank line between them
                page += ([None] if page else []) + [r["strokes"] for r in written[k * len(lines):(k + 1) * len(lines)]]
            rows += written
        capped = sum(len(r["strokes"]) >= cap for r in rows)
        if capped:
            print(f"Note: {capped} of {len(rows)} lines hit the step cap before the window passed the last character.")
    else:
        rows = sampler.sample(num, steps, bias, seed, temperature, record=run.options.plots)
        page = [r["strokes"] for r in rows]
    svg.save_handwriting(page, output, **style)
    written = [output]
    if run.options.plots:
        density, window = plot_paths(output)
        first = rows[0]
        svg.save_density_plot(first["strokes"], first["logits"], first["mu"], first["sigma"], first["rho"],
                              first["eos_prob"], density, **style)
        written.append(density)
        if synthesis:
            svg.save_window_plot(first["strokes"], first["phi"], first["text"], window, **style)
            written.append(window)
    print(f"Wrote {', '.join(written)}")
