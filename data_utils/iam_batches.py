"""Batches of IAM-OnDB lines for Graves' networks: offset statistics and normalisation, the
synthesis alphabet, and the tf.data pipeline of padded (optionally length-bucketed) batches.
The corpus itself (parsing, cache, splits) is data_utils.iam."""
import dataclasses
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from data_utils.text import UnknownCharacterError, Vocabulary

if TYPE_CHECKING:
    import tensorflow as tf

    from data_utils.iam import Corpus


@dataclasses.dataclass
class OffsetStats:
    """Training-set statistics of the pen offsets, saved with a model (to_dict -> config.json).

    mean, std: float [2] of (dx, dy) in raw units; clip: bound of the normalised offsets (in
    standard deviations) beyond which they are clipped."""

    mean: np.ndarray
    std: np.ndarray
    clip: float

    def __post_init__(self):
        self.mean = np.asarray(self.mean, dtype=np.float32).reshape(2)
        self.std = np.asarray(self.std, dtype=np.float32).reshape(2)
        self.clip = float(self.clip)

    def to_dict(self) -> dict[str, list[float] | float]:
        return {"mean": [float(v) for v in self.mean], "std": [float(v) for v in self.std], "clip": self.clip}

    @classmethod
    def from_dict(cls, d: dict) -> "OffsetStats":
        return cls(mean=d["mean"], std=d["std"], clip=d["clip"])


def compute_offset_stats(strokes_list: Iterable[ArrayLike], clip_std: float = 20.0) -> OffsetStats:
    """Mean and std of (dx, dy) over every row but the first of each line (the first row is the
    (0, 0) anchor, not a real offset). clip_std: normalised offsets are later clipped to
    [-clip_std, clip_std]; 20 clips ~0.01% of IAM-OnDB's offsets (sensor glitches and the long
    jumps back to dot an i or cross a t), raw std is ~(42, 37) units."""
    rows = [np.asarray(s, dtype=np.float64)[1:, 0:2] for s in strokes_list]
    rows = np.concatenate(rows) if rows else np.zeros((0, 2))
    if len(rows) < 2:
        raise ValueError("Need at least two offsets to compute statistics; the lines are too short or absent.")
    std = rows.std(axis=0)
    if (std == 0).any():
        raise ValueError(f"The offsets have zero spread (std {std.tolist()}); they cannot be standardised.")
    return OffsetStats(mean=rows.mean(axis=0), std=std, clip=clip_std)


def normalize(strokes: ArrayLike, stats: OffsetStats) -> np.ndarray:
    """Raw offsets [..., 3] -> float32 [..., 3]: (dx, dy) standardised with `stats` and clipped
    to +-stats.clip; eos unchanged. Works on one line [n, 3] or a batch [B, T, 3] (numpy)."""
    out = np.array(strokes, dtype=np.float32, copy=True)
    out[..., 0:2] = np.clip((out[..., 0:2] - stats.mean) / stats.std, -stats.clip, stats.clip)
    return out


def denormalize(strokes: ArrayLike, stats: OffsetStats) -> np.ndarray:
    """Inverse of normalize (except for clipped values): float32 [..., 3] back in raw units."""
    out = np.array(strokes, dtype=np.float32, copy=True)
    out[..., 0:2] = out[..., 0:2] * stats.std + stats.mean
    return out


# ----------------------------------------------------------------------------------------------
# Alphabet and tf.data


def alphabet_from_texts(texts: Iterable[str]) -> Vocabulary:
    """The synthesis alphabet: a Vocabulary of the sorted distinct characters of `texts` ('' are
    skipped). Use every usable transcription of the corpus, `alphabet_from_texts(corpus.texts)`:
    IAM-OnDB's validation lines hold characters ('*', 'X', ']') that its training lines lack, and
    make_dataset refuses text with characters outside the vocabulary (no silent substitution);
    81 characters on the full corpus, IAM tokenisation kept as is ('Mr . Gaitskell')."""
    texts = [t for t in texts if t]
    if not texts:
        raise ValueError("No transcription to build an alphabet from: every text is empty.")
    return Vocabulary.from_text(texts)


def make_dataset(corpus: "Corpus", split: str, batch_size: int, stats: OffsetStats,
                 vocabulary: Vocabulary | None = None, max_points: int | None = None, shuffle: bool = True,
                 repeat: bool = True, bucket_boundaries: Sequence[int] | None = None, seed: int | None = None,
                 pad_multiple: tuple[int, int] | None = None, start_batch: int = 0) -> "tf.data.Dataset":
    """A tf.data pipeline of padded batches of whole lines of `split`.

    Each element is a dict:
      "strokes": float32 [B, T, 3] normalised offsets (dx, dy, eos), T = longest line of the batch;
          row 0 is the (0, 0) anchor normalised; a model predicts row t+1 from rows <= t.
      "stroke_mask": float32 [B, T], 1 on real rows, 0 on padding (padding rows are all 0).
    With a `vocabulary` (synthesis), only lines with a usable transcription (text_ok), plus:
      "chars": int32 [B, U] character ids of the transcription (padding 0, which is also a real
          id: use the mask); the model makes the one-hot vectors, tf.one_hot(chars, len(vocabulary)).
      "char_mask": float32 [B, U], 1 on real characters.
    max_points: prediction lines longer than this are cut to their first max_points rows;
        synthesis lines longer than this are dropped (a cut line no longer matches its text).
    repeat=True: an infinite, shuffled stream with drop_remainder (static batch size), for
        training; repeat=False: one pass over the split, last batch possibly smaller.
    bucket_boundaries: increasing lengths; lines are batched with lines of the same length
        bucket (tf.data bucket_by_sequence_length) to cut padding.
    pad_multiple: (points, characters) or None; every batch is padded to a multiple of these, so
        that an XLA-compiled step sees a few fixed shapes instead of one per batch.
    seed: the shuffled order is a function of it; start_batch: begin at batch k (an exact resume at
        step k; the batches before it are gathered and dropped, no model runs on them).
    Raises UnknownCharacterError if a transcription holds characters outside the vocabulary.
    """
    import tensorflow as tf  # here so that the numpy-only parts of this module import fast

    names = set(corpus.split.tolist())
    idx = np.flatnonzero(corpus.split == split)
    if len(idx) == 0:
        raise ValueError(f"The corpus has no line in split {split!r}; its splits are "
                         f"{sorted(n for n in names if n)}.")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}.")
    lengths = np.array([len(corpus.strokes[i]) for i in idx])
    chars = None
    if vocabulary is not None:
        keep = corpus.text_ok[idx]
        if max_points:
            too_long = keep & (lengths > max_points)
            if too_long.any():
                print(f"make_dataset({split!r}): dropped {int(too_long.sum())} of {int(keep.sum())} "
                      f"lines longer than max_points={max_points}.", file=sys.stderr)
            keep &= lengths <= max_points
        idx, lengths = idx[keep], lengths[keep]
        if len(idx) == 0:
            raise ValueError(f"No line of split {split!r} has a usable transcription"
                             f"{' within max_points' if max_points else ''}.")
        unknown = sorted({c for i in idx for c in vocabulary.unknown_characters(corpus.texts[i])})
        if unknown:
            err = UnknownCharacterError(unknown, vocabulary)
            lines = [corpus.line_ids[i] for i in idx if vocabulary.unknown_characters(corpus.texts[i])]
            err.add_note(f"In {len(lines)} lines of split {split!r}, e.g. {', '.join(lines[:3])}. Build the "
                         "vocabulary from all transcriptions: alphabet_from_texts(corpus.texts).")
            raise err
        chars = [vocabulary.encode(corpus.texts[i]) for i in idx]
    elif max_points:
        lengths = np.minimum(lengths, max_points)

    values = normalize(np.concatenate([corpus.strokes[i][:n] for i, n in zip(idx, lengths)]), stats)
    values = tf.constant(values)
    bounds = tf.constant(np.concatenate([[0], np.cumsum(lengths)]), dtype=tf.int64)
    if chars is not None:
        char_values = tf.constant(np.concatenate(chars).astype(np.int32))
        char_bounds = tf.constant(np.concatenate([[0], np.cumsum([len(c) for c in chars])]), dtype=tf.int64)

    def element(i):
        s = values[bounds[i]:bounds[i + 1]]
        out = {"strokes": s, "stroke_mask": tf.ones(tf.shape(s)[:1], tf.float32)}
        if chars is not None:
            c = char_values[char_bounds[i]:char_bounds[i + 1]]
            out["chars"] = c
            out["char_mask"] = tf.ones(tf.shape(c), tf.float32)
        return out

    ds = tf.data.Dataset.range(len(idx))
    if shuffle:
        ds = ds.shuffle(len(idx), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    ds = ds.map(element, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    if bucket_boundaries:
        bounds_list = [int(b) for b in bucket_boundaries]
        if any(b <= a for a, b in zip(bounds_list, bounds_list[1:])) or bounds_list[0] < 1:
            raise ValueError(f"bucket_boundaries must be positive and increasing, got {bounds_list}.")
        ds = ds.bucket_by_sequence_length(
            lambda e: tf.shape(e["strokes"])[0], bounds_list, [batch_size] * (len(bounds_list) + 1),
            drop_remainder=repeat)
    else:
        ds = ds.padded_batch(batch_size, drop_remainder=repeat)
    if start_batch:
        ds = ds.skip(start_batch)
    if pad_multiple:
        ds = ds.map(lambda batch: pad_to_multiple(batch, *pad_multiple))
    return ds.prefetch(tf.data.AUTOTUNE)


def bucket_bounds(longest: int, width: int) -> list[int]:
    """Bucket boundaries width, 2 width, ... up to the first multiple of width above `longest`."""
    top = (longest + 1 + width - 1) // width * width
    return list(range(width, top + 1, width))


def pad_to_multiple(batch: "dict[str, tf.Tensor]", points: int, characters: int) -> "dict[str, tf.Tensor]":
    """Pad a batch dict's time axis to a multiple of `points` and its text axis to a multiple of
    `characters` (with zeros: the masks mark the padding)."""
    import tensorflow as tf

    def extra(n, multiple):
        return (n + multiple - 1) // multiple * multiple - n

    t = tf.shape(batch["strokes"])[1]
    out = {"strokes": tf.pad(batch["strokes"], [[0, 0], [0, extra(t, points)], [0, 0]]),
           "stroke_mask": tf.pad(batch["stroke_mask"], [[0, 0], [0, extra(t, points)]])}
    if "chars" in batch:
        u = tf.shape(batch["chars"])[1]
        out["chars"] = tf.pad(batch["chars"], [[0, 0], [0, extra(u, characters)]])
        out["char_mask"] = tf.pad(batch["char_mask"], [[0, 0], [0, extra(u, characters)]])
    return out
