"""Checks of sampling inputs, shared by the sample.py CLIs (Python values -> ValueError naming the
flag) and the SavedModel signatures (tensors -> tf.errors.InvalidArgumentError naming the input).

SavedModel signature functions do not enforce the shapes of their input specs when called
through `.signatures[...]` (a [2] tensor passes a [] spec), so the exported functions declare
their inputs with unknown shape and check rank, shape, range and emptiness here, in the graph.
"""
import math

import tensorflow as tf

MAX_BATCH = 1024          # samples per call (sketches, text samples, handwriting lines)
MAX_TEMPERATURE = 100.0   # beyond this every sampler is uniform noise
MAX_TEXT_STEPS = 100_000  # characters a char-RNN writes per call
MAX_STROKE_STEPS = 10_000 # points a stroke model writes per line or drawing
MAX_BIAS = 10.0           # Graves' probability bias; 10 is already fully deterministic


# ----- command-line values ----------------------------------------------------------------------
def count_flag(value: int | None, name: str, default: int | None, maximum: int, minimum: int = 1) -> int | None:
    """An integer flag that may be left out (None -> default), else must lie in [minimum, maximum]."""
    if value is None:
        return default
    if not minimum <= value <= maximum:
        raise ValueError(f"--{name} must be between {minimum} and {maximum:,}; got {value}.")
    return value


def temperature_flag(value: float | None, default: float) -> float:
    if value is None:
        return default
    if not (math.isfinite(value) and 0.0 < value <= MAX_TEMPERATURE):
        raise ValueError(f"--temperature must be a number in (0, {MAX_TEMPERATURE:g}]; got {value}.")
    return value


def bias_flag(value: float | None, default: float) -> float:
    if value is None:
        return default
    if not (math.isfinite(value) and 0.0 <= value <= MAX_BIAS):
        raise ValueError(f"--bias must be a number in [0, {MAX_BIAS:g}]; got {value}.")
    return value


# ----- tensors in SavedModel signatures ---------------------------------------------------------------
def _fail_unless(condition, *message):
    return tf.debugging.Assert(condition, list(message), summarize=16)


def scalar(x, name: str, dtype: tf.DType) -> tf.Tensor:
    """x of any shape -> a scalar of `dtype`, failing unless x holds exactly one value of rank 0."""
    x = tf.convert_to_tensor(x)
    with tf.control_dependencies([_fail_unless(tf.equal(tf.rank(x), 0), f"{name} must be a scalar; got shape",
                                               tf.shape(x))]):
        return tf.cast(tf.reshape(x, []), dtype)


def shaped(x, name: str, rank: int, last: int | None = None, expected: str | None = None) -> tf.Tensor:
    """x with `rank` dimensions (and size `last` of its last one when given), else a clear error
    (saying `expected` when given, e.g. "shape [batch, z_size] = [batch, 8]").

    The check reads x's shape at run time, and what follows sees x only through a reshape: a rank
    assertion on tf.rank(x) with a static shape set afterwards is folded away by grappler (it infers
    the rank the consumers need), and a wrong input then fails later with an unrelated message."""
    x = tf.convert_to_tensor(x)
    shape = tf.shape(x)
    padded = tf.pad(shape, [[0, rank]])  # [d0, d1, ...] for any rank, a scalar's [] included
    ok = tf.equal(tf.size(shape), rank)
    if last is not None:
        ok &= tf.equal(padded[rank - 1], last)
    expected = expected or (f"{last} values per row in {rank} dimensions" if last is not None
                            else f"{rank} dimensions")
    with tf.control_dependencies([_fail_unless(ok, f"{name} must have {expected}; got shape", shape)]):
        x = tf.reshape(x, padded[:rank])  # its own shape, once checked
    static = [None] * rank
    if last is not None:
        static[-1] = last
    x.set_shape(static)  # static shape only: the assertion above checks it at run time, first
    return x


def in_range(x, name: str, low: float, high: float, low_open: bool = False) -> tf.Tensor:
    """x (any shape) with every value finite and in [low, high] (or (low, high] with low_open)."""
    x = tf.convert_to_tensor(x)
    values = tf.cast(x, tf.float64)
    above = values > low if low_open else values >= low
    ok = tf.reduce_all(tf.math.is_finite(values) & above & (values <= high))
    bracket = "(" if low_open else "["
    with tf.control_dependencies([_fail_unless(ok, f"{name} must be in {bracket}{low:g}, {high:g}]; got", x)]):
        return tf.identity(x)


def finite(x, name: str) -> tf.Tensor:
    x = tf.convert_to_tensor(x)
    with tf.control_dependencies([_fail_unless(tf.reduce_all(tf.math.is_finite(x)),
                                               f"{name} holds NaN or infinite values")]):
        return tf.identity(x)


def batch_size(x, name: str) -> tf.Tensor:
    """The leading size of x, which must be between 1 and MAX_BATCH."""
    n = tf.shape(x)[0]
    with tf.control_dependencies([_fail_unless((n >= 1) & (n <= MAX_BATCH),
                                               f"{name} must hold between 1 and {MAX_BATCH} rows; got", n)]):
        return tf.identity(n)


def per_row(x, name: str, batch, dtype: tf.DType) -> tf.Tensor:
    """x: a scalar (the same for every row) or one value per row [batch] -> [batch] of dtype."""
    x = tf.cast(tf.convert_to_tensor(x), dtype)
    ok = tf.equal(tf.rank(x), 0) | (tf.equal(tf.rank(x), 1) & tf.equal(tf.size(x), batch))
    with tf.control_dependencies([_fail_unless(ok, f"{name} must be a scalar or hold one value per row (",
                                               batch, "); got shape", tf.shape(x))]):
        return tf.broadcast_to(tf.reshape(x, [-1]), [batch])
