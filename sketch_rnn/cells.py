"""Recurrent cells of the original Sketch-RNN, as Keras layers for `keras.layers.RNN`.

All three cells split the input-to-hidden product from the recurrence: `project_inputs` maps a
whole input sequence [batch, time, input_dim] to gate pre-activations in one large matmul
(done once, outside the time loop), and `call` consumes one projected step. A part of the input
that is constant over time (the latent z of the decoder) is projected once with
`project_inputs(x_seq, constant=z)` and broadcast instead of being multiplied at every step.

Cells (magenta `sketch_rnn/rnn.py`):
- LSTMCell: LSTM with recurrent dropout without memory loss (Semeniuta et al. 2016): dropout on
  the candidate g only, so the cell state is never erased.
- LayerNormLSTMCell: the same with layer normalisation of each gate and of the cell state.
- HyperLSTMCell: a small layer-norm LSTM (the hypernetwork, Ha et al. 2016) reads [x; h] and
  emits per-step scalings of the main LSTM's weight rows and biases.

State layout for every cell: a list [h, c] (HyperLSTM: [h, c, hyper_h, hyper_c]).
"""
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


def _layer_norm(x, gamma, beta, groups):
    """Normalise each of `groups` equal slices of the last axis separately. x: [batch, groups*n]."""
    shape = tf.shape(x)
    x = tf.reshape(x, [shape[0], groups, -1])
    mean, var = tf.nn.moments(x, axes=[2], keepdims=True)
    x = (x - mean) * tf.math.rsqrt(var + LN_EPSILON)
    return tf.reshape(x, shape) * gamma + beta


class LSTMCell(keras.layers.Layer):
    """LSTM with recurrent dropout on the candidate (keep probability `keep_prob`)."""

    gates_normalised = False

    def __init__(self, units, input_dim, keep_prob=1.0, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.input_dim = input_dim
        self.keep_prob = keep_prob
        self.state_size = [units, units]
        self.output_size = units
        self.kernel = self.add_weight(shape=(input_dim, 4 * units), initializer="glorot_uniform", name="kernel")
        self.recurrent_kernel = self.add_weight(
            shape=(units, 4 * units), initializer=_orthogonal_per_gate(units), name="recurrent_kernel")
        self.bias = self.add_weight(shape=(4 * units,), initializer="zeros", name="bias")
        self.built = True

    def project_inputs(self, x, constant=None):
        """x: [batch, time, d] (d = input_dim - constant_dim); constant: [batch, c] or None.
        Returns the input part of the gate pre-activations: [batch, time, 4*units]."""
        d = x.shape[-1]
        out = tf.einsum("btd,dg->btg", x, self.kernel[:d]) + self.bias
        if constant is not None:
            out += tf.matmul(constant, self.kernel[d:])[:, None, :]
        return out

    def _finish(self, gates, c, training):
        i, j, f, o = tf.split(gates, 4, axis=-1)
        g = tf.tanh(j)
        if training and self.keep_prob < 1.0:
            g = tf.nn.dropout(g, rate=1.0 - self.keep_prob)
        new_c = c * tf.sigmoid(f + FORGET_BIAS) + tf.sigmoid(i) * g
        return new_c, o

    def call(self, projected, states, training=None):
        h, c = states[0], states[1]
        gates = projected + tf.matmul(h, self.recurrent_kernel)
        new_c, o = self._finish(gates, c, training)
        new_h = tf.tanh(new_c) * tf.sigmoid(o)
        return new_h, [new_h, new_c]


class LayerNormLSTMCell(LSTMCell):
    """LSTM with layer normalisation of each gate pre-activation and of the cell state."""

    def __init__(self, units, input_dim, keep_prob=1.0, **kwargs):
        super().__init__(units, input_dim, keep_prob, **kwargs)
        self.ln_gamma = self.add_weight(shape=(4 * units,), initializer="ones", name="ln_gamma")
        self.ln_beta = self.add_weight(shape=(4 * units,), initializer="zeros", name="ln_beta")
        self.ln_c_gamma = self.add_weight(shape=(units,), initializer="ones", name="ln_c_gamma")
        self.ln_c_beta = self.add_weight(shape=(units,), initializer="zeros", name="ln_c_beta")

    def call(self, projected, states, training=None):
        h, c = states[0], states[1]
        gates = projected + tf.matmul(h, self.recurrent_kernel)
        gates = _layer_norm(gates, self.ln_gamma, self.ln_beta, 4)
        new_c, o = self._finish(gates, c, training)
        new_h = tf.tanh(_layer_norm(new_c, self.ln_c_gamma, self.ln_c_beta, 1)) * tf.sigmoid(o)
        return new_h, [new_h, new_c]


class HyperLSTMCell(keras.layers.Layer):
    """HyperLSTM (Ha, Dai & Le 2016) as in the original: a layer-norm hypernetwork LSTM of
    `hyper_units` reads [x; h] and produces, through embeddings of size `embedding_size`,
    per-unit scalings of the input and recurrent contributions of every gate and a bias; the
    main LSTM uses layer normalisation and recurrent dropout."""

    def __init__(self, units, input_dim, keep_prob=1.0, hyper_units=256, embedding_size=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.input_dim = input_dim
        self.keep_prob = keep_prob
        self.hyper_units = hyper_units
        self.embedding_size = embedding_size
        self.state_size = [units, units, hyper_units, hyper_units]
        self.output_size = units
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

    def project_inputs(self, x, constant=None):
        """Returns [batch, time, 4*units + 4*hyper_units]: the main x-part (without bias) and the
        hypernetwork's x-part of its gate pre-activations."""
        d = x.shape[-1]
        kernel = tf.concat([self.kernel, self.hyper.kernel[:self.input_dim]], axis=1)
        out = tf.einsum("btd,dg->btg", x, kernel[:d])
        out += tf.concat([tf.zeros_like(self.bias), self.hyper.bias], axis=0)
        if constant is not None:
            out += tf.matmul(constant, kernel[d:])[:, None, :]
        return out

    def _scale(self, embedding, alpha):
        """embedding [batch, 4*e] -> per-gate scaling [batch, 4*units]."""
        e = tf.reshape(embedding, [-1, 4, self.embedding_size])
        return tf.reshape(tf.einsum("bge,geu->bgu", e, alpha), [-1, 4 * self.units])

    def call(self, projected, states, training=None):
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
        g = tf.tanh(j)
        if training and self.keep_prob < 1.0:
            g = tf.nn.dropout(g, rate=1.0 - self.keep_prob)
        new_c = c * tf.sigmoid(f + FORGET_BIAS) + tf.sigmoid(i) * g
        new_h = tf.tanh(_layer_norm(new_c, self.ln_c_gamma, self.ln_c_beta, 1)) * tf.sigmoid(o)
        return new_h, [new_h, new_c, hyper_h, hyper_c]


CELLS = {"lstm": LSTMCell, "layer_norm": LayerNormLSTMCell, "hyper": HyperLSTMCell}


def make_cell(kind, units, input_dim, keep_prob, name):
    return CELLS[kind](units, input_dim, keep_prob=keep_prob, name=name)


def state_size_total(cell):
    return int(np.sum(cell.state_size))
