"""Recurrent cells of the original Sketch-RNN, as Keras layers for `keras.layers.RNN`.

All three cells split the input-to-hidden product from the recurrence: `project_inputs` maps a
whole input sequence [batch, time, input_dim] to gate pre-activations in one large matmul
(done once, outside the time loop), and `call` consumes one projected step. A part of the input
that is constant over time (the latent z of the decoder) is projected once with
`project_inputs(x_seq, constant=z)` and broadcast instead of being multiplied at every step.

Cells (magenta `sketch_rnn/rnn.py`):
- LSTMCell: LSTM with recurrent dropout without memory loss (Semeniuta et al. 2016): dropout on
  the candidate g only, so the cell state is never erased.
- LayerNormLSTMCell: the same with layer normalisation of each gate and of the cell state, and no
  bias before the gate normalisation (the original: "live life without garbage"; the norm's beta
  takes its place).
- HyperLSTMCell: a small layer-norm LSTM (the hypernetwork, Ha et al. 2016) reads [x; h] and
  emits per-step scalings of the main LSTM's weight rows and biases.

`run_sequence(projected, state, training)` runs a cell over a whole projected sequence and
returns (outputs [batch, time, units], final state). The plain LSTM does this with a hand-written
backward pass (`fused_lstm`): the backward loop only propagates dh and the recurrent weight
gradient is one large matmul over all steps, instead of one small accumulated matmul per step
as automatic differentiation of the loop does. The other cells run `scan_cell` and autodiff.

State layout for every cell: a list [h, c] (HyperLSTM: [h, c, hyper_h, hyper_c]).
"""
from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

FORGET_BIAS = 1.0
LN_EPSILON = 1e-3


def _orthogonal_per_gate(units, gates=4):
    """Recurrent kernel [units, gates*units]: an orthogonal block per gate (the original's init)."""
    def init(shape, dtype=None):
        blocks = [keras.initializers.Orthogonal()((units, units), dtype=dtype) for _ in range(gates)]
        return tf.concat(blocks, axis=1)
    return init


def scan_cell(cell: "LSTMCell | HyperLSTMCell", projected: tf.Tensor, state: Sequence[tf.Tensor],
              training: bool | None) -> tuple[tf.Tensor, list[tf.Tensor]]:
    """Run `cell.call` over projected inputs [batch, time, P] in a tf.while_loop (autodiff).
    Returns (outputs [batch, time, units], final state list)."""
    xs = tf.transpose(projected, [1, 0, 2])
    steps = tf.shape(xs)[0]

    def body(t, state, outputs):
        h, state = cell.call(xs[t], state, training=training)
        return t + 1, state, outputs.write(t, h)

    outputs = tf.TensorArray(projected.dtype, size=steps, element_shape=[None, cell.units])
    _, state, outputs = tf.while_loop(lambda t, *_: t < steps, body, (tf.constant(0), list(state), outputs))
    return tf.transpose(outputs.stack(), [1, 0, 2]), state


def dropout_masks(shape: tf.Tensor | Sequence[int], keep_prob: float, training: bool | None,
                  seed: keras.random.SeedGenerator) -> tf.Tensor | None:
    """Recurrent-dropout multipliers for every step: 0 or 1/keep_prob, or None when off. The random
    numbers come from the cell's seed generator, whose state the training checkpoints hold."""
    if not training or keep_prob >= 1.0:
        return None
    return tf.cast(keras.random.uniform(shape, seed=seed) < keep_prob, tf.float32) / keep_prob


def candidate_dropout(g: tf.Tensor, keep_prob: float, training: bool | None,
                      seed: keras.random.SeedGenerator) -> tf.Tensor:
    """The original's recurrent dropout of one step's candidate g (inverted: kept values / keep_prob)."""
    if not training or keep_prob >= 1.0:
        return g
    return keras.random.dropout(g, rate=1.0 - keep_prob, seed=seed)


@tf.custom_gradient
def fused_lstm(xs: tf.Tensor, h0: tf.Tensor, c0: tf.Tensor, kernel: tf.Tensor,
               drop: tf.Tensor) -> tuple[tuple[tf.Tensor, tf.Tensor], Callable[..., tuple]]:
    """The LSTMCell recurrence over a time-major sequence with a hand-written backward pass.

    xs: [time, batch, 4u] input part of the gate pre-activations (i, j, f, o); h0, c0: [batch, u];
    kernel: [u, 4u] recurrent weights; drop: [time, batch, u] recurrent-dropout multipliers for
    the candidate g (ones when dropout is off). Returns (hs [time, batch, u], c_T [batch, u]).
    """
    steps = tf.shape(xs)[0]
    units = tf.shape(h0)[1]

    def forward(t, h, c, hs, cs, acts):
        gates = xs[t] + tf.matmul(h, kernel)
        i, j, f, o = tf.split(gates, 4, axis=-1)
        i, tj, f, o = tf.sigmoid(i), tf.tanh(j), tf.sigmoid(f + FORGET_BIAS), tf.sigmoid(o)
        c = c * f + i * tj * drop[t]
        h = tf.tanh(c) * o
        return t + 1, h, c, hs.write(t, h), cs.write(t, c), acts.write(t, tf.concat([i, tj, f, o], -1))

    arrays = [tf.TensorArray(xs.dtype, size=steps) for _ in range(3)]
    _, _, c_last, hs, cs, acts = tf.while_loop(
        lambda t, *_: t < steps, forward, (tf.constant(0), h0, c0, *arrays))
    hs, cs, acts = hs.stack(), cs.stack(), acts.stack()

    def grad(d_hs, d_c_last):
        c_prev_all = tf.concat([c0[None], cs[:-1]], axis=0)
        kernel_t = tf.transpose(kernel)

        def backward(k, dh_next, dc, dgates):
            t = steps - 1 - k
            i, tj, f, o = tf.split(acts[t], 4, axis=-1)
            tc = tf.tanh(cs[t])
            dh = d_hs[t] + dh_next
            dc = dc + dh * o * (1.0 - tc * tc)
            d_i = dc * tj * drop[t] * i * (1.0 - i)
            d_j = dc * i * drop[t] * (1.0 - tj * tj)
            d_f = dc * c_prev_all[t] * f * (1.0 - f)
            d_o = dh * tc * o * (1.0 - o)
            d = tf.concat([d_i, d_j, d_f, d_o], axis=-1)
            return k + 1, tf.matmul(d, kernel_t), dc * f, dgates.write(t, d)

        dgates = tf.TensorArray(xs.dtype, size=steps)
        _, dh0, dc0, dgates = tf.while_loop(
            lambda k, *_: k < steps, backward, (tf.constant(0), tf.zeros_like(h0), d_c_last, dgates))
        dgates = dgates.stack()
        h_prev = tf.reshape(tf.concat([h0[None], hs[:-1]], axis=0), [-1, units])
        d_kernel = tf.matmul(h_prev, tf.reshape(dgates, [-1, 4 * units]), transpose_a=True)
        return dgates, dh0, dc0, d_kernel, None

    return (hs, c_last), grad


def _layer_norm(x, gamma, beta, groups):
    """Normalise each of `groups` equal slices of the last axis separately. x: [batch, groups*n]."""
    shape = tf.shape(x)
    x = tf.reshape(x, [shape[0], groups, -1])
    mean, var = tf.nn.moments(x, axes=[2], keepdims=True)
    x = (x - mean) * tf.math.rsqrt(var + LN_EPSILON)
    return tf.reshape(x, shape) * gamma + beta


class LSTMCell(keras.layers.Layer):
    """LSTM with recurrent dropout on the candidate (keep probability `keep_prob`)."""

    use_bias = True

    def __init__(self, units: int, input_dim: int, keep_prob: float = 1.0, **kwargs: Any):
        super().__init__(**kwargs)
        self.units = units
        self.input_dim = input_dim
        self.keep_prob = keep_prob
        self.state_size = [units, units]
        self.output_size = units
        self.dropout_seed = keras.random.SeedGenerator(name=f"{self.name}_dropout")
        self.kernel = self.add_weight(shape=(input_dim, 4 * units), initializer="glorot_uniform", name="kernel")
        self.recurrent_kernel = self.add_weight(
            shape=(units, 4 * units), initializer=_orthogonal_per_gate(units), name="recurrent_kernel")
        if self.use_bias:
            self.bias = self.add_weight(shape=(4 * units,), initializer="zeros", name="bias")
        self.built = True

    def project_inputs(self, x: tf.Tensor, constant: tf.Tensor | None = None) -> tf.Tensor:
        """x: [batch, time, d] (d = input_dim - constant_dim); constant: [batch, c] or None.
        Returns the input part of the gate pre-activations: [batch, time, 4*units]."""
        d = x.shape[-1]
        out = tf.einsum("btd,dg->btg", x, self.kernel[:d])
        if self.use_bias:
            out += self.bias
        if constant is not None:
            out += self.project_constant(constant)[:, None, :]
        return out

    def project_constant(self, constant: tf.Tensor) -> tf.Tensor:
        """The time-constant trailing input part [batch, c] -> [batch, 4*units]."""
        return tf.matmul(constant, self.kernel[-constant.shape[-1]:])

    def _finish(self, gates, c, training):
        i, j, f, o = tf.split(gates, 4, axis=-1)
        g = candidate_dropout(tf.tanh(j), self.keep_prob, training, self.dropout_seed)
        new_c = c * tf.sigmoid(f + FORGET_BIAS) + tf.sigmoid(i) * g
        return new_c, o

    def call(self, projected: tf.Tensor, states: Sequence[tf.Tensor],
             training: bool | None = None) -> tuple[tf.Tensor, list[tf.Tensor]]:
        h, c = states[0], states[1]
        gates = projected + tf.matmul(h, self.recurrent_kernel)
        new_c, o = self._finish(gates, c, training)
        new_h = tf.tanh(new_c) * tf.sigmoid(o)
        return new_h, [new_h, new_c]

    def run_sequence(self, projected: tf.Tensor, state: Sequence[tf.Tensor],
                     training: bool = False) -> tuple[tf.Tensor, list[tf.Tensor]]:
        """projected [batch, time, 4u], state [h, c] -> (outputs [batch, time, u], [h_T, c_T])."""
        xs = tf.transpose(projected, [1, 0, 2])
        h0, c0 = state[0], state[1]
        drop = dropout_masks(tf.concat([tf.shape(xs)[:2], [self.units]], 0), self.keep_prob, training,
                             self.dropout_seed)
        if drop is None:
            drop = tf.ones(tf.concat([tf.shape(xs)[:2], [self.units]], 0))
        hs, c_last = fused_lstm(xs, h0, c0, tf.convert_to_tensor(self.recurrent_kernel), drop)
        return tf.transpose(hs, [1, 0, 2]), [hs[-1], c_last]


class LayerNormLSTMCell(LSTMCell):
    """LSTM with layer normalisation of each gate pre-activation and of the cell state; no bias."""

    use_bias = False

    def __init__(self, units: int, input_dim: int, keep_prob: float = 1.0, **kwargs: Any):
        super().__init__(units, input_dim, keep_prob, **kwargs)
        self.ln_gamma = self.add_weight(shape=(4 * units,), initializer="ones", name="ln_gamma")
        self.ln_beta = self.add_weight(shape=(4 * units,), initializer="zeros", name="ln_beta")
        self.ln_c_gamma = self.add_weight(shape=(units,), initializer="ones", name="ln_c_gamma")
        self.ln_c_beta = self.add_weight(shape=(units,), initializer="zeros", name="ln_c_beta")

    def call(self, projected: tf.Tensor, states: Sequence[tf.Tensor],
             training: bool | None = None) -> tuple[tf.Tensor, list[tf.Tensor]]:
        h, c = states[0], states[1]
        gates = projected + tf.matmul(h, self.recurrent_kernel)
        gates = _layer_norm(gates, self.ln_gamma, self.ln_beta, 4)
        new_c, o = self._finish(gates, c, training)
        new_h = tf.tanh(_layer_norm(new_c, self.ln_c_gamma, self.ln_c_beta, 1)) * tf.sigmoid(o)
        return new_h, [new_h, new_c]

    def run_sequence(self, projected: tf.Tensor, state: Sequence[tf.Tensor],
                     training: bool = False) -> tuple[tf.Tensor, list[tf.Tensor]]:
        return scan_cell(self, projected, state, training)


class HyperLSTMCell(keras.layers.Layer):
    """HyperLSTM (Ha, Dai & Le 2016) as in the original: a layer-norm hypernetwork LSTM of
    `hyper_units` reads [x; h] and produces, through embeddings of size `embedding_size`,
    per-unit scalings of the input and recurrent contributions of every gate and a bias; the
    main LSTM uses layer normalisation and recurrent dropout."""

    def __init__(self, units: int, input_dim: int, keep_prob: float = 1.0, hyper_units: int = 256,
                 embedding_size: int = 32, **kwargs: Any):
        super().__init__(**kwargs)
        self.units = units
        self.input_dim = input_dim
        self.keep_prob = keep_prob
        self.hyper_units = hyper_units
        self.embedding_size = embedding_size
        self.state_size = [units, units, hyper_units, hyper_units]
        self.output_size = units
        self.dropout_seed = keras.random.SeedGenerator(name=f"{self.name}_dropout")
        self.hyper = LayerNormLSTMCell(hyper_units, input_dim + units, keep_prob=1.0, name="hyper_cell")
        self.kernel = self.add_weight(shape=(input_dim, 4 * units), initializer="glorot_uniform", name="kernel")
        self.recurrent_kernel = self.add_weight(
            shape=(units, 4 * units), initializer=_orthogonal_per_gate(units), name="recurrent_kernel")
        self.bias = self.add_weight(shape=(4 * units,), initializer="zeros", name="bias")
        e = embedding_size
        # Hyper embeddings -> scaling vectors for the x-part, h-part and bias of each of the 4 gates.
        self.z_x = self.add_weight(shape=(hyper_units, 4 * e), initializer="zeros", name="z_x")
        self.z_x_bias = self.add_weight(shape=(4 * e,), initializer="ones", name="z_x_bias")
        self.z_h = self.add_weight(shape=(hyper_units, 4 * e), initializer="zeros", name="z_h")
        self.z_h_bias = self.add_weight(shape=(4 * e,), initializer="ones", name="z_h_bias")
        self.z_b = self.add_weight(shape=(hyper_units, 4 * e),
                                   initializer=keras.initializers.RandomNormal(stddev=0.01), name="z_b")
        alpha_init = keras.initializers.Constant(0.1 / e)
        self.alpha_x = self.add_weight(shape=(4, e, units), initializer=alpha_init, name="alpha_x")
        self.alpha_h = self.add_weight(shape=(4, e, units), initializer=alpha_init, name="alpha_h")
        self.beta_b = self.add_weight(shape=(4, e, units), initializer="zeros", name="beta_b")
        self.ln_gamma = self.add_weight(shape=(4 * units,), initializer="ones", name="ln_gamma")
        self.ln_beta = self.add_weight(shape=(4 * units,), initializer="zeros", name="ln_beta")
        self.ln_c_gamma = self.add_weight(shape=(units,), initializer="ones", name="ln_c_gamma")
        self.ln_c_beta = self.add_weight(shape=(units,), initializer="zeros", name="ln_c_beta")
        self.built = True

    def project_inputs(self, x: tf.Tensor, constant: tf.Tensor | None = None) -> tf.Tensor:
        """Returns [batch, time, 4*units + 4*hyper_units]: the main x-part (without bias) and the
        hypernetwork's x-part of its gate pre-activations (its layer-norm cell has no bias)."""
        d = x.shape[-1]
        out = tf.einsum("btd,dg->btg", x, self._input_kernel()[:d])
        if constant is not None:
            out += self.project_constant(constant)[:, None, :]
        return out

    def _input_kernel(self):
        return tf.concat([self.kernel, self.hyper.kernel[:self.input_dim]], axis=1)

    def project_constant(self, constant: tf.Tensor) -> tf.Tensor:
        """The time-constant trailing input part [batch, c] -> [batch, 4*units + 4*hyper_units]."""
        return tf.matmul(constant, self._input_kernel()[self.input_dim - constant.shape[-1]:self.input_dim])

    def _scale(self, embedding, alpha):
        """embedding [batch, 4*e] -> per-gate scaling [batch, 4*units]."""
        e = tf.reshape(embedding, [-1, 4, self.embedding_size])
        return tf.reshape(tf.einsum("bge,geu->bgu", e, alpha), [-1, 4 * self.units])

    def call(self, projected: tf.Tensor, states: Sequence[tf.Tensor],
             training: bool | None = None) -> tuple[tf.Tensor, list[tf.Tensor]]:
        h, c, hyper_h, hyper_c = states
        n = 4 * self.units
        main_x, hyper_x = projected[:, :n], projected[:, n:]
        hyper_in = hyper_x + tf.matmul(h, self.hyper.kernel[self.input_dim:])
        hyper_out, (hyper_h, hyper_c) = self.hyper.call(hyper_in, [hyper_h, hyper_c], training)
        scale_x = self._scale(tf.matmul(hyper_out, self.z_x) + self.z_x_bias, self.alpha_x)
        scale_h = self._scale(tf.matmul(hyper_out, self.z_h) + self.z_h_bias, self.alpha_h)
        bias = self.bias + self._scale(tf.matmul(hyper_out, self.z_b), self.beta_b)
        gates = scale_x * main_x + scale_h * tf.matmul(h, self.recurrent_kernel) + bias
        gates = _layer_norm(gates, self.ln_gamma, self.ln_beta, 4)
        i, j, f, o = tf.split(gates, 4, axis=-1)
        g = candidate_dropout(tf.tanh(j), self.keep_prob, training, self.dropout_seed)
        new_c = c * tf.sigmoid(f + FORGET_BIAS) + tf.sigmoid(i) * g
        new_h = tf.tanh(_layer_norm(new_c, self.ln_c_gamma, self.ln_c_beta, 1)) * tf.sigmoid(o)
        return new_h, [new_h, new_c, hyper_h, hyper_c]

    def run_sequence(self, projected: tf.Tensor, state: Sequence[tf.Tensor],
                     training: bool = False) -> tuple[tf.Tensor, list[tf.Tensor]]:
        return scan_cell(self, projected, state, training)


CELLS = {"lstm": LSTMCell, "layer_norm": LayerNormLSTMCell, "hyper": HyperLSTMCell}


def make_cell(kind: str, units: int, input_dim: int, keep_prob: float, name: str) -> LSTMCell | HyperLSTMCell:
    return CELLS[kind](units, input_dim, keep_prob=keep_prob, name=name)


def state_size_total(cell: LSTMCell | HyperLSTMCell) -> int:
    return int(np.sum(cell.state_size))
