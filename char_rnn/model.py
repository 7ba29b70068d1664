"""The char-RNN: character embedding -> stacked LSTM with output dropout -> logits over characters.

Training is teacher-forced on windows (inputs [B, T] ids, targets = inputs shifted by one);
the loss is the mean per-character cross-entropy in nats, also reported in bits per character.
Sampling feeds a prime string, then carries the LSTM states across steps inside one
tf.while_loop, batched over samples, with temperature, top-k and greedy choice.
"""
import math
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from numpy.typing import ArrayLike

from char_rnn.config import CharRNNConfig
from run_utils import distribute

LN2 = math.log(2.0)


def char_cross_entropy(targets: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
    """Per-character negative log-likelihood in nats: targets [B, T] int, logits [B, T, V] -> [B, T]."""
    return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.cast(targets, tf.int32), logits=logits)


def choose_next(logits: tf.Tensor, temperature: float | tf.Tensor, top_k: int | tf.Tensor, greedy: bool | tf.Tensor,
                seed: tf.Tensor) -> tf.Tensor:
    """Pick next characters from logits [B, V]: the argmax where `greedy`, else a sample of
    softmax(logits / temperature) restricted to the top_k most likely (top_k <= 0: all).
    temperature, top_k: scalars or one per row [B]; greedy: a scalar; seed [2] int32.
    Returns [B] int32."""
    batch, vocab = tf.shape(logits)[0], tf.shape(logits)[-1]
    logits = logits / tf.broadcast_to(tf.cast(temperature, logits.dtype), [batch])[:, None]
    k = tf.broadcast_to(tf.cast(top_k, tf.int32), [batch])
    k = tf.where(k > 0, tf.minimum(k, vocab), vocab)
    kth_largest = tf.gather(tf.sort(logits, axis=-1, direction="DESCENDING"), k - 1, axis=-1, batch_dims=1)
    logits = tf.where(logits < kth_largest[:, None], tf.constant(-1e9, logits.dtype), logits)
    sampled = tf.cast(tf.random.stateless_categorical(logits, 1, seed)[:, 0], tf.int32)
    return tf.where(tf.cast(greedy, tf.bool), tf.argmax(logits, axis=-1, output_type=tf.int32), sampled)


class CharRNN(keras.Model):
    def __init__(self, config: CharRNNConfig, **kwargs: Any):
        super().__init__(**kwargs)
        if config.vocab_size < 1:
            raise ValueError("config.vocab_size is not set; train.py fills it in from the training text.")
        self.config = config
        c = config
        self.embedding = keras.layers.Embedding(c.vocab_size, c.embedding_size, name="embedding")
        self.lstms = [keras.layers.LSTM(c.rnn_size, return_sequences=True, return_state=True, name=f"lstm_{i}")
                      for i in range(c.num_layers)]
        self.dropouts = [keras.layers.Dropout(1.0 - c.output_keep_prob, name=f"dropout_{i}")
                         for i in range(c.num_layers)]
        self.output_layer = keras.layers.Dense(c.vocab_size, name="logits")
        self.trackers = {"loss": keras.metrics.Mean(name="loss"), "bpc": keras.metrics.Mean(name="bpc")}

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return list(self.trackers.values())

    def call(self, inputs: tf.Tensor, initial_state: Sequence[Sequence[tf.Tensor]] | None = None,
             training: bool = False, return_state: bool = False,
             valid: tf.Tensor | None = None) -> tf.Tensor | tuple[tf.Tensor, list[list[tf.Tensor]]]:
        """inputs [B, T] int ids -> logits [B, T, vocab_size]; with return_state also the final
        states, a list of num_layers [h, c] pairs, each [B, rnn_size]. initial_state: such a list
        (None: zeros). valid: optional bool [B, T]; steps where it is False leave the state
        unchanged (primes of different lengths, left-padded, read in one batch)."""
        x = self.embedding(inputs)
        states = []
        for i, (lstm, dropout) in enumerate(zip(self.lstms, self.dropouts)):
            x, h, c = lstm(x, initial_state=None if initial_state is None else initial_state[i], training=training,
                           mask=valid)
            x = dropout(x, training=training)
            states.append([h, c])
        logits = self.output_layer(x)
        return (logits, states) if return_state else logits

    def _report(self, nll):
        """Update the trackers with per-character NLL [B, T] (weighted by characters, so a short
        last validation batch counts exactly)."""
        count = tf.cast(tf.size(nll), tf.float32)
        mean = tf.reduce_mean(nll)
        self.trackers["loss"].update_state(mean, sample_weight=count)
        self.trackers["bpc"].update_state(mean / LN2, sample_weight=count)
        return {name: distribute.reported(t.result()) for name, t in self.trackers.items()}

    def train_step(self, data: tuple[tf.Tensor, tf.Tensor]) -> dict[str, tf.Tensor]:
        inputs, targets = data
        with tf.GradientTape() as tape:
            nll = char_cross_entropy(targets, self(inputs, training=True))
            loss = distribute.replica_loss(tf.reduce_mean(nll))
        grads = tape.gradient(loss, self.trainable_variables)
        if self.config.grad_clip_norm > 0:  # the global norm of the summed gradient on several replicas
            norm = self.config.grad_clip_norm
            grads = distribute.clip_aggregated(grads, lambda gs: tf.clip_by_global_norm(gs, norm)[0])
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return self._report(nll)

    def test_step(self, data: tuple[tf.Tensor, tf.Tensor]) -> dict[str, tf.Tensor]:
        inputs, targets = data
        return self._report(char_cross_entropy(targets, self(inputs, training=False)))

    def step(self, ids: tf.Tensor, states: Sequence[Sequence[tf.Tensor]]) -> tuple[tf.Tensor, list[list[tf.Tensor]]]:
        """One character per sample: ids [B] int, states (as in call) -> (logits [B, V], new states)."""
        x = self.embedding(ids)
        new_states = []
        for lstm, state in zip(self.lstms, states):
            x, state = lstm.cell(x, state, training=False)
            new_states.append(list(state))
        return self.output_layer(x), new_states

    def generate(self, prime: tf.Tensor, steps: int | tf.Tensor, temperature: float | tf.Tensor = 1.0,
                 top_k: int | tf.Tensor = 0, greedy: bool | tf.Tensor = False, seed: Sequence[int] | tf.Tensor = (0, 0),
                 prime_mask: tf.Tensor | None = None) -> tf.Tensor:
        """Continue `prime` [B, P] int ids (P >= 1) by `steps` characters in one tf.while_loop
        (wrap the caller in tf.function). The LSTM states after the prime are carried from step
        to step. prime_mask: optional bool [B, P] for primes of different lengths, left-padded
        (False on the padding; every row's last position must be real). temperature and top_k:
        scalars or one per row [B]. Returns ids [B, steps] int32 (the prime not included)."""
        logits, states = self(prime, return_state=True, valid=prime_mask)
        seed = tf.cast(tf.convert_to_tensor(seed), tf.int32)
        batch = tf.shape(prime)[0]

        def body(t, logits, states, out):
            step_seed = tf.stack([seed[0], seed[1] + t])
            ids = choose_next(logits, temperature, top_k, greedy, step_seed)
            out = out.write(t, ids)
            logits, states = self.step(ids, states)
            return t + 1, logits, states, out

        out = tf.TensorArray(tf.int32, size=steps, element_shape=tf.TensorShape([None]))
        _, _, _, out = tf.while_loop(lambda t, *_: t < steps, body,
                                     (tf.constant(0), logits[:, -1], states, out))
        return tf.reshape(tf.transpose(out.stack()), [batch, steps])


def text_nll(model: "CharRNN", ids: ArrayLike, num_streams: int = 64, chunk_length: int = 100,
             carry_state: bool = True) -> tuple[float, int]:
    """Mean negative log-likelihood in nats per character of a text `ids` [n] int.

    The text is cut into `num_streams` contiguous streams of equal length (fewer when the text is
    short; a remainder of less than one character per stream is left out), read side by side in
    chunks of `chunk_length` characters. carry_state=True (Graves 2013 section 3, karpathy's
    char-rnn): the LSTM state at the end of one chunk starts the next, so every character after a
    stream's first is predicted from all the text before it in its stream. carry_state=False: every
    chunk starts from a zero state, like the training windows (a pessimistic figure).
    Returns (nats per character, number of characters scored).
    """
    ids = np.asarray(ids, np.int32)
    num_streams = max(1, min(num_streams, len(ids) - 1))
    length = (len(ids) - 1) // num_streams
    if length < 1:
        raise ValueError(f"Need at least 2 characters to score a text; got {len(ids)}.")
    starts = np.arange(num_streams)[:, None] * length + np.arange(length + 1)[None, :]
    streams = ids[starts]  # [streams, length + 1]: inputs are [:, :-1], targets [:, 1:]
    zeros = [[tf.zeros([num_streams, model.config.rnn_size])] * 2 for _ in range(model.config.num_layers)]
    total = 0.0
    states = zeros
    for begin in range(0, length, chunk_length):
        end = min(begin + chunk_length, length)
        chunk_sum, new_states = _chunk_nll(model, tf.constant(streams[:, begin:end]),
                                           tf.constant(streams[:, begin + 1:end + 1]), states)
        total += float(chunk_sum)
        states = new_states if carry_state else zeros
    count = num_streams * length
    return total / count, count


@tf.function(reduce_retracing=True)
def _chunk_nll(model, inputs, targets, states):
    logits, new_states = model(inputs, initial_state=states, training=False, return_state=True)
    return tf.reduce_sum(char_cross_entropy(targets, logits)), new_states


def build_model(config: CharRNNConfig, compile: bool = True, jit_compile: bool = False) -> CharRNN:
    """A built CharRNN, compiled with Adam at learning rate config.learning_rate x decay_rate^step
    unless compile=False (sampling). XLA is off by default: on CPU the XLA-compiled LSTM loop
    measured 1.8x slower (bench notes)."""
    model = CharRNN(config)
    model(tf.zeros([1, 2], tf.int32))
    if compile:
        lr = keras.optimizers.schedules.ExponentialDecay(config.learning_rate, decay_steps=1,
                                                         decay_rate=config.decay_rate)
        model.compile(optimizer=keras.optimizers.Adam(lr), jit_compile=jit_compile)
    return model
