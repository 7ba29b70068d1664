"""The shared mixture head against independent numpy formulas."""
import numpy as np
import tensorflow as tf

from mdn import mixture


def numpy_bivariate_mixture_density(x, pi, mu, sigma, rho):
    """Graves 2013 eq. 23-25: sum_j pi_j N(x | mu_j, sigma_j, rho_j). x [2]; pi [M]; mu, sigma [M, 2]."""
    dx = (x[0] - mu[:, 0]) / sigma[:, 0]
    dy = (x[1] - mu[:, 1]) / sigma[:, 1]
    z = dx ** 2 + dy ** 2 - 2 * rho * dx * dy
    one_m_rho2 = 1 - rho ** 2
    n = np.exp(-z / (2 * one_m_rho2)) / (2 * np.pi * sigma[:, 0] * sigma[:, 1] * np.sqrt(one_m_rho2))
    return np.sum(pi * n)


def random_raw(rng, batch, m):
    return rng.normal(size=(batch, 6 * m)).astype(np.float32)


def test_log_prob_matches_numpy_formula():
    rng = np.random.default_rng(0)
    m, batch = 5, 7
    raw = random_raw(rng, batch, m)
    x = rng.normal(size=(batch, 2)).astype(np.float32)
    params = mixture.mixture_params(tf.constant(raw))
    log_p = mixture.offset_distribution(params).log_prob(x).numpy()
    for b in range(batch):
        pi_hat, mux, muy, lsx, lsy, rho_hat = np.split(raw[b].astype(np.float64), 6)
        pi = np.exp(pi_hat) / np.exp(pi_hat).sum()
        expected = np.log(numpy_bivariate_mixture_density(
            x[b], pi, np.stack([mux, muy], 1), np.exp(np.stack([lsx, lsy], 1)), np.tanh(rho_hat)))
        np.testing.assert_allclose(log_p[b], expected, rtol=1e-4, atol=1e-4)


def test_temperature_and_bias_transform_parameters():
    rng = np.random.default_rng(1)
    m = 4
    raw = tf.constant(random_raw(rng, 3, m))
    base = mixture.mixture_params(raw)
    hot = mixture.mixture_params(raw, temperature=0.25)
    np.testing.assert_allclose(hot.logits.numpy(), base.logits.numpy() / 0.25, rtol=1e-5)
    np.testing.assert_allclose(hot.sigma.numpy(), base.sigma.numpy() * 0.5, rtol=1e-5)
    biased = mixture.mixture_params(raw, bias=2.0)
    np.testing.assert_allclose(biased.logits.numpy(), base.logits.numpy() * 3.0, rtol=1e-5)
    np.testing.assert_allclose(biased.sigma.numpy(), base.sigma.numpy() * np.exp(-2.0), rtol=1e-5)


def test_sample_moments_match_mixture():
    """Samples of a 2-component mixture have the mixture's mean and covariance."""
    pi_hat = [0.0, np.log(3.0)]  # weights 1/4, 3/4
    raw = np.array([pi_hat + [1.0, -2.0] + [0.0, 1.0] + [np.log(0.5), np.log(1.0)]
                    + [np.log(1.0), np.log(0.3)] + [np.arctanh(0.5), 0.0]], np.float32)
    params = mixture.mixture_params(tf.constant(raw))
    samples = mixture.offset_distribution(params).sample(200000, seed=[3, 4]).numpy()[:, 0]
    w = np.array([0.25, 0.75])
    mus = np.array([[1.0, 0.0], [-2.0, 1.0]])
    mean = w @ mus
    np.testing.assert_allclose(samples.mean(0), mean, atol=0.02)
    covs = [np.array([[0.25, 0.5 * 0.5 * 1.0], [0.25, 1.0]]), np.array([[1.0, 0.0], [0.0, 0.09]])]
    second = sum(wi * (c + np.outer(mu, mu)) for wi, c, mu in zip(w, covs, mus))
    np.testing.assert_allclose(np.cov(samples.T), second - np.outer(mean, mean), atol=0.03)


def test_greedy_offset_is_mean_of_heaviest_component():
    raw = np.zeros((1, 12), np.float32)
    raw[0, :2] = [0.0, 5.0]      # component 1 dominates
    raw[0, 2:4] = [7.0, -3.0]    # mu_x
    raw[0, 4:6] = [8.0, 0.5]     # mu_y
    params = mixture.mixture_params(tf.constant(raw))
    np.testing.assert_allclose(mixture.greedy_offset(params).numpy(), [[-3.0, 0.5]])
