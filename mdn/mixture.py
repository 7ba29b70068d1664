"""Mixture density outputs shared by the stroke models (Sketch-RNN and Graves handwriting).

A network emits, per time step, 6M raw values for M bivariate-normal components of the pen
offset (dx, dy): M mixture logits, 2M means, 2M log standard deviations and M correlation
pre-activations. `mixture_params` turns them into constrained parameters (optionally with a
sampling temperature or Graves' probability bias) and `offset_distribution` into a
`tfp.distributions.MixtureSameFamily(Categorical, MultivariateNormalTriL)`; losses are its
`log_prob`, sampling its `sample`.

`MixtureHead` is the output layer of a stroke model and the one owner of M and of the layout: per
step it emits `num_extra` pen-state values (Sketch-RNN: 3 pen logits; Graves: 1 end-of-stroke
value) followed by the 6M mixture values, and `split` separates the two.

Raw mixture layout along the last axis (size 6M): [pi_hat(M), mu_x(M), mu_y(M), log_sigma_x(M),
log_sigma_y(M), rho_hat(M)].
"""
from typing import NamedTuple

import keras
import tensorflow as tf
import tensorflow_probability as tfp

tfd = tfp.distributions

# tanh can round to exactly +-1 in float32, which makes the covariance singular; keep |rho| below 1.
RHO_LIMIT = 1.0 - 1e-5


class MixtureParams(NamedTuple):
    """Constrained mixture parameters. Shapes: logits [..., M], mu [..., M, 2],
    sigma [..., M, 2] (> 0), rho [..., M] in (-1, 1)."""
    logits: tf.Tensor
    mu: tf.Tensor
    sigma: tf.Tensor
    rho: tf.Tensor


class MixtureHead(keras.layers.Dense):
    """Dense output layer h [..., H] -> raw [..., num_extra + 6M]: the pen-state values first, then
    the offset mixture (the layout in the module docstring)."""

    def __init__(self, num_mixture: int, num_extra: int, **kwargs):
        super().__init__(num_extra + 6 * num_mixture, **kwargs)
        self.num_mixture = num_mixture
        self.num_extra = num_extra

    def split(self, raw: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """raw [..., num_extra + 6M] -> (pen-state values [..., num_extra], mixture raw [..., 6M])."""
        return raw[..., :self.num_extra], raw[..., self.num_extra:]


def mixture_params(raw: tf.Tensor, temperature=1.0, bias=0.0, sigma_scale=None) -> MixtureParams:
    """raw [..., 6M] -> MixtureParams.

    temperature tau: mixture logits divided by tau, standard deviations multiplied by
    `sigma_scale`, which defaults to sqrt(tau) (variances multiplied by tau, Ha & Eck eq. 8; the
    original sketch_rnn code scales sigma by tau itself, see sketch_rnn.model.sigma_scale). bias b
    (Graves 2013 eq. 61-62): logits multiplied by (1 + b), standard deviations by exp(-b). All
    default to the unmodified distribution. temperature, bias and sigma_scale are scalars or one
    value per row, shaped [..., 1] like raw's leading axes (each sample of a batch its own).
    """
    pi_hat, mu_x, mu_y, log_sx, log_sy, rho_hat = tf.split(raw, 6, axis=-1)
    temperature = tf.cast(temperature, raw.dtype)
    bias = tf.cast(bias, raw.dtype)
    logits = pi_hat * (1.0 + bias) / temperature
    mu = tf.stack([mu_x, mu_y], axis=-1)
    if sigma_scale is None:
        sigma_scale = tf.sqrt(temperature)
    # [..., 1] -> [..., 1, 1] against sigma's [..., M, 2] (a scalar becomes [1]: the same value)
    log_sigma = tf.stack([log_sx, log_sy], axis=-1) - bias[..., None]
    sigma = tf.exp(log_sigma) * tf.cast(sigma_scale, raw.dtype)[..., None]
    rho = tf.clip_by_value(tf.tanh(rho_hat), -RHO_LIMIT, RHO_LIMIT)
    return MixtureParams(logits, mu, sigma, rho)


def scale_tril(sigma: tf.Tensor, rho: tf.Tensor) -> tf.Tensor:
    """Cholesky factor of [[sx^2, rho sx sy], [rho sx sy, sy^2]]: shape [..., M, 2, 2]."""
    sx, sy = sigma[..., 0], sigma[..., 1]
    zero = tf.zeros_like(sx)
    row0 = tf.stack([sx, zero], axis=-1)
    row1 = tf.stack([rho * sy, sy * tf.sqrt(1.0 - tf.square(rho))], axis=-1)
    return tf.stack([row0, row1], axis=-2)


def offset_distribution(params: MixtureParams) -> tfd.MixtureSameFamily:
    """The pen-offset distribution: batch shape [...], event shape [2]."""
    return tfd.MixtureSameFamily(
        mixture_distribution=tfd.Categorical(logits=params.logits),
        components_distribution=tfd.MultivariateNormalTriL(
            loc=params.mu, scale_tril=scale_tril(params.sigma, params.rho)),
    )


def greedy_offset(params: MixtureParams) -> tf.Tensor:
    """The mean of the most probable component (the original code's greedy mode): [..., 2]."""
    best = tf.argmax(params.logits, axis=-1)
    return tf.gather(params.mu, best, axis=-2, batch_dims=len(params.logits.shape) - 1)


def end_of_stroke_distribution(eos_raw: tf.Tensor) -> tfd.Bernoulli:
    """Graves 2013 eq. 18: the end-of-stroke probability e = 1 / (1 + exp(e_hat)) of the raw
    output e_hat [...], as a tfp Bernoulli over {0, 1} (float32 samples), batch shape [...]."""
    return tfd.Bernoulli(logits=-eos_raw, dtype=eos_raw.dtype)
