"""Graves' (2013) handwriting networks as Keras models: PredictionNetwork (section 4) and
SynthesisNetwork (section 5).

Data layout (data_utils.iam_batches.make_dataset): a batch is {"strokes": [B, T, 3] normalised offsets
(dx, dy, eos), "stroke_mask": [B, T]} and, for synthesis, {"chars": [B, U] int32, "char_mask":
[B, U]}. The network reads rows 0..T-2 and predicts rows 1..T-1.

Both networks: `num_layers` LSTM layers (Graves eq. 7-11, with peepholes) with skip
connections: the input reaches every layer, every layer reaches the output. The output
y_t = b + sum_n W_n h^n_t has 1 + 6M values per step: e_hat (end of stroke, eq. 18) and the
M-component bivariate-normal mixture of the next pen offset (eq. 19-22), built as tfp
distributions by mdn.mixture. The loss is eq. 26 summed over each line ("nats per sequence").

SynthesisNetwork adds the soft window (handwriting.attention): layer 1 reads [x_t, w_{t-1}],
the window w_t is computed from h^1_t, and layers 2..N read [x_t, h^{n-1}_t, w_t].

Gradient clipping as the paper: d loss / d y_t clipped to [-output_clip, output_clip] and the
derivatives w.r.t. every LSTM gate pre-activation to [-lstm_clip, lstm_clip], both per
sequence (the batch loss is the mean over lines, so the thresholds are divided by the batch
size). Inside the recurrence the clipped derivative is what flows back through time.

Layers without feedback from the window run `lstm_sequence`, an LSTM with a hand-written
backward pass (one large matmul for the recurrent weight gradient); the first layer of the
synthesis network runs with the window in a tf.while_loop with automatic differentiation and
`clip_gradient` identity ops on its gates.
"""
from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from handwriting.attention import (
    SoftWindow,
    soft_window,
    window_finished,
    window_parameters,
    window_peak,
    window_vector,
    window_weights,
)
from handwriting.config import HandwritingConfig
from mdn import mixture
from run_utils import distribute

INPUT_DIM = 3  # (dx, dy, eos)
MAX_POINTS_PER_CHAR = 40  # synthesis step cap (IAM-OnDB averages ~22 points per character)


# ----------------------------------------------------------------------------------------------
# LSTM with peepholes (Graves eq. 7-11) and derivative clipping


@tf.custom_gradient
def clip_gradient(x: tf.Tensor,
                  limit: tf.Tensor) -> tuple[tf.Tensor, Callable[[tf.Tensor], tuple[tf.Tensor, tf.Tensor]]]:
    """Identity in the forward pass; the incoming gradient is clipped to [-limit, limit]."""
    def grad(dy):
        return tf.clip_by_value(dy, -limit, limit), tf.zeros_like(limit)
    return tf.identity(x), grad


def lstm_step(z: tf.Tensor, h: tf.Tensor, c: tf.Tensor, recurrent_kernel: tf.Tensor | keras.Variable,
              peephole: tf.Tensor | keras.Variable, clip: tf.Tensor | None = None) -> tuple[tf.Tensor, tf.Tensor]:
    """One LSTM step. z [B, 4u]: input part of the gate pre-activations (i, g, f, o) with bias;
    h, c [B, u]; recurrent_kernel [u, 4u]; peephole [3, u] (i, f, o). clip: None, or the bound of
    the gradient w.r.t. each gate pre-activation. Returns (h, c)."""
    z = z + tf.matmul(h, recurrent_kernel)
    zi, zg, zf, zo = tf.split(z, 4, axis=-1)
    pre_i = zi + peephole[0] * c
    pre_f = zf + peephole[1] * c
    if clip is not None:
        pre_i, zg, pre_f = clip_gradient(pre_i, clip), clip_gradient(zg, clip), clip_gradient(pre_f, clip)
    c = tf.sigmoid(pre_f) * c + tf.sigmoid(pre_i) * tf.tanh(zg)
    pre_o = zo + peephole[2] * c
    if clip is not None:
        pre_o = clip_gradient(pre_o, clip)
    return tf.sigmoid(pre_o) * tf.tanh(c), c


@tf.custom_gradient
def lstm_sequence(zs: tf.Tensor, h0: tf.Tensor, c0: tf.Tensor, recurrent_kernel: tf.Tensor, peephole: tf.Tensor,
                  clip: tf.Tensor) -> tuple[tuple[tf.Tensor, tf.Tensor, tf.Tensor], Callable[..., tuple]]:
    """The lstm_step recurrence over a time-major sequence, with a hand-written backward pass
    equal to autodiff of lstm_step(..., clip) (every gate derivative clipped to +-clip).

    zs [T, B, 4u]; h0, c0 [B, u]; recurrent_kernel [u, 4u]; peephole [3, u]; clip [] (inf: none).
    Returns (hs [T, B, u], h_T, c_T)."""
    steps = tf.shape(zs)[0]
    units = tf.shape(h0)[1]
    p_i, p_f, p_o = peephole[0], peephole[1], peephole[2]

    def forward(t, h, c, hs, cs, acts):
        z = zs[t] + tf.matmul(h, recurrent_kernel)
        zi, zg, zf, zo = tf.split(z, 4, axis=-1)
        i, g, f = tf.sigmoid(zi + p_i * c), tf.tanh(zg), tf.sigmoid(zf + p_f * c)
        c = f * c + i * g
        o = tf.sigmoid(zo + p_o * c)
        h = o * tf.tanh(c)
        return t + 1, h, c, hs.write(t, h), cs.write(t, c), acts.write(t, tf.concat([i, g, f, o], -1))

    shape = h0.shape
    arrays = [tf.TensorArray(zs.dtype, size=steps, element_shape=shape) for _ in range(2)]
    arrays.append(tf.TensorArray(zs.dtype, size=steps, element_shape=zs.shape[1:]))
    _, h_last, c_last, hs, cs, acts = tf.while_loop(
        lambda t, *_: t < steps, forward, (tf.constant(0), h0, c0, *arrays))
    hs, cs, acts = hs.stack(), cs.stack(), acts.stack()

    def grad(d_hs, d_h_last, d_c_last):
        d_h_last = tf.zeros_like(h0) if d_h_last is None else d_h_last
        d_c_last = tf.zeros_like(c0) if d_c_last is None else d_c_last
        c_prev_all = tf.concat([c0[None], cs[:-1]], axis=0)
        kernel_t = tf.transpose(recurrent_kernel)

        def backward(k, dh_next, dc_next, dzs, d_peep):
            t = steps - 1 - k
            i, g, f, o = tf.split(acts[t], 4, axis=-1)
            c, c_prev = cs[t], c_prev_all[t]
            tc = tf.tanh(c)
            dh = d_hs[t] + dh_next
            d_o = tf.clip_by_value(dh * tc * o * (1.0 - o), -clip, clip)
            dc = dc_next + dh * o * (1.0 - tc * tc) + d_o * p_o
            d_i = tf.clip_by_value(dc * g * i * (1.0 - i), -clip, clip)
            d_g = tf.clip_by_value(dc * i * (1.0 - g * g), -clip, clip)
            d_f = tf.clip_by_value(dc * c_prev * f * (1.0 - f), -clip, clip)
            d = tf.concat([d_i, d_g, d_f, d_o], axis=-1)
            d_peep += tf.stack([tf.reduce_sum(d_i * c_prev, 0), tf.reduce_sum(d_f * c_prev, 0),
                                tf.reduce_sum(d_o * c, 0)])
            dc_prev = dc * f + d_i * p_i + d_f * p_f
            return k + 1, tf.matmul(d, kernel_t), dc_prev, dzs.write(t, d), d_peep

        dzs = tf.TensorArray(zs.dtype, size=steps, element_shape=zs.shape[1:])
        _, dh0, dc0, dzs, d_peep = tf.while_loop(
            lambda k, *_: k < steps, backward,
            (tf.constant(0), d_h_last, d_c_last, dzs, tf.zeros_like(peephole)))
        dzs = dzs.stack()
        h_prev = tf.reshape(tf.concat([h0[None], hs[:-1]], axis=0), [-1, units])
        d_kernel = tf.matmul(h_prev, tf.reshape(dzs, [-1, 4 * units]), transpose_a=True)
        return dzs, dh0, dc0, d_kernel, d_peep, tf.zeros_like(clip)

    return (hs, h_last, c_last), grad


def _recurrent_init(units):
    """[u, 4u]: an orthogonal block per gate."""
    def init(shape, dtype=None):
        return tf.concat([keras.initializers.Orthogonal()((units, units), dtype=dtype) for _ in range(4)], axis=1)
    return init


class LSTMLayer(keras.layers.Layer):
    """An LSTM layer with peepholes. Weights: kernel [input_dim, 4u], recurrent_kernel [u, 4u],
    bias [4u] (forget gate initialised to 1), peephole [3, u]. Gate order (i, g, f, o)."""

    def __init__(self, units: int, input_dim: int, **kwargs: Any):
        super().__init__(**kwargs)
        self.units = units
        self.input_dim = input_dim
        self.kernel = self.add_weight(shape=(input_dim, 4 * units), initializer="glorot_uniform", name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(units, 4 * units), initializer=_recurrent_init(units),
                                                name="recurrent_kernel")
        bias = np.zeros(4 * units, np.float32)
        bias[2 * units:3 * units] = 1.0
        self.bias = self.add_weight(shape=(4 * units,), initializer=keras.initializers.Constant(bias), name="bias")
        self.peephole = self.add_weight(shape=(3, units), initializer="zeros", name="peephole")
        self.built = True

    def project(self, x: tf.Tensor, first: int | None = None) -> tf.Tensor:
        """Input part of the gate pre-activations: x [..., d] -> [..., 4u], using the first d rows
        of the kernel (the bias included) or, with first=k, rows k.. (no bias)."""
        if first is not None:
            return tf.tensordot(x, self.kernel[first:], 1)
        return tf.tensordot(x, self.kernel[:x.shape[-1]], 1) + self.bias

    def step(self, z: tf.Tensor, h: tf.Tensor, c: tf.Tensor,
             clip: tf.Tensor | None = None) -> tuple[tf.Tensor, tf.Tensor]:
        return lstm_step(z, h, c, self.recurrent_kernel, self.peephole, clip)

    def sequence(self, z: tf.Tensor, h0: tf.Tensor, c0: tf.Tensor,
                 clip: tf.Tensor | None = None) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        """z [B, T, 4u], h0, c0 [B, u] -> (hs [B, T, u], h_T, c_T)."""
        clip = tf.constant(np.inf, tf.float32) if clip is None else clip
        hs, h, c = lstm_sequence(tf.transpose(z, [1, 0, 2]), h0, c0, tf.convert_to_tensor(self.recurrent_kernel),
                                 tf.convert_to_tensor(self.peephole), clip)
        return tf.transpose(hs, [1, 0, 2]), h, c


# ----------------------------------------------------------------------------------------------
# The networks


def output_distributions(
        eos_raw: tf.Tensor, mixture_raw: tf.Tensor, bias: float | tf.Tensor = 0.0, temperature: float | tf.Tensor = 1.0,
) -> tuple[tfp.distributions.MixtureSameFamily, tfp.distributions.Bernoulli, mixture.MixtureParams]:
    """The two parts of the output (MixtureHead.split): eos_raw [..., 1], mixture_raw [..., 6M]
    -> (pen-offset MixtureSameFamily, end-of-stroke Bernoulli, MixtureParams).
    bias: Graves' probability bias b (eq. 61-62); temperature: Sketch-RNN's, 1 = none."""
    params = mixture.mixture_params(mixture_raw, temperature=temperature, bias=bias)
    return mixture.offset_distribution(params), mixture.end_of_stroke_distribution(eos_raw[..., 0]), params


def sequence_losses(eos_raw: tf.Tensor, mixture_raw: tf.Tensor, strokes: tf.Tensor,
                    stroke_mask: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """Graves eq. 26 per line: the output parts [B, T-1, 1] and [B, T-1, 6M] predict strokes[:, 1:]
    (mask stroke_mask[:, 1:]). Returns (offset_nll [B], eos_nll [B], num_points [B]), each summed
    over the line's points."""
    target, mask = strokes[:, 1:], stroke_mask[:, 1:]
    offsets, eos, _ = output_distributions(eos_raw, mixture_raw)
    offset_nll = -offsets.log_prob(target[..., :2])
    eos_nll = -eos.log_prob(target[..., 2])
    return (tf.reduce_sum(offset_nll * mask, 1), tf.reduce_sum(eos_nll * mask, 1), tf.reduce_sum(mask, 1))


class HandwritingNetwork(keras.Model):
    """What both networks share: output head, loss, train/test steps, sampling.

    Subclasses define initial_state(batch, context), run(inputs, state, context, clip) for a whole
    teacher-forced sequence and step(x, state, context) for one sampling step, and
    make_context(chars, char_mask)."""

    def __init__(self, config: HandwritingConfig, **kwargs: Any):
        super().__init__(**kwargs)
        self.config = config
        self.head = mixture.MixtureHead(config.num_mixture, 1, name="mixture_head")
        self.head.build((None, config.num_layers * config.rnn_size))
        names = ["loss", "offset_loss", "eos_loss", "nats_per_point"]
        self.trackers = {n: keras.metrics.Mean(name=n) for n in names}

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return list(self.trackers.values())

    def make_context(self, chars: tf.Tensor | None = None, char_mask: tf.Tensor | None = None) -> tf.Tensor | None:
        return None

    def call(self, data: dict[str, tf.Tensor], training: bool = False) -> dict[str, tf.Tensor]:
        """Teacher-forced pass: {"raw": [B, T-1, 1+6M]} (+ "phi": [B, T-1, U+1] for synthesis)."""
        strokes = data["strokes"]
        batch = tf.shape(strokes)[0]
        # The loss is a mean over the global batch's lines (this replica's batch x replicas under
        # tf.distribute): the per-sequence clip bounds are scaled by it.
        per_line = tf.cast(batch * distribute.num_replicas(), tf.float32)
        context = self.make_context(data.get("chars"), data.get("char_mask"))
        clip = tf.constant(self.config.lstm_clip) / per_line if training else None
        raw, _, extras = self.run(strokes[:, :-1], self.initial_state(batch, context), context, clip)
        if training:
            raw = clip_gradient(raw, tf.constant(self.config.output_clip) / per_line)
        return {"raw": raw, **extras}

    def compute_losses(self, data: dict[str, tf.Tensor],
                       out: dict[str, tf.Tensor]) -> tuple[dict[str, tf.Tensor], tf.Tensor]:
        offset_nll, eos_nll, points = sequence_losses(*self.head.split(out["raw"]), data["strokes"],
                                                      data["stroke_mask"])
        total = offset_nll + eos_nll
        return {"loss": tf.reduce_mean(total), "offset_loss": tf.reduce_mean(offset_nll),
                "eos_loss": tf.reduce_mean(eos_nll),
                "nats_per_point": tf.reduce_sum(total) / tf.maximum(tf.reduce_sum(points), 1.0)}, tf.reduce_sum(points)

    def _report(self, losses, num_lines, num_points):
        for name, value in losses.items():
            weight = num_points if name == "nats_per_point" else num_lines
            self.trackers[name].update_state(value, sample_weight=weight)
        return {name: distribute.reported(t.result()) for name, t in self.trackers.items()}

    def train_step(self, data: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        with tf.GradientTape() as tape:
            out = self(data, training=True)
            losses, points = self.compute_losses(data, out)
            replica_share = distribute.replica_loss(losses["loss"])
        # Graves' clipping is per sequence inside the backward pass: the replicas' gradients are only summed.
        grads = tape.gradient(replica_share, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return self._report(losses, tf.cast(tf.shape(data["strokes"])[0], tf.float32), points)

    def make_test_function(self, force: bool = False) -> Callable:
        """Validation is not XLA-compiled: it sees every line length of the split once, and XLA
        would compile once per padded length; the train step sees few fixed shapes."""
        jit, self.jit_compile = self.jit_compile, False
        try:
            return super().make_test_function(force)
        finally:
            self.jit_compile = jit

    def test_step(self, data: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        out = self(data, training=False)
        losses, points = self.compute_losses(data, out)
        return self._report(losses, tf.cast(tf.shape(data["strokes"])[0], tf.float32), points)

    # ----- sampling ----------------------------------------------------------------------------
    def anchor(self, batch_size: int | tf.Tensor) -> tf.Tensor:
        """The first input row of every line: a (0, 0) offset, normalised, pen down: [B, 3]."""
        stats = self.config.offset_stats
        mean, std = np.asarray(stats.get("mean", [0.0, 0.0])), np.asarray(stats.get("std", [1.0, 1.0]))
        row = np.concatenate([-mean / std, [0.0]]).astype(np.float32)
        return tf.tile(tf.constant(row)[None], [batch_size, 1])

    def generate(self, batch_size: int | tf.Tensor, max_steps: int | tf.Tensor, bias: float | tf.Tensor = 0.0,
                 temperature: float | tf.Tensor = 1.0, seed: Sequence[int] | tf.Tensor = (0, 0),
                 chars: tf.Tensor | None = None, char_mask: tf.Tensor | None = None, prime: tf.Tensor | None = None,
                 prime_chars: tf.Tensor | None = None, record: bool = False) -> dict[str, tf.Tensor]:
        """Sample pen trajectories in one tf.while_loop (wrap the caller in tf.function).

        batch_size: B; max_steps: step cap; bias: Graves' probability bias b and temperature, each a
        scalar or one value per row [B]; seed [2] int32.
        chars [B, U] int32, char_mask [B, U]: the text (synthesis). prime [B, P, 3] normalised
        rows read teacher-forced before sampling (section 5.5); the sample continues after the
        last row. Default: the anchor row alone. Synthesis samples stop by the window rule.
        prime_chars [] or [B] int32 (synthesis, with a prime): how many leading characters of
        `chars` the prime writes; chars[prime_chars] must be the space between them and the text
        to write (negative: a row without a primed text). After reading the prime the window is
        moved onto that space (align_window): the network reads a prime written faster or slower
        than the lines it learnt from with its window behind or ahead of the prime's last letter,
        and would otherwise write the prime's last letters again or skip the text's first ones.
        Returns a dict: "strokes" [B, S, 3] normalised, zero after each sample's end; "lengths"
        [B] int32; for synthesis "window" [B, S] int32, at each step the position (0-based index
        into chars; the row's length U_b: past its last character) where phi is largest, the
        character being written; with record=True also "eos_prob" [B, S], "logits", "rho"
        [B, S, M], "mu", "sigma" [B, S, M, 2] (the biased parameters sampled from) and, for
        synthesis, "phi" [B, S, U+1] = phi(t, u) for u = 1..U+1. S <= max_steps is the number of
        steps run.
        """
        context = self.make_context(chars, char_mask)
        state = self.initial_state(batch_size, context)
        if prime is None:
            prime = self.anchor(batch_size)[:, None]
        num_chars = None if char_mask is None else tf.cast(tf.reduce_sum(char_mask, 1), tf.int32)
        if prime.shape[1] != 1:  # read all rows but the last (a 1-row prime leaves the state as is)
            initial = state
            state = tf.cond(tf.shape(prime)[1] > 1, lambda: self.run(prime[:, :-1], initial, context, None)[1],
                            lambda: initial)
        if prime_chars is not None and num_chars is not None:
            position = tf.broadcast_to(tf.cast(prime_chars, tf.int32), [batch_size])
            state = self.align_window(state, context, num_chars, position)
        prev = prime[:, -1]
        seed = tf.cast(tf.convert_to_tensor(seed), tf.int32)
        bias = tf.broadcast_to(tf.cast(bias, tf.float32), [batch_size])[:, None]  # [B, 1]: one per row
        temperature = tf.broadcast_to(tf.cast(temperature, tf.float32), [batch_size])[:, None]
        names = ["strokes"] + (["eos_prob", "logits", "mu", "sigma", "rho"] if record else [])
        if record and num_chars is not None:
            names.append("phi")
        arrays = {n: tf.TensorArray(tf.float32, size=0, dynamic_size=True) for n in names}
        if num_chars is not None:
            arrays["window"] = tf.TensorArray(tf.int32, size=0, dynamic_size=True)

        def body(t, prev, state, done, lengths, arrays):
            raw, state, extras = self.step(prev, state, context)
            step_seed = tf.stack([seed[0], seed[1] + t])
            offset_seed, eos_seed = tf.unstack(tf.random.experimental.stateless_split(step_seed, 2))
            offsets, eos, params = output_distributions(*self.head.split(raw), bias, temperature)
            point = tf.concat([offsets.sample(seed=offset_seed), eos.sample(seed=eos_seed)[:, None]], axis=-1)
            if num_chars is not None:
                done = tf.logical_or(done, window_finished(extras["phi"], num_chars))
            point = tf.where(done[:, None], tf.zeros_like(point), point)
            lengths += tf.cast(tf.logical_not(done), tf.int32)
            values = {"strokes": point}
            if record:
                values.update(eos_prob=eos.probs_parameter(), logits=tf.nn.log_softmax(params.logits),
                              mu=params.mu, sigma=params.sigma, rho=params.rho)
                if "phi" in arrays:
                    values["phi"] = extras["phi"]
            if num_chars is not None:
                values["window"] = tf.where(done, 0, window_peak(extras["phi"], num_chars))
            arrays = {n: arrays[n].write(t, values[n]) for n in arrays}
            return t + 1, point, state, done, lengths, arrays

        def keep_going(t, prev, state, done, lengths, arrays):
            return tf.logical_and(t < max_steps, tf.logical_not(tf.reduce_all(done)))

        done = tf.zeros([batch_size], tf.bool)
        lengths = tf.zeros([batch_size], tf.int32)
        _, _, _, _, lengths, arrays = tf.while_loop(
            keep_going, body, (tf.constant(0), prev, state, done, lengths, arrays))
        out = {}
        for name, array in arrays.items():
            value = array.stack()
            out[name] = tf.transpose(value, tf.concat([[1, 0], tf.range(2, tf.rank(value))], 0))
        out["lengths"] = lengths
        return out


class PredictionNetwork(HandwritingNetwork):
    """Graves section 4: stacked LSTMs with skip connections and a mixture density output."""

    def __init__(self, config: HandwritingConfig, **kwargs: Any):
        super().__init__(config, **kwargs)
        u = config.rnn_size
        self.lstms = [LSTMLayer(u, INPUT_DIM + (u if n else 0), name=f"lstm_{n + 1}")
                      for n in range(config.num_layers)]

    def initial_state(self, batch_size: int | tf.Tensor, context: tf.Tensor | None = None) -> list[tf.Tensor]:
        """[h_1, c_1, ..., h_N, c_N], each [B, u] zeros."""
        return [tf.zeros([batch_size, self.config.rnn_size]) for _ in range(2 * self.config.num_layers)]

    def run(self, inputs: tf.Tensor, state: Sequence[tf.Tensor], context: tf.Tensor | None = None,
            clip: tf.Tensor | None = None) -> tuple[tf.Tensor, list[tf.Tensor], dict[str, tf.Tensor]]:
        """inputs [B, T, 3] -> (raw [B, T, 1+6M], final state, {})."""
        outputs, new_state, below = [], [], None
        for n, lstm in enumerate(self.lstms):
            x = inputs if below is None else tf.concat([inputs, below], axis=-1)
            below, h, c = lstm.sequence(lstm.project(x), state[2 * n], state[2 * n + 1], clip)
            outputs.append(below)
            new_state += [h, c]
        return self.head(tf.concat(outputs, axis=-1)), new_state, {}

    def step(self, x: tf.Tensor, state: Sequence[tf.Tensor],
             context: tf.Tensor | None = None) -> tuple[tf.Tensor, list[tf.Tensor], dict[str, tf.Tensor]]:
        """x [B, 3] -> (raw [B, 1+6M], new state, {})."""
        outputs, new_state, below = [], [], None
        for n, lstm in enumerate(self.lstms):
            inp = x if below is None else tf.concat([x, below], axis=-1)
            below, c = lstm.step(lstm.project(inp), state[2 * n], state[2 * n + 1])
            outputs.append(below)
            new_state += [below, c]
        return self.head(tf.concat(outputs, axis=-1)), new_state, {}


class SynthesisNetwork(HandwritingNetwork):
    """Graves section 5: the prediction network conditioned on text through a soft window."""

    def __init__(self, config: HandwritingConfig, **kwargs: Any):
        super().__init__(config, **kwargs)
        if config.vocab_size < 1:
            raise ValueError("The synthesis network needs the alphabet: config.chars is empty.")
        u, v = config.rnn_size, config.vocab_size
        self.lstms = [LSTMLayer(u, INPUT_DIM + v + (u if n else 0), name=f"lstm_{n + 1}")
                      for n in range(config.num_layers)]
        self.window = SoftWindow(config.num_window, u, config.kappa_bias_init, name="window")

    def make_context(self, chars: tf.Tensor | None = None, char_mask: tf.Tensor | None = None) -> tf.Tensor:
        """chars [B, U] int32, char_mask [B, U] -> one-hot characters [B, U, C], zero on padding."""
        if chars is None:
            raise ValueError("The synthesis network needs the text: pass chars and char_mask.")
        return tf.one_hot(chars, self.config.vocab_size) * char_mask[..., None]

    def initial_state(self, batch_size: int | tf.Tensor, context: tf.Tensor | None = None) -> list[tf.Tensor]:
        """[h_1, c_1, ..., h_N, c_N, kappa [B, K], w [B, C]], all zeros."""
        c = self.config
        return ([tf.zeros([batch_size, c.rnn_size]) for _ in range(2 * c.num_layers)]
                + [tf.zeros([batch_size, c.num_window]), tf.zeros([batch_size, c.vocab_size])])

    def align_window(self, state: Sequence[tf.Tensor], context: tf.Tensor, num_chars: tf.Tensor,
                     position: tf.Tensor) -> list[tf.Tensor]:
        """Move the window of `state` (after a prime) so that phi peaks at `position` [B] int32
        (0-based index into the characters; negative: leave that row as it is); num_chars [B]
        int32 are the real lengths.

        Every Gaussian's kappa moves by the same whole number of characters, the distance from the
        current peak (window_peak) to `position`: the window keeps its shape and its phase within
        a character, and w is recomputed from the moved window (alpha and beta of the last step
        come again from h^1 in the state). A peak already at `position` changes nothing."""
        h1, kappa = state[0], state[-2]
        alpha, beta, _ = window_parameters(self.window.dense(h1), kappa)  # this step's alpha, beta
        num_positions = tf.shape(context)[1] + 1
        peak = window_peak(window_weights(alpha, beta, kappa, num_positions), num_chars)
        shift = tf.where(position >= 0, position - peak, 0)
        kappa = kappa + tf.cast(shift, kappa.dtype)[:, None]
        w = window_vector(window_weights(alpha, beta, kappa, num_positions)[:, :-1], context)
        w = tf.where((position >= 0)[:, None], w, state[-1])
        return list(state[:-2]) + [kappa, w]

    def _first_layer(self, inputs, state, one_hot, clip):
        """Layer 1 and the window over a sequence (tf.while_loop, autodiff).
        Returns (h [B, T, u], w [B, T, C], phi [B, T, U+1], final [h, c, kappa, w]).
        Weights are read once outside the loop and the inputs go through a TensorArray: a
        variable read or a tensor slice inside the loop would make autodiff store or add a
        full-size gradient at every step."""
        lstm = self.lstms[0]
        steps = tf.shape(inputs)[1]
        zs = tf.TensorArray(tf.float32, size=steps).unstack(tf.transpose(lstm.project(inputs), [1, 0, 2]))
        kernel_w = tf.convert_to_tensor(lstm.kernel)[INPUT_DIM:]
        recurrent, peephole = tf.convert_to_tensor(lstm.recurrent_kernel), tf.convert_to_tensor(lstm.peephole)
        window_kernel = tf.convert_to_tensor(self.window.dense.kernel)
        window_bias = tf.convert_to_tensor(self.window.dense.bias)
        h, c, kappa, w = state[0], state[1], state[-2], state[-1]

        def body(t, h, c, kappa, w, hs, ws, phis):
            h, c = lstm_step(zs.read(t) + tf.matmul(w, kernel_w), h, c, recurrent, peephole, clip)
            w, kappa, phi = soft_window(tf.matmul(h, window_kernel) + window_bias, kappa, one_hot)
            return t + 1, h, c, kappa, w, hs.write(t, h), ws.write(t, w), phis.write(t, phi)

        arrays = [tf.TensorArray(tf.float32, size=steps, element_shape=s.shape) for s in (h, w)]
        arrays.append(tf.TensorArray(tf.float32, size=steps, element_shape=[None, None]))
        _, h, c, kappa, w, hs, ws, phis = tf.while_loop(
            lambda t, *_: t < steps, body, (tf.constant(0), h, c, kappa, w, *arrays), maximum_iterations=steps)
        major = [tf.transpose(a.stack(), [1, 0, 2]) for a in (hs, ws, phis)]
        return (*major, [h, c, kappa, w])

    def run(self, inputs: tf.Tensor, state: Sequence[tf.Tensor], context: tf.Tensor,
            clip: tf.Tensor | None = None) -> tuple[tf.Tensor, list[tf.Tensor], dict[str, tf.Tensor]]:
        """inputs [B, T, 3], context one-hot [B, U, C] -> (raw [B, T, 1+6M], final state,
        {"phi": [B, T, U+1]})."""
        below, ws, phis, (h1, c1, kappa, w) = self._first_layer(inputs, state, context, clip)
        outputs, new_state = [below], [h1, c1]
        for n, lstm in enumerate(self.lstms[1:], start=1):
            x = tf.concat([inputs, ws, below], axis=-1)
            below, h, c = lstm.sequence(lstm.project(x), state[2 * n], state[2 * n + 1], clip)
            outputs.append(below)
            new_state += [h, c]
        return self.head(tf.concat(outputs, axis=-1)), new_state + [kappa, w], {"phi": phis}

    def step(self, x: tf.Tensor, state: Sequence[tf.Tensor],
             context: tf.Tensor) -> tuple[tf.Tensor, list[tf.Tensor], dict[str, tf.Tensor]]:
        """x [B, 3] -> (raw [B, 1+6M], new state, {"phi": [B, U+1]})."""
        first = self.lstms[0]
        kappa, w = state[-2], state[-1]
        below, c = first.step(first.project(tf.concat([x, w], axis=-1)), state[0], state[1])
        w, kappa, phi = self.window(below, kappa, context)
        outputs, new_state = [below], [below, c]
        for n, lstm in enumerate(self.lstms[1:], start=1):
            below, c = lstm.step(lstm.project(tf.concat([x, w, below], axis=-1)), state[2 * n], state[2 * n + 1])
            outputs.append(below)
            new_state += [below, c]
        return self.head(tf.concat(outputs, axis=-1)), new_state + [kappa, w], {"phi": phi}


def make_optimizer(config: HandwritingConfig) -> keras.optimizers.Optimizer:
    if config.optimizer == "rmsprop":  # Graves eq. 38-41
        return keras.optimizers.RMSprop(config.learning_rate, rho=config.rmsprop_rho, momentum=config.momentum,
                                        epsilon=config.epsilon, centered=True)
    return keras.optimizers.Adam(config.learning_rate)


def dummy_batch(config: HandwritingConfig, batch_size: int = 1, steps: int = 2,
                num_chars: int = 1) -> dict[str, tf.Tensor]:
    data = {"strokes": tf.zeros([batch_size, steps, 3]), "stroke_mask": tf.ones([batch_size, steps])}
    if config.task == "synthesis":
        data.update(chars=tf.zeros([batch_size, num_chars], tf.int32), char_mask=tf.ones([batch_size, num_chars]))
    return data


def build_model(config: HandwritingConfig, compile: bool = True, jit_compile: bool = False) -> HandwritingNetwork:
    """A built PredictionNetwork or SynthesisNetwork (by config.task), compiled with its
    optimizer unless compile=False (sampling)."""
    model = (SynthesisNetwork if config.task == "synthesis" else PredictionNetwork)(config)
    model(dummy_batch(config))
    if compile:
        model.compile(optimizer=make_optimizer(config), jit_compile=jit_compile)
    return model
