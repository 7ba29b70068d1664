"""SavedModel export of a trained char-RNN: text in, text out, nothing of this project needed.

Signatures (load with tf.saved_model.load(path).signatures[...] or call the methods directly):
- generate(prime: string [], steps: int32 [], temperature: float32 [], top_k: int32 [],
  seed: int32 []) -> {"text": string []}: the prime followed by `steps` sampled characters
  (top_k = 0 samples from all characters). steps in [0, 100000], temperature in (0, 100],
  top_k >= 0; anything else (or a non-scalar input) fails with an InvalidArgumentError saying so.
- greedy(prime: string [], steps: int32 []) -> {"text": string []}: the most likely continuation.
A prime that is empty or holds characters outside the vocabulary fails with an
InvalidArgumentError naming the problem (and the unknown characters).
The vocabulary and config are also written as JSON under assets.extra/ (vocab.json,
model_config.json: not config.json, which would make the folder look like a run directory).
"""
import os

import tensorflow as tf

from data_utils.files import atomic_dir
from run_utils import checks
from run_utils.config import save_config


class CharRNNModule(tf.Module):
    def __init__(self, model, vocabulary):
        super().__init__()
        self.model = model
        self.model_weights = list(model.weights)  # what run_utils.training.restore_exported_weights reads
        self.chars = tf.constant(vocabulary.chars)
        self.table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(self.chars, tf.range(len(vocabulary), dtype=tf.int32)),
            default_value=-1)

    def _encode(self, prime):
        """string [] -> ids [1, P] int32, asserting a non-empty prime of known characters."""
        chars = tf.strings.unicode_split(prime, "UTF-8")
        ids = self.table.lookup(chars)
        checks = [
            tf.debugging.Assert(tf.size(ids) > 0, ["The prime is empty; give at least one character."]),
            tf.debugging.Assert(tf.reduce_all(ids >= 0), [
                "The prime holds characters that are not in the vocabulary of this model:",
                tf.boolean_mask(chars, ids < 0)], summarize=100),
        ]
        with tf.control_dependencies(checks):
            return tf.identity(ids)[None]

    def _text(self, prime, ids):
        return {"text": prime + tf.strings.reduce_join(tf.gather(self.chars, ids[0]))}

    @tf.function(input_signature=[tf.TensorSpec(None, tf.string), tf.TensorSpec(None, tf.int32),
                                  tf.TensorSpec(None, tf.float32), tf.TensorSpec(None, tf.int32),
                                  tf.TensorSpec(None, tf.int32)])
    def generate(self, prime, steps, temperature, top_k, seed):
        prime, steps = self._prime_and_steps(prime, steps)
        temperature = checks.in_range(checks.scalar(temperature, "temperature", tf.float32), "temperature",
                                      0.0, checks.MAX_TEMPERATURE, low_open=True)
        top_k = checks.in_range(checks.scalar(top_k, "top_k", tf.int32), "top_k", 0, 1 << 30)
        seed = checks.scalar(seed, "seed", tf.int32)
        ids = self.model.generate(self._encode(prime), steps, temperature=temperature, top_k=top_k,
                                  greedy=False, seed=tf.stack([seed, 0]))
        return self._text(prime, ids)

    @tf.function(input_signature=[tf.TensorSpec(None, tf.string), tf.TensorSpec(None, tf.int32)])
    def greedy(self, prime, steps):
        prime, steps = self._prime_and_steps(prime, steps)
        ids = self.model.generate(self._encode(prime), steps, greedy=True)
        return self._text(prime, ids)

    def _prime_and_steps(self, prime, steps):
        """Checked scalars: the prime (one string) and 0 <= steps <= MAX_TEXT_STEPS."""
        steps = checks.in_range(checks.scalar(steps, "steps", tf.int32), "steps", 0, checks.MAX_TEXT_STEPS)
        return checks.scalar(prime, "prime", tf.string), steps


def export_saved_model(model, vocabulary, export_dir):
    """Write the SavedModel (model_config.json and vocab.json under assets.extra/); returns export_dir."""
    module = CharRNNModule(model, vocabulary)
    with atomic_dir(export_dir) as tmp:
        tf.saved_model.save(module, tmp, signatures={"generate": module.generate, "greedy": module.greedy})
        save_config(model.config, os.path.join(tmp, "assets.extra", "model_config.json"))
        vocabulary.save(os.path.join(tmp, "assets.extra", "vocab.json"))
    return export_dir
