"""SavedModel export of a trained Sketch-RNN: signatures that need nothing of this project.

Signatures (all drawings in stroke-3, original data units: dx, dy, pen_lifted):
- encode(strokes [B, T, 3] float32, lengths [B] int32) -> {"mu", "sigma": [B, z_size]}
  (conditional models only)
- decode(z [B, z_size], temperature [] or [B], seed [2] int32) -> {"strokes": [B, N_max, 3],
  "lengths": [B]}; an unconditional model ignores z's values (its rows set the batch size).
- sample(num_samples [] int32, temperature [] or [num_samples], seed [2] int32) -> as decode;
  z ~ N(0, I).
- complete(strokes [P, 3], num_samples [], temperature [] or [num_samples], seed [2]) -> as
  decode: num_samples continuations of the started drawing (the start itself not included); a
  conditional model decodes each from its own z = mu + sigma * eps of the encoded start.
- mixture(strokes [B, T, 3], lengths [B] int32, z [B, z_size]) -> {"pi", "mu1", "mu2", "sigma1",
  "sigma2", "corr": [B, T, M], "pen_logits": [B, T, 3], "scale_factor": []}: row t is the
  distribution of point t given the start token and the points before it, no temperature (pi as
  probabilities, sigma as standard deviations, mu and sigma in the model's normalised units: data
  units / scale_factor). Rows at and after a drawing's length follow the end-of-drawing padding
  (0, 0, 0, 0, 1), as the original's model computes them. An unconditional model takes z of any
  width, 0 included, and ignores it. For scoring drawings (log-likelihood, anomalies).
Rows of "strokes" at and after "lengths" are zeros. The temperature follows the original code's
sample(): mixture weights and pen logits divided by it, standard deviations multiplied by it;
one temperature per row lets a server batch the requests of several users into one call.
Every input is checked (shape, range, emptiness): a bad one is an InvalidArgumentError saying so.
"""
import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING

import tensorflow as tf

from data_utils.sketch_data import stroke3_to_stroke5_tensor, stroke5_to_stroke3_tensor
from run_utils import checks
from run_utils.export import ExportModule, write_saved_model

if TYPE_CHECKING:
    from sketch_rnn.model import SketchRNN


class SketchRNNModule(ExportModule):
    """tf.functions with fixed signatures around a trained SketchRNN (see the module docstring).
    Every input is declared with unknown shape and checked in the graph (run_utils.checks), so a
    wrong shape, an empty batch or a temperature outside (0, 100] is a clear InvalidArgumentError."""

    def __init__(self, model: "SketchRNN"):
        super().__init__(model)
        self.config = model.config
        self.scale_factor = tf.constant(self.config.scale_factor, tf.float32)
        any_float, any_int = tf.TensorSpec(None, tf.float32), tf.TensorSpec(None, tf.int32)
        self.sample = tf.function(self._sample, input_signature=[any_int, any_float, any_int])
        self.decode = tf.function(self._decode_z, input_signature=[any_float, any_float, any_int])
        self.complete = tf.function(self._complete, input_signature=[any_float, any_int, any_float, any_int])
        self.mixture = tf.function(self._mixture, input_signature=[any_float, any_int, any_float])
        if self.config.conditional:
            self.encode = tf.function(self._encode, input_signature=[any_float, any_int])

    def signatures(self) -> dict[str, Callable]:
        names = ["decode", "sample", "complete", "mixture"] + (["encode"] if self.config.conditional else [])
        return {name: getattr(self, name) for name in names}

    def _generate(self, z, batch, temperature, seed, prime=None):
        temperature = checks.in_range(checks.per_row(temperature, "temperature", batch, tf.float32), "temperature",
                                      0.0, checks.MAX_TEMPERATURE, low_open=True)
        seed = checks.shaped(seed, "seed", 1, last=2)
        strokes5, lengths = self.model.generate(z, batch, self.config.max_seq_len,
                                                temperature=temperature, seed=seed, prime=prime)
        return {"strokes": stroke5_to_stroke3_tensor(strokes5, lengths, self.scale_factor), "lengths": lengths}

    def _checked_drawings(self, strokes, lengths):
        """strokes [B, T, 3], lengths [B] -> the same, after checks (finite, pen 0/1, 1 <= lengths <= T)."""
        strokes = checks.finite(checks.shaped(strokes, "strokes", 3, last=3), "strokes")
        lengths = checks.shaped(lengths, "lengths", 1)
        batch = checks.batch_size(strokes, "strokes")
        steps = tf.shape(strokes)[1]
        lengths_ok = tf.debugging.Assert(
            tf.equal(tf.shape(lengths)[0], batch) & tf.reduce_all((lengths >= 1) & (lengths <= steps)),
            ["lengths must hold one length per drawing, each between 1 and the strokes' time dimension",
             steps, "; got", lengths], summarize=16)
        pen = strokes[..., 2]
        pen_ok = tf.debugging.Assert(tf.reduce_all((pen == 0.0) | (pen == 1.0)),
                                     ["the pen column of strokes (index 2) must be 0 or 1"])
        with tf.control_dependencies([lengths_ok, pen_ok]):  # nothing below runs on unchecked inputs
            return tf.identity(strokes), tf.identity(lengths)

    def _encode(self, strokes, lengths):
        strokes, lengths = self._checked_drawings(strokes, lengths)
        mu, presig = self.model.encode(stroke3_to_stroke5_tensor(strokes, lengths, self.scale_factor), lengths)
        return {"mu": mu, "sigma": tf.exp(presig / 2.0)}

    def _mixture(self, strokes, lengths, z):
        strokes, lengths = self._checked_drawings(strokes, lengths)
        batch = checks.batch_size(strokes, "strokes")
        if self.config.conditional:
            z = self._checked_z(z)
            z_ok = tf.debugging.Assert(tf.equal(tf.shape(z)[0], batch), ["z must hold one row per drawing of strokes"])
            with tf.control_dependencies([z_ok]):
                z = tf.identity(z)
        else:
            z = None
        out = self.model.mixture(stroke3_to_stroke5_tensor(strokes, lengths, self.scale_factor), z)
        return {**out, "scale_factor": self.scale_factor}

    def _decode_z(self, z, temperature, seed):
        z = self._checked_z(z)
        return self._generate(z if self.config.conditional else None, checks.batch_size(z, "z"), temperature, seed)

    def _checked_z(self, z):
        """z [batch, z_size], else an InvalidArgumentError naming z and that shape."""
        z_size = self.config.z_size
        z = checks.shaped(z, "z", 2, last=z_size, expected=f"shape [batch, z_size] = [batch, {z_size}]")
        return checks.finite(z, "z")

    def _num_samples(self, num_samples):
        return checks.in_range(checks.scalar(num_samples, "num_samples", tf.int32), "num_samples", 1, checks.MAX_BATCH)

    def _sample(self, num_samples, temperature, seed):
        num_samples = self._num_samples(num_samples)
        z = None
        if self.config.conditional:
            z = tf.random.stateless_normal([num_samples, self.config.z_size], checks.shaped(seed, "seed", 1, last=2)
                                           + 7919)
        return self._generate(z, num_samples, temperature, seed)

    def _complete(self, strokes, num_samples, temperature, seed):
        """Continuations of one started drawing strokes [P, 3]: the decoder reads it, then samples
        (for a conditional model from z = mu + sigma * eps of the encoded start, one eps per sample)."""
        num_samples = self._num_samples(num_samples)
        strokes = checks.shaped(strokes, "strokes", 2, last=3)
        length = tf.shape(strokes)[0:1]
        strokes, length = self._checked_drawings(strokes[None], length)
        prime = tf.tile(stroke3_to_stroke5_tensor(strokes, length, self.scale_factor)[:, 1:], [num_samples, 1, 1])
        z = None
        if self.config.conditional:
            encoded = self._encode(strokes, length)
            eps = tf.random.stateless_normal([num_samples, self.config.z_size], checks.shaped(seed, "seed", 1, last=2)
                                             + 7919)
            z = encoded["mu"] + encoded["sigma"] * eps
        return self._generate(z, num_samples, temperature, seed, prime=prime)


def export_saved_model(model: "SketchRNN", export_dir: str) -> str:
    """Write the SavedModel (with its config.json beside the variables) and return export_dir."""
    module = SketchRNNModule(model)
    return write_saved_model(module, module.signatures(), export_dir,
                             {"config.json": dataclasses.asdict(model.config)})
