"""Stroke formats and the pure-numpy transforms of Sketch-RNN's data (magenta `sketch_rnn/utils.py`).

Formats (one drawing each):
- stroke-3: float array [n, 3] of (dx, dy, pen_lifted). Row i moves the pen by (dx, dy) from the previous
  point (the first row from the origin); pen_lifted = 1 means the pen leaves the paper after point i, so
  point i ends a stroke and point i + 1 starts the next one. Well-formed data end with pen_lifted = 1.
- stroke-5: float array [N, 5] of (dx, dy, p1, p2, p3) with one-hot pen state p1 = pen down (drawing
  continues), p2 = pen lifted, p3 = end of drawing; padding rows are (0, 0, 0, 0, 1).
- polylines: list of float arrays [k, 2] of absolute (x, y) points, one per stroke.

y grows downwards (screen coordinates), as in QuickDraw.
"""
from collections.abc import Iterable, Sequence

import numpy as np
from numpy.typing import ArrayLike

END_TOKEN = np.array([0, 0, 0, 0, 1], np.float32)    # stroke-5 padding / end of drawing
START_TOKEN = np.array([0, 0, 1, 0, 0], np.float32)  # S_0 of the paper, prepended to every batch row


# ----------------------------------------------------------------------------- stroke-3 <-> stroke-5

def to_big_strokes(strokes: np.ndarray, max_len: int) -> np.ndarray:
    """stroke-3 [n, 3] -> stroke-5 [max_len, 5] padded with (0, 0, 0, 0, 1); no start token (as the original)."""
    n = len(strokes)
    if n > max_len:
        raise ValueError(f"A drawing of {n} points does not fit max_len={max_len}.")
    out = np.tile(END_TOKEN, (max_len, 1))
    out[:n, 0:2] = strokes[:, 0:2]
    out[:n, 3] = strokes[:, 2]
    out[:n, 2] = 1 - strokes[:, 2]
    out[:n, 4] = 0
    return out


def to_normal_strokes(big_strokes: ArrayLike) -> np.ndarray:
    """stroke-5 [N, 5] -> stroke-3 [n, 3], cut before the first end-of-drawing row (p3 > 0).

    As the original: when row 0 is an end row or no end row exists, all N rows are kept; the pen_lifted
    column is p2.
    """
    big_strokes = np.asarray(big_strokes)
    ends = np.flatnonzero(big_strokes[:, 4] > 0)
    n = int(ends[0]) if len(ends) and ends[0] > 0 else len(big_strokes)
    out = np.zeros((n, 3), np.float32)
    out[:, 0:2] = big_strokes[:n, 0:2]
    out[:, 2] = big_strokes[:n, 3]
    return out


def pad_batch(drawings: Sequence[np.ndarray], max_len: int) -> tuple[np.ndarray, np.ndarray]:
    """List of B stroke-3 drawings -> (strokes [B, max_len + 1, 5] float32, seq_len [B] int32).

    Row 0 of every drawing is the start token (0, 0, 1, 0, 0); rows 1..n hold the drawing in stroke-5;
    the rest is (0, 0, 0, 0, 1). seq_len holds n (the length without the start token), as the original.
    """
    lengths = np.array([len(d) for d in drawings], np.int32)
    if len(drawings) and lengths.max() > max_len:
        raise ValueError(f"A drawing of {lengths.max()} points does not fit max_len={max_len}.")
    out = np.tile(END_TOKEN, (len(drawings), max_len + 1, 1))
    out[:, 0] = START_TOKEN
    if len(drawings):
        flat = np.concatenate(drawings).astype(np.float32)
        rows = np.repeat(np.arange(len(drawings)), lengths)
        cols = 1 + np.arange(len(flat)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        out[rows, cols] = np.stack([flat[:, 0], flat[:, 1], 1 - flat[:, 2], flat[:, 2],
                                    np.zeros(len(flat), np.float32)], axis=1)
    return out, lengths


# ----------------------------------------------------------------------------- stroke-3 <-> polylines

def strokes_to_lines(strokes: ArrayLike) -> list[np.ndarray]:
    """stroke-3 [n, 3] -> list of absolute polylines [k, 2] (one per stroke).

    Unlike the original, a trailing stroke whose last point is not pen-lifted (as in a sample cut at
    N_max) is kept.
    """
    strokes = np.asarray(strokes, np.float64)
    if len(strokes) == 0:
        return []
    xy = np.cumsum(strokes[:, 0:2], axis=0)
    ends = np.flatnonzero(strokes[:, 2] > 0.5) + 1
    if len(ends) == 0 or ends[-1] != len(strokes):
        ends = np.append(ends, len(strokes))
    starts = np.concatenate([[0], ends[:-1]])
    return [xy[s:e] for s, e in zip(starts, ends)]


def lines_to_strokes(lines: Iterable[ArrayLike]) -> np.ndarray:
    """List of absolute polylines [k, 2] -> stroke-3 [n, 3] (pen lifted at each polyline's last point).

    The first offset is measured from the origin, as the original. Empty polylines are skipped.
    """
    lines = [np.asarray(line, np.float64).reshape(-1, 2) for line in lines]
    lines = [line for line in lines if len(line)]
    if not lines:
        return np.zeros((0, 3), np.float32)
    xy = np.concatenate(lines)
    pen = np.concatenate([np.eye(1, len(line), len(line) - 1)[0] for line in lines])
    offsets = np.diff(xy, axis=0, prepend=np.zeros((1, 2)))
    return np.column_stack([offsets, pen]).astype(np.float32)


def bounds(strokes: ArrayLike) -> tuple[float, float, float, float]:
    """(min_x, max_x, min_y, max_y) of the absolute points of a stroke-3 drawing (the origin included,
    as the original get_bounds with factor 1)."""
    strokes = np.asarray(strokes, np.float64)
    xy = np.vstack([np.zeros((1, 2)), np.cumsum(strokes[:, 0:2], axis=0)])
    return float(xy[:, 0].min()), float(xy[:, 0].max()), float(xy[:, 1].min()), float(xy[:, 1].max())


# ----------------------------------------------------------------------------- normalisation

def clip_offsets(strokes: ArrayLike, limit: float = 1000.0) -> np.ndarray:
    """float32 copy of a stroke-3 drawing with dx, dy clipped to [-limit, limit] (the original's 'removes
    large gaps from the data')."""
    out = np.array(strokes, np.float32)
    out[:, 0:2] = np.clip(out[:, 0:2], -limit, limit)
    return out


def scale_factor(drawings: Sequence[ArrayLike]) -> float:
    """The original calculate_normalizing_scale_factor: the standard deviation (numpy's, ddof=0) of all
    dx and dy values of the drawings taken together (mean not assumed zero)."""
    if not len(drawings):
        raise ValueError("Cannot compute a scale factor from an empty list of drawings.")
    values = np.concatenate([np.asarray(d, np.float64)[:, 0:2].ravel() for d in drawings])
    std = float(np.std(values))
    if not np.isfinite(std) or std <= 0:
        raise ValueError(f"The drawings' offsets have standard deviation {std}; cannot normalise by it.")
    return std


def normalize(drawings: Iterable[ArrayLike], scale: float) -> list[np.ndarray]:
    """New list of float32 drawings with dx, dy divided by scale (pen column unchanged)."""
    out = []
    for d in drawings:
        d = np.array(d, np.float32)
        d[:, 0:2] /= scale
        out.append(d)
    return out


# ----------------------------------------------------------------------------- augmentation

def random_scale(strokes: ArrayLike, factor: float, rng: np.random.Generator) -> np.ndarray:
    """Stretch dx by x ~ U[1 - factor, 1 + factor] and dy by an independent y factor (the original
    DataLoader.random_scale). Returns a float32 copy."""
    sx, sy = 1.0 + (rng.random(2) - 0.5) * 2.0 * factor
    out = np.array(strokes, np.float32)
    out[:, 0] *= sx
    out[:, 1] *= sy
    return out


def _drop_mask(pen, first, u, prob):
    """Which points the original augment_strokes merges away, given pen states [n] (0/1), first [n]
    (True where a drawing starts) and uniforms u [n].

    The original walks the points keeping a counter of consecutive pen-down points (reset to 0 by a
    pen-lifted point or by the point right after one) and merges point i into the previous kept point
    when point i and point i - 1 are pen-down, the counter exceeds 2 and u_i < prob. The previous kept
    point always has the pen state of point i - 1, so the decision does not depend on earlier merges and
    can be computed for all points at once.
    """
    n = len(pen)
    idx = np.arange(n)
    prev_up = np.ones(n, bool)
    prev_up[1:] = pen[:-1] > 0.5
    prev_up |= first
    up = pen > 0.5
    reset = up | prev_up
    last_reset = np.maximum.accumulate(np.where(reset, idx, 0))
    count = idx - last_reset
    return ~up & ~prev_up & (count > 2) & (u < prob)


def _merge(flat, drop):
    """Drop the flagged rows of stroke-3 points [n, 3], adding each dropped offset to the last kept row
    before it (so every kept point stays where it was)."""
    keep = ~drop
    group = np.cumsum(keep) - 1
    out = flat[keep].copy()
    np.add.at(out[:, 0], group[drop], flat[drop, 0])
    np.add.at(out[:, 1], group[drop], flat[drop, 1])
    return out, keep


def augment_strokes(strokes: ArrayLike, prob: float, rng: np.random.Generator) -> np.ndarray:
    """The original augment_strokes: merge away pen-down points with probability prob, never the first
    three points of a stroke nor a stroke's last point; shapes and stroke ends stay where they were.
    Returns float32 [m, 3], m <= n."""
    strokes = np.asarray(strokes, np.float32)
    if prob <= 0 or len(strokes) == 0:
        return strokes.copy()
    first = np.zeros(len(strokes), bool)
    first[0] = True
    out, _ = _merge(strokes, _drop_mask(strokes[:, 2], first, rng.random(len(strokes)), prob))
    return out


def augment_batch(drawings: Sequence[np.ndarray], random_scale_factor: float, augment_stroke_prob: float,
                  rng: np.random.Generator) -> list[np.ndarray]:
    """Vectorised augmentation of a list of stroke-3 drawings (what the original's _get_batch_from_indices
    does per drawing: random_scale, then augment_strokes). Returns a list of float32 drawings."""
    lengths = np.array([len(d) for d in drawings])
    flat = np.concatenate(drawings).astype(np.float32)
    if random_scale_factor > 0:
        factors = 1.0 + (rng.random((len(drawings), 2)) - 0.5) * 2.0 * random_scale_factor
        flat[:, 0:2] *= np.repeat(factors, lengths, axis=0).astype(np.float32)
    if augment_stroke_prob > 0:
        starts = np.cumsum(lengths) - lengths
        first = np.zeros(len(flat), bool)
        first[starts] = True
        flat, keep = _merge(flat, _drop_mask(flat[:, 2], first, rng.random(len(flat)), augment_stroke_prob))
        lengths = np.add.reduceat(keep.astype(np.int64), starts)
    return np.split(flat, np.cumsum(lengths)[:-1])


# ----------------------------------------------------------------------------- simplification

def rdp(points: ArrayLike, epsilon: float) -> np.ndarray:
    """Ramer-Douglas-Peucker simplification of one polyline [k, 2] -> [m, 2] (m <= k, ends kept).

    A point is kept when it lies farther than epsilon from the line through the ends of the span being
    simplified (the distance to the end point when both ends coincide).
    """
    points = np.asarray(points, np.float64).reshape(-1, 2)
    k = len(points)
    if k < 3 or epsilon <= 0:
        return points.copy()
    keep = np.zeros(k, bool)
    keep[[0, -1]] = True
    stack = [(0, k - 1)]
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        seg = points[b] - points[a]
        rel = points[a + 1:b] - points[a]
        norm = np.hypot(seg[0], seg[1])
        if norm > 0:
            dist = np.abs(seg[0] * rel[:, 1] - seg[1] * rel[:, 0]) / norm
        else:
            dist = np.hypot(rel[:, 0], rel[:, 1])
        i = int(np.argmax(dist))
        if dist[i] > epsilon:
            mid = a + 1 + i
            keep[mid] = True
            stack += [(a, mid), (mid, b)]
    return points[keep]


def validate_drawing(strokes: ArrayLike) -> str | None:
    """None if strokes is a usable stroke-3 drawing, else a sentence saying what is wrong with it."""
    a = np.asarray(strokes)
    if a.dtype == object or np.iscomplexobj(a) or not (np.issubdtype(a.dtype, np.number) or a.dtype == bool):
        return f"has dtype {a.dtype}, expected real numbers"
    if a.ndim != 2 or a.shape[1] != 3:
        return f"has shape {a.shape}, expected [n, 3] (dx, dy, pen_lifted)"
    if len(a) == 0:
        return "is empty (0 points)"
    if not np.all(np.isfinite(a)):
        return "contains NaN or infinite values"
    if not np.all((a[:, 2] == 0) | (a[:, 2] == 1)):
        return f"has pen_lifted values {np.unique(a[:, 2])[:5].tolist()}, expected only 0 and 1"
    return None
