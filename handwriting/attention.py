"""The soft window of Graves' synthesis network (2013, section 5.1, eq. 46-51).

From the first hidden layer's output h [B, H] a dense layer emits 3K values
(alpha_hat, beta_hat, kappa_hat) for K Gaussian windows; with the one-hot characters c [B, U, C]:

    alpha = exp(alpha_hat), beta = exp(beta_hat), kappa_t = kappa_{t-1} + exp(kappa_hat)   [B, K]
    phi(t, u) = sum_k alpha_k exp(-beta_k (kappa_k - u)^2),   u = 1..U                     [B, U]
    w_t = sum_u phi(t, u) c_u                                                              [B, C]

Sampling stops (section 5.3) when phi(t, U + 1), the weight just past the last character,
exceeds phi(t, u) of every character u = 1..U. window_peak is the position of the largest phi:
the character being written (what the window plots, Fig. 13, show as their brightest cell).
"""
from typing import Any

import keras
import tensorflow as tf


def window_parameters(raw: tf.Tensor, kappa_prev: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """raw [B, 3K] (alpha_hat, beta_hat, kappa_hat), kappa_prev [B, K] -> alpha, beta, kappa [B, K]."""
    alpha_hat, beta_hat, kappa_hat = tf.split(raw, 3, axis=-1)
    return tf.exp(alpha_hat), tf.exp(beta_hat), kappa_prev + tf.exp(kappa_hat)


def window_weights(alpha: tf.Tensor, beta: tf.Tensor, kappa: tf.Tensor, num_positions: int | tf.Tensor) -> tf.Tensor:
    """phi(t, u) for u = 1..num_positions: alpha, beta, kappa [B, K] -> [B, num_positions]."""
    u = tf.cast(tf.range(1, num_positions + 1), alpha.dtype)
    distance = kappa[:, :, None] - u[None, None, :]                      # [B, K, U]
    return tf.reduce_sum(alpha[:, :, None] * tf.exp(-beta[:, :, None] * tf.square(distance)), axis=1)


def window_vector(phi: tf.Tensor, one_hot: tf.Tensor) -> tf.Tensor:
    """w = sum_u phi(u) c_u: phi [B, U], one_hot [B, U, C] (zero rows on padding) -> [B, C]."""
    return tf.einsum("bu,buc->bc", phi, one_hot)


def window_finished(phi_ext: tf.Tensor, num_chars: tf.Tensor) -> tf.Tensor:
    """The stopping rule: phi_ext [B, U_max + 1] = phi(t, u) for u = 1..U_max + 1 and the real
    lengths num_chars [B] int32 -> bool [B], True where phi(t, U + 1) > phi(t, u) for all u <= U."""
    positions = tf.range(tf.shape(phi_ext)[1])
    after_last = tf.gather(phi_ext, num_chars, axis=1, batch_dims=1)      # phi(t, U + 1)
    real = positions[None, :] < num_chars[:, None]
    best_char = tf.reduce_max(tf.where(real, phi_ext, tf.fill(tf.shape(phi_ext), -1.0)), axis=1)
    return after_last > best_char


def window_peak(phi_ext: tf.Tensor, num_chars: tf.Tensor) -> tf.Tensor:
    """Where the window weighs most: phi_ext [B, U_max + 1] (u = 1..U_max + 1), real lengths
    num_chars [B] int32 -> int32 [B], the 0-based position argmax_u phi(t, u) over the row's
    characters and the position after them (num_chars[b]: the window has passed the last one)."""
    positions = tf.range(tf.shape(phi_ext)[1])
    real = positions[None, :] <= num_chars[:, None]
    return tf.argmax(tf.where(real, phi_ext, tf.fill(tf.shape(phi_ext), -1.0)), axis=1, output_type=tf.int32)


def soft_window(raw: tf.Tensor, kappa_prev: tf.Tensor, one_hot: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """raw [B, 3K] window outputs of the first layer -> (w [B, C], kappa [B, K], phi [B, U + 1])."""
    alpha, beta, kappa = window_parameters(raw, kappa_prev)
    phi = window_weights(alpha, beta, kappa, tf.shape(one_hot)[1] + 1)
    return window_vector(phi[:, :-1], one_hot), kappa, phi


class SoftWindow(keras.layers.Layer):
    """h [B, H], kappa_prev [B, K], one_hot [B, U, C] -> (w [B, C], kappa [B, K], phi [B, U + 1]).

    phi holds the weights of the U character positions and of position U + 1 (for the stopping
    rule); w uses the first U (one_hot is zero on padded positions)."""

    def __init__(self, num_window: int, input_dim: int, kappa_bias_init: float = -3.0, **kwargs: Any):
        super().__init__(**kwargs)
        self.num_window = num_window
        bias = [0.0] * (2 * num_window) + [kappa_bias_init] * num_window
        self.dense = keras.layers.Dense(3 * num_window, bias_initializer=keras.initializers.Constant(bias),
                                        name="window_params")
        self.dense.build((None, input_dim))
        self.built = True

    def call(self, h: tf.Tensor, kappa_prev: tf.Tensor, one_hot: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        return soft_window(self.dense(h), kappa_prev, one_hot)
