"""SavedModel export of a trained char-RNN: text in, text out, nothing of this project needed.

Signatures (load with tf.saved_model.load(path).signatures[...] or call the methods directly):
- generate(prime: string [] or [B], steps: int32 [], temperature: float32 [] or [B], top_k:
  int32 [] or [B], seed: int32 []) -> {"text": string, shaped like prime}: each prime followed by
  `steps` sampled characters (top_k = 0 samples from all characters). Several primes of any
  lengths run as one batch (left-padded and masked), each with its own temperature and top_k.
  steps in [0, 100000] (0: the primes unchanged), temperature in (0, 100], top_k >= 0; anything
  else fails with an InvalidArgumentError saying so.
- greedy(prime: string [] or [B], steps: int32 []) -> {"text"}: the most likely continuation.
A prime that is empty or holds characters outside the vocabulary fails with an
InvalidArgumentError naming the problem (and the unknown characters).
The vocabulary and config are also written as JSON under assets.extra/ (vocab.json,
model_config.json: not config.json, which would make the folder look like a run directory).
"""
import dataclasses
from typing import TYPE_CHECKING

import tensorflow as tf

from run_utils import checks
from run_utils.export import ExportModule, write_saved_model

if TYPE_CHECKING:
    from char_rnn.model import CharRNN
    from data_utils.text import Vocabulary


class CharRNNModule(ExportModule):
    def __init__(self, model: "CharRNN", vocabulary: "Vocabulary"):
        super().__init__(model)
        self.chars = tf.constant(vocabulary.chars)
        self.table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(self.chars, tf.range(len(vocabulary), dtype=tf.int32)),
            default_value=-1)

    def _encode(self, prime):
        """prime: one string [] or several [B] -> (ids [B, P] int32 left-padded, mask [B, P] bool),
        asserting non-empty primes of known characters."""
        rank_ok = tf.debugging.Assert(tf.rank(prime) <= 1, ["prime must be a string or a vector of strings; got shape",
                                                            tf.shape(prime)])
        with tf.control_dependencies([rank_ok]):
            flat = tf.reshape(prime, [-1])
        checks.batch_size(flat, "prime")
        chars = tf.strings.unicode_split(flat, "UTF-8")
        ids = tf.ragged.map_flat_values(self.table.lookup, chars)
        lengths = tf.cast(ids.row_lengths(), tf.int32)
        ok = [
            tf.debugging.Assert(tf.reduce_all(lengths > 0), ["The prime is empty; give at least one character."]),
            tf.debugging.Assert(tf.reduce_all(ids.flat_values >= 0), [
                "The prime holds characters that are not in the vocabulary of this model:",
                tf.boolean_mask(chars.flat_values, ids.flat_values < 0)], summarize=100),
        ]
        with tf.control_dependencies(ok):
            dense = tf.identity(ids.to_tensor(0))
        mask = tf.sequence_mask(lengths, tf.shape(dense)[1])
        # Right-padded -> left-padded: every prime ends at the last column, where sampling starts.
        left = tf.reverse(tf.reverse_sequence(dense, lengths, seq_axis=1, batch_axis=0), axis=[1])
        return left, tf.reverse(mask, axis=[1])

    def _text(self, prime, ids):
        """The primes followed by their sampled characters, shaped like prime ([] or [B])."""
        flat = tf.reshape(prime, [-1]) + tf.strings.reduce_join(tf.gather(self.chars, ids), axis=-1)
        return {"text": tf.reshape(flat, tf.shape(prime))}

    @tf.function(input_signature=[tf.TensorSpec(None, tf.string), tf.TensorSpec(None, tf.int32),
                                  tf.TensorSpec(None, tf.float32), tf.TensorSpec(None, tf.int32),
                                  tf.TensorSpec(None, tf.int32)])
    def generate(self, prime: tf.Tensor, steps: tf.Tensor, temperature: tf.Tensor, top_k: tf.Tensor,
                 seed: tf.Tensor) -> dict[str, tf.Tensor]:
        steps = self._steps(steps)
        ids, mask = self._encode(prime)
        batch = tf.shape(ids)[0]
        temperature = checks.in_range(checks.per_row(temperature, "temperature", batch, tf.float32), "temperature",
                                      0.0, checks.MAX_TEMPERATURE, low_open=True)
        top_k = checks.in_range(checks.per_row(top_k, "top_k", batch, tf.int32), "top_k", 0, 1 << 30)
        seed = checks.scalar(seed, "seed", tf.int32)
        return self._text(prime, self._continue(ids, steps, lambda: self.model.generate(
            ids, steps, temperature=temperature, top_k=top_k, greedy=False, seed=tf.stack([seed, 0]),
            prime_mask=mask)))

    @tf.function(input_signature=[tf.TensorSpec(None, tf.string), tf.TensorSpec(None, tf.int32)])
    def greedy(self, prime: tf.Tensor, steps: tf.Tensor) -> dict[str, tf.Tensor]:
        steps = self._steps(steps)
        ids, mask = self._encode(prime)
        return self._text(prime, self._continue(ids, steps, lambda: self.model.generate(
            ids, steps, greedy=True, prime_mask=mask)))

    @staticmethod
    def _continue(ids, steps, generate):
        """generate() -> [B, steps] ids, or [B, 0] ids without calling it when steps is 0 (the
        model's TensorArray of no elements cannot be stacked: an empty continuation is the prime)."""
        return tf.cond(steps > 0, generate, lambda: tf.zeros([tf.shape(ids)[0], 0], tf.int32))

    @staticmethod
    def _steps(steps):
        """A checked scalar 0 <= steps <= MAX_TEXT_STEPS."""
        return checks.in_range(checks.scalar(steps, "steps", tf.int32), "steps", 0, checks.MAX_TEXT_STEPS)


def export_saved_model(model: "CharRNN", vocabulary: "Vocabulary", export_dir: str) -> str:
    """Write the SavedModel (model_config.json and vocab.json under assets.extra/); returns export_dir."""
    module = CharRNNModule(model, vocabulary)
    return write_saved_model(module, {"generate": module.generate, "greedy": module.greedy}, export_dir,
                             {"model_config.json": dataclasses.asdict(model.config),
                              "vocab.json": {"chars": vocabulary.chars}})
