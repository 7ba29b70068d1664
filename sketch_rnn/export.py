"""SavedModel export of a trained Sketch-RNN: signatures that need nothing of this project.

Signatures (all drawings in stroke-3, original data units: dx, dy, pen_lifted):
- encode(strokes [B, T, 3] float32, lengths [B] int32) -> {"mu", "sigma": [B, z_size]}
- decode(z [B, z_size], temperature [], seed [2] int32) -> {"strokes": [B, N_max, 3], "lengths": [B]}
- sample(num_samples [] int32, temperature [], seed [2] int32) -> same as decode; z ~ N(0, I)
  (or no z for an unconditional model).
Rows of "strokes" at and after "lengths" are zeros. The temperature follows the original code's
sample(): mixture weights and pen logits divided by it, standard deviations multiplied by it.
"""
import os

import tensorflow as tf

from data_utils.files import atomic_dir

from run_utils.config import save_config


def stroke3_to_stroke5_tensor(strokes, lengths, scale_factor):
    """[B, T, 3] stroke-3 in data units -> [B, T + 1, 5] normalised stroke-5 with start token."""
    t = tf.shape(strokes)[1]
    valid = tf.sequence_mask(lengths, t, dtype=tf.float32)[..., None]
    pen = strokes[..., 2:3]
    body = tf.concat([strokes[..., :2] / scale_factor, 1.0 - pen, pen, tf.zeros_like(pen)], axis=-1)
    end = tf.constant([0.0, 0.0, 0.0, 0.0, 1.0])
    body = body * valid + end * (1.0 - valid)
    start = tf.tile(tf.constant([[[0.0, 0.0, 1.0, 0.0, 0.0]]]), [tf.shape(strokes)[0], 1, 1])
    return tf.concat([start, body], axis=1)


def stroke5_to_stroke3_tensor(strokes5, lengths, scale_factor):
    """[B, N, 5] normalised stroke-5 -> [B, N, 3] stroke-3 in data units, zero after lengths."""
    valid = tf.sequence_mask(lengths, tf.shape(strokes5)[1], dtype=tf.float32)[..., None]
    out = tf.concat([strokes5[..., :2] * scale_factor, strokes5[..., 3:4]], axis=-1)
    return out * valid


class SketchRNNModule(tf.Module):
    """tf.functions with fixed signatures around a trained SketchRNN (see the module docstring)."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.model_weights = list(model.weights)  # what run_utils.training.restore_exported_weights reads
        self.config = model.config
        self.scale_factor = tf.constant(self.config.scale_factor, tf.float32)
        scalar, seed = tf.TensorSpec([], tf.float32), tf.TensorSpec([2], tf.int32)
        self.sample = tf.function(self._sample, input_signature=[tf.TensorSpec([], tf.int32), scalar, seed])
        self.decode = tf.function(
            self._decode_z, input_signature=[tf.TensorSpec([None, self.config.z_size], tf.float32), scalar, seed])
        if self.config.conditional:
            self.encode = tf.function(self._encode, input_signature=[
                tf.TensorSpec([None, None, 3], tf.float32), tf.TensorSpec([None], tf.int32)])

    def signatures(self):
        names = ["encode", "decode", "sample"] if self.config.conditional else ["decode", "sample"]
        return {name: getattr(self, name) for name in names}

    def _generate(self, z, batch, temperature, seed):
        strokes5, lengths = self.model.generate(z, batch, self.config.max_seq_len,
                                                temperature=temperature, seed=seed)
        return {"strokes": stroke5_to_stroke3_tensor(strokes5, lengths, self.scale_factor), "lengths": lengths}

    def _encode(self, strokes, lengths):
        mu, presig = self.model.encode(stroke3_to_stroke5_tensor(strokes, lengths, self.scale_factor), lengths)
        return {"mu": mu, "sigma": tf.exp(presig / 2.0)}

    def _decode_z(self, z, temperature, seed):
        return self._generate(z if self.config.conditional else None, tf.shape(z)[0], temperature, seed)

    def _sample(self, num_samples, temperature, seed):
        z = None
        if self.config.conditional:
            z = tf.random.stateless_normal([num_samples, self.config.z_size], seed + 7919)
        return self._generate(z, num_samples, temperature, seed)


def export_saved_model(model, export_dir):
    """Write the SavedModel (with its config.json beside the variables) and return export_dir."""
    module = SketchRNNModule(model)
    with atomic_dir(export_dir) as tmp:
        tf.saved_model.save(module, tmp, signatures=module.signatures())
        save_config(model.config, os.path.join(tmp, "assets.extra", "config.json"))
    return export_dir
