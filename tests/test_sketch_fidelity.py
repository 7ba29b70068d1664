"""Sketch-RNN against independent numpy restatements of the original magenta code: sampling
temperature, the validation cost of its eval model, the cells, initialisers and optimizer, and
the order of evaluation batches."""
import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from data_utils import sketch_data
from sketch_rnn.cells import HyperLSTMCell, LayerNormLSTMCell, make_cell
from sketch_rnn.config import SketchRNNConfig
from sketch_rnn.model import SketchRNN, build_model, sigma_scale
from tests.test_sketch_model import make_batch, tiny_config


# ----- 1. sampling temperature ---------------------------------------------------------------------
def original_sample_std(sigma, temperature):
    """The original's sample(): sample_gaussian_2d(..., np.sqrt(temperature)) does s1 *= temp * temp."""
    temp = np.sqrt(temperature)
    return sigma * temp * temp


def one_gaussian_model(sigma, rule):
    """An unconditional model whose every step outputs one component N(0, sigma^2 I) and pen down."""
    model = SketchRNN(tiny_config(conditional=False, num_mixture=1, use_recurrent_dropout=False))
    model({"strokes": tf.zeros([1, 13, 5]), "seq_len": tf.constant([12])})
    kernel, bias = model.output_layer.get_weights()
    bias[:] = 0.0
    bias[0] = 20.0                                  # pen logits: (down, up, end) -> always down
    bias[3 + 3:3 + 5] = math.log(sigma)              # [pi, mu_x, mu_y, log sx, log sy, rho]
    model.output_layer.set_weights([np.zeros_like(kernel), bias])
    return model


@pytest.mark.parametrize("rule,expected", [("code", original_sample_std(2.0, 0.25)), ("paper", 2.0 * 0.5)])
def test_temperature_scales_sigma_like_the_original_code(rule, expected):
    model = one_gaussian_model(2.0, rule)
    strokes, _ = model.generate(None, 4000, 1, temperature=0.25, seed=(3, 4), temperature_rule=rule)
    std = strokes.numpy()[:, 0, :2].std(axis=0)
    np.testing.assert_allclose(std, expected, rtol=0.05)


def test_code_rule_is_the_default_everywhere():
    assert float(sigma_scale(0.36)) == pytest.approx(original_sample_std(1.0, 0.36))
    assert float(sigma_scale(0.36, "paper")) == pytest.approx(0.6)
    with pytest.raises(ValueError, match="code, paper"):
        sigma_scale(0.5, "book")
    import inspect

    from sketch_rnn.sample import Sampler
    assert inspect.signature(SketchRNN.generate).parameters["temperature_rule"].default == "code"
    assert inspect.signature(Sampler).parameters["temperature_rule"].default == "code"


# ----- 2. validation cost of the original's eval model -------------------------------------------
def numpy_bivariate_density(x, y, pi_hat, mx, my, log_sx, log_sy, rho_hat):
    """The original's tf_2d_normal and mixture sum, per point: sum_k pi_k N(x, y | k)."""
    pi = np.exp(pi_hat - pi_hat.max(-1, keepdims=True))
    pi /= pi.sum(-1, keepdims=True)
    sx, sy, rho = np.exp(log_sx), np.exp(log_sy), np.tanh(rho_hat)
    zx, zy = (x[..., None] - mx) / sx, (y[..., None] - my) / sy
    z = zx ** 2 + zy ** 2 - 2 * rho * zx * zy
    neg_rho = 1 - rho ** 2
    density = np.exp(-z / (2 * neg_rho)) / (2 * np.pi * sx * sy * np.sqrt(neg_rho))
    return (pi * density).sum(-1)


def numpy_original_costs(raw, target, mu, presig, config, mask_pen):
    """r_cost, kl_cost of the original get_lossfunc / build_model, in float64 numpy."""
    raw, target = raw.astype(np.float64), target.astype(np.float64)
    m = config.num_mixture
    pen_logits = raw[..., :3]
    parts = np.split(raw[..., 3:], 6, axis=-1)
    density = numpy_bivariate_density(target[..., 0], target[..., 1], *parts)
    fs = 1.0 - target[..., 4]
    offset = -np.log(density + 1e-6) * fs
    log_softmax = pen_logits - np.log(np.exp(pen_logits).sum(-1, keepdims=True))
    pen = -(target[..., 2:] * log_softmax).sum(-1)
    if mask_pen:
        pen = pen * fs
    assert m == parts[0].shape[-1]
    r_cost = np.mean(offset + pen)
    kl = -0.5 * np.mean(1 + presig - mu ** 2 - np.exp(presig))
    return r_cost, max(kl, config.kl_tolerance)


def test_validation_is_the_original_eval_models_cost():
    """val loss = recon (pen loss over all N_max steps) + kl_weight_start * max(kl, tol), with z
    sampled; the KL weight stays at kl_weight_start whatever the training step."""
    config = tiny_config(use_recurrent_dropout=False, kl_tolerance=0.0)
    model = build_model(config)
    model.presig_layer.set_weights([w * 0 for w in model.presig_layer.get_weights()][:1] +
                                   [np.full(config.z_size, -60.0, np.float32)])  # sigma ~ 0: z = mu
    data = make_batch(np.random.default_rng(11))
    model.optimizer.iterations.assign(50000)  # a late step: the training KL weight is ~0.46 by now
    result = model.evaluate(tf.data.Dataset.from_tensors(data), verbose=0, return_dict=True)
    out = model(data, training=False)
    args = (out["raw"].numpy(), data["strokes"].numpy()[:, 1:], out["mu"].numpy(), out["presig"].numpy(), config)
    recon, kl = numpy_original_costs(*args, mask_pen=False)
    recon_masked, _ = numpy_original_costs(*args, mask_pen=True)
    assert result["recon"] == pytest.approx(recon, rel=1e-4)
    assert result["kl"] == pytest.approx(kl, rel=1e-4)
    assert result["loss"] == pytest.approx(recon + 0.01 * kl, rel=1e-4)
    assert result["recon_masked"] == pytest.approx(recon_masked, rel=1e-4)
    assert result["recon_masked"] < result["recon"]


def test_validation_samples_z():
    """The original's eval model samples z = mu + sigma * eps: two evaluations differ."""
    model = build_model(tiny_config(use_recurrent_dropout=False))
    model.presig_layer.set_weights([model.presig_layer.get_weights()[0], np.full(8, 2.0, np.float32)])
    ds = tf.data.Dataset.from_tensors(make_batch(np.random.default_rng(12)))
    first = model.evaluate(ds, verbose=0, return_dict=True)["recon"]
    second = model.evaluate(ds, verbose=0, return_dict=True)["recon"]
    assert first != second


# ----- 3. cells --------------------------------------------------------------------------------------
def numpy_layer_norm(x, gamma, beta, groups):
    shaped = x.reshape(x.shape[0], groups, -1)
    mean = shaped.mean(-1, keepdims=True)
    var = ((shaped - mean) ** 2).mean(-1, keepdims=True)
    return ((shaped - mean) / np.sqrt(var + 1e-3)).reshape(x.shape) * gamma + beta


def test_layer_norm_cell_is_the_originals_without_bias():
    """magenta LayerNormLSTMCell.__call__: concat([x, h]) @ [W_xh; W_hh] (no bias), layer_norm_all
    over the 4 gates, c' = c sigmoid(f + 1) + sigmoid(i) tanh(j), h' = tanh(LN(c')) sigmoid(o)."""
    rng = np.random.default_rng(13)
    cell = LayerNormLSTMCell(6, 4, name="ln")
    assert not any("bias" in w.name for w in cell.weights), [w.name for w in cell.weights]
    cell.ln_beta.assign(rng.normal(size=24).astype(np.float32))
    cell.ln_gamma.assign(rng.normal(size=24).astype(np.float32))
    x, h, c = (rng.normal(size=s).astype(np.float32) for s in [(3, 4), (3, 6), (3, 6)])
    new_h, (_, new_c) = cell.call(cell.project_inputs(tf.constant(x[:, None]))[:, 0], [tf.constant(h), tf.constant(c)])
    w_full = np.concatenate([cell.kernel.numpy(), cell.recurrent_kernel.numpy()])
    gates = numpy_layer_norm(np.concatenate([x, h], 1) @ w_full, cell.ln_gamma.numpy(), cell.ln_beta.numpy(), 4)
    i, j, f, o = np.split(gates, 4, axis=1)
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    expected_c = c * sig(f + 1.0) + sig(i) * np.tanh(j)
    expected_h = np.tanh(numpy_layer_norm(expected_c, cell.ln_c_gamma.numpy(), cell.ln_c_beta.numpy(), 1)) * sig(o)
    np.testing.assert_allclose(new_c.numpy(), expected_c, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(new_h.numpy(), expected_h, rtol=1e-4, atol=1e-5)


def test_hyper_lstm_inner_cell_has_no_bias_main_cell_has_one():
    cell = make_cell("hyper", 8, 5, 1.0, "dec_cell")
    assert isinstance(cell, HyperLSTMCell)
    assert not any("bias" in w.name for w in cell.hyper.weights)
    assert cell.bias.shape == (32,)


def test_input_dropout_covers_the_whole_cell_input_including_z():
    """With input keep probability ~0 every element of [S; z] is dropped, so in training the
    decoder's output does not depend on z (given the same initial state); at inference it does."""
    config = tiny_config(use_recurrent_dropout=False, use_input_dropout=True, input_dropout_prob=1e-7)
    model = SketchRNN(config)
    data = make_batch(np.random.default_rng(14))
    model(data)
    state = model.initial_state(tf.zeros([8, 8]), 8)
    z1, z2 = tf.random.normal([8, 8], seed=1), tf.random.normal([8, 8], seed=2) + 3.0
    inputs = data["strokes"][:, :-1]
    keras.utils.set_random_seed(5)
    a, _ = model.decode(inputs, z1, state, training=True)
    b, _ = model.decode(inputs, z2, state, training=True)
    np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-6)
    c, _ = model.decode(inputs, z1, state, training=False)
    d, _ = model.decode(inputs, z2, state, training=False)
    assert np.abs(c.numpy() - d.numpy()).max() > 1e-3


# ----- 4. initialisers and optimizer ---------------------------------------------------------------
def test_output_bias_is_glorot_uniform_and_adam_epsilon_is_tf1s():
    config = SketchRNNConfig(enc_rnn_size=8, dec_rnn_size=16, z_size=4, max_seq_len=10)
    model = build_model(config)
    bias = model.output_layer.bias.numpy()
    n = 6 * config.num_mixture + 3
    limit = math.sqrt(6.0 / (n + n))  # TF1 glorot_uniform_initializer on a 1-D shape [n]
    assert np.abs(bias).max() <= limit and np.abs(bias).max() > 0.5 * limit
    assert bias.std() == pytest.approx(limit / math.sqrt(3), rel=0.25)
    assert model.optimizer.epsilon == pytest.approx(1e-8)


# ----- 5. evaluation batches ---------------------------------------------------------------------------
def test_validation_batches_are_the_originals_sorted_batches():
    """DataLoader.preprocess sorts by length; get_batch(0..num_batches-1) leaves out the longest
    len % batch_size drawings."""
    rng = np.random.default_rng(15)
    lengths = rng.integers(2, 30, size=23)
    drawings = [np.tile([[1.0, 1.0, 0.0]], (n, 1)).astype(np.float32) for n in lengths]
    ds = sketch_data.make_dataset(sketch_data.sort_by_length(drawings), 30, 5, shuffle=False, repeat=False)
    seen = np.concatenate([b["seq_len"].numpy() for b in ds])
    expected = lengths[np.argsort(lengths)][:4 * 5]
    np.testing.assert_array_equal(seen, expected)
