"""SavedModel export of a trained handwriting network: signatures that need nothing of this project.

Strokes in and out are raw offsets in the IAM-OnDB convention: rows (dx, dy, eos), y pointing
up, in whiteboard units (a line of handwriting is ~600 units tall); the first row of a style is
(0, 0, .); eos = 1 on the last point of each stroke. Rows at and after "lengths" are zeros.

Synthesis network:
  synthesize(text [B] string, bias [] or [B] float32, seed [2] int32, style_strokes [P, 3] float32,
             style_text [] string) -> {"strokes": [B, S, 3], "lengths": [B] int32,
                                        "window_char": [B, S] int32}
  Writes each text. With P > 0 the network first reads the style strokes and continues in their
  style (Graves 5.5: the character sequence is style_text + " " + text; after the strokes the
  window is moved onto that space, so the text starts at its first character however fast the
  style was written); P = 0 (tf.zeros([0, 3]) and "") means no priming. Sampling stops by the
  window rule, or after 40 points per character. window_char: at each step, the character of
  `text` the window weighs most (argmax of phi; index into text, -1 the space after the style's
  text, lower the style's text, len(text) past the end), the window plot of Graves' Fig. 13 in
  one number per step. A character outside the alphabet fails with an InvalidArgumentError
  naming it; so do an empty batch, an empty text or one over 250 characters, bias outside
  [0, 10], a style over 2000 rows or 200 characters (data_utils.handwriting_style
  MAX_STYLE_POINTS, MAX_STYLE_CHARS) and wrong shapes.
Prediction network:
  sample(num_samples [] int32, steps [] int32, bias [] or [num_samples] float32, seed [2] int32)
      -> {"strokes": [num_samples, steps, 3], "lengths"}; num_samples in [1, 1024], steps in
      [1, 10000], bias in [0, 10].
"""
import dataclasses

import numpy as np
import tensorflow as tf

from data_utils.handwriting_style import MAX_STYLE_CHARS, MAX_STYLE_POINTS
from handwriting.model import MAX_POINTS_PER_CHAR, HandwritingNetwork
from run_utils import checks
from run_utils.export import ExportModule, write_saved_model

MAX_TEXT_CHARS = checks.MAX_STROKE_STEPS // MAX_POINTS_PER_CHAR  # a text's step cap stays within MAX_STROKE_STEPS


class HandwritingModule(ExportModule):
    def __init__(self, model: HandwritingNetwork):
        super().__init__(model)
        config = model.config
        self.mean = tf.constant(config.offset_stats["mean"], tf.float32)
        self.std = tf.constant(config.offset_stats["std"], tf.float32)
        self.clip = tf.constant(config.offset_stats["clip"], tf.float32)
        if config.task == "synthesis":
            codes = np.array([ord(ch) for ch in config.chars], np.int64)
            self.table = tf.lookup.StaticHashTable(
                tf.lookup.KeyValueTensorInitializer(codes, np.arange(len(codes), dtype=np.int64)), default_value=-1)
            self.alphabet = tf.constant("".join(config.chars))

    def normalize(self, strokes: tf.Tensor) -> tf.Tensor:
        """Raw rows [..., 3] -> the network's normalised rows."""
        xy = tf.clip_by_value((strokes[..., :2] - self.mean) / self.std, -self.clip, self.clip)
        return tf.concat([xy, strokes[..., 2:]], axis=-1)

    def denormalize(self, strokes: tf.Tensor, lengths: tf.Tensor) -> tf.Tensor:
        valid = tf.sequence_mask(lengths, tf.shape(strokes)[1], dtype=tf.float32)[..., None]
        return tf.concat([strokes[..., :2] * self.std + self.mean, strokes[..., 2:]], axis=-1) * valid

    def encode_text(self, text: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """[B] strings -> (chars [B, U] int32, char_mask [B, U]); fails on unknown characters."""
        codes = tf.strings.unicode_decode(text, "UTF-8")
        ids = tf.ragged.map_flat_values(self.table.lookup, tf.cast(codes, tf.int64))
        unknown = tf.boolean_mask(codes.flat_values, ids.flat_values < 0)
        check = tf.debugging.Assert(tf.size(unknown) == 0, [
            "Characters not in the model's alphabet:", tf.strings.unicode_encode(unknown, "UTF-8"),
            "Remove or replace them; the alphabet is:", self.alphabet])
        with tf.control_dependencies([check]):
            chars = tf.cast(ids.to_tensor(0), tf.int32)
        mask = tf.sequence_mask(ids.row_lengths(), tf.shape(chars)[1], dtype=tf.float32)
        return chars, mask

    def _synthesize(self, text, bias, seed, style_strokes, style_text):
        text = checks.shaped(text, "text", 1)
        batch = checks.batch_size(text, "text")
        text_length = tf.strings.length(text, unit="UTF8_CHAR")
        longest = MAX_TEXT_CHARS
        text_ok = tf.debugging.Assert(tf.reduce_all((text_length >= 1) & (text_length <= longest)), [
            f"every text must hold between 1 and {longest} characters; got lengths", text_length], summarize=16)
        bias, seed = self._bias_and_seed(bias, seed, batch)
        style_strokes = checks.finite(checks.shaped(style_strokes, "style_strokes", 2, last=3), "style_strokes")
        style_text = checks.scalar(style_text, "style_text", tf.string)
        primed = tf.shape(style_strokes)[0] > 0
        eos = style_strokes[:, 2]
        style_ok = tf.debugging.Assert(
            tf.reduce_all((eos == 0.0) | (eos == 1.0)) & tf.equal(primed, tf.strings.length(style_text) > 0),
            ["style_strokes' eos column must be 0 or 1, and style_text must be given exactly when style_strokes "
             "has rows (both empty: no priming)"])
        style_size = tf.debugging.Assert(
            (tf.shape(style_strokes)[0] <= MAX_STYLE_POINTS)
            & (tf.strings.length(style_text, unit="UTF8_CHAR") <= MAX_STYLE_CHARS),
            [f"a style is one line of handwriting: at most {MAX_STYLE_POINTS} rows of style_strokes and "
             f"{MAX_STYLE_CHARS} characters of style_text; got", tf.shape(style_strokes)[0], "rows and",
             tf.strings.length(style_text, unit="UTF8_CHAR"), "characters"])
        with tf.control_dependencies([text_ok, style_ok, style_size]):  # nothing below runs on unchecked inputs
            text, text_length, style_strokes, style_text, primed = (
                tf.identity(t) for t in (text, text_length, style_strokes, style_text, primed))
        full = tf.where(primed, tf.strings.join([style_text, " ", text]), text)
        chars, char_mask = self.encode_text(full)
        prime = tf.cond(primed, lambda: tf.tile(self.normalize(style_strokes)[None], [batch, 1, 1]),
                        lambda: self.model.anchor(batch)[:, None])
        # The window starts on the space after the style's text (-1: no style, nothing to move).
        style_chars = tf.where(primed, tf.strings.length(style_text, unit="UTF8_CHAR"), -1)
        max_steps = MAX_POINTS_PER_CHAR * tf.reduce_max(text_length)
        out = self.model.generate(batch, max_steps, bias=bias, seed=seed, chars=chars, char_mask=char_mask,
                                  prime=prime, prime_chars=style_chars)
        valid = tf.sequence_mask(out["lengths"], tf.shape(out["window"])[1])
        window_char = tf.where(valid, out["window"] - (style_chars + 1), 0)  # index into text
        return {"strokes": self.denormalize(out["strokes"], out["lengths"]), "lengths": out["lengths"],
                "window_char": window_char}

    def _sample(self, num_samples, steps, bias, seed):
        num_samples = checks.in_range(checks.scalar(num_samples, "num_samples", tf.int32), "num_samples",
                                      1, checks.MAX_BATCH)
        steps = checks.in_range(checks.scalar(steps, "steps", tf.int32), "steps", 1, checks.MAX_STROKE_STEPS)
        bias, seed = self._bias_and_seed(bias, seed, num_samples)
        out = self.model.generate(num_samples, steps, bias=bias, seed=seed)
        return {"strokes": self.denormalize(out["strokes"], out["lengths"]), "lengths": out["lengths"]}

    @staticmethod
    def _bias_and_seed(bias, seed, batch):
        bias = checks.in_range(checks.per_row(bias, "bias", batch, tf.float32), "bias", 0.0, checks.MAX_BIAS)
        return bias, checks.shaped(seed, "seed", 1, last=2)


def export_saved_model(model: HandwritingNetwork, export_dir: str) -> str:
    """Write the SavedModel (config.json under assets.extra/) and return export_dir."""
    module = HandwritingModule(model)
    if model.config.task == "synthesis":
        fn = tf.function(module._synthesize, input_signature=[
            tf.TensorSpec(None, tf.string, name="text"), tf.TensorSpec(None, tf.float32, name="bias"),
            tf.TensorSpec(None, tf.int32, name="seed"), tf.TensorSpec(None, tf.float32, name="style_strokes"),
            tf.TensorSpec(None, tf.string, name="style_text")])
        module.synthesize = fn
        signatures = {"synthesize": fn}
    else:
        fn = tf.function(module._sample, input_signature=[
            tf.TensorSpec(None, tf.int32, name="num_samples"), tf.TensorSpec(None, tf.int32, name="steps"),
            tf.TensorSpec(None, tf.float32, name="bias"), tf.TensorSpec(None, tf.int32, name="seed")])
        module.sample = fn
        signatures = {"sample": fn}
    return write_saved_model(module, signatures, export_dir, {"config.json": dataclasses.asdict(model.config)})
