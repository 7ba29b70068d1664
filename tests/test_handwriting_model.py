"""Graves' handwriting networks against independent numpy formulas and the paper's rules."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from handwriting import attention
from handwriting.config import HandwritingConfig
from handwriting.model import (
    build_model,
    clip_gradient,
    lstm_sequence,
    lstm_step,
    output_distributions,
    sequence_losses,
)
from mdn import mixture


def tiny_config(**overrides):
    values = dict(task="synthesis", num_layers=2, rnn_size=12, num_mixture=3, num_window=2, chars=list(" abc"),
                  optimizer="adam", learning_rate=0.01, jit_compile=False)
    values.update(overrides)
    return HandwritingConfig(**values)


# ----------------------------------------------------------------------------------------------
# Soft window (eq. 46-51) and the stopping rule (section 5.3)


def numpy_window(raw, kappa_prev, one_hot):
    """Graves eq. 46-51 written out with loops."""
    b_size, u_size, _ = one_hot.shape
    k_size = kappa_prev.shape[1]
    alpha, beta = np.exp(raw[:, :k_size]), np.exp(raw[:, k_size:2 * k_size])
    kappa = kappa_prev + np.exp(raw[:, 2 * k_size:])
    phi = np.zeros((b_size, u_size + 1))
    for b in range(b_size):
        for u in range(1, u_size + 2):
            phi[b, u - 1] = sum(alpha[b, k] * np.exp(-beta[b, k] * (kappa[b, k] - u) ** 2) for k in range(k_size))
    w = np.einsum("bu,buc->bc", phi[:, :u_size], one_hot)
    return w, kappa, phi


def test_soft_window_matches_numpy_reference():
    rng = np.random.default_rng(0)
    b, k, u, c = 3, 4, 6, 5
    raw = rng.normal(size=(b, 3 * k)).astype(np.float32)
    kappa_prev = rng.uniform(0, 5, size=(b, k)).astype(np.float32)
    ids = rng.integers(0, c, size=(b, u))
    mask = (np.arange(u)[None] < np.array([[6], [4], [1]])).astype(np.float32)
    one_hot = np.eye(c, dtype=np.float32)[ids] * mask[..., None]
    w, kappa, phi = attention.soft_window(tf.constant(raw), tf.constant(kappa_prev), tf.constant(one_hot))
    w_ref, kappa_ref, phi_ref = numpy_window(raw.astype(np.float64), kappa_prev, one_hot)
    np.testing.assert_allclose(kappa.numpy(), kappa_ref, rtol=1e-5)
    np.testing.assert_allclose(phi.numpy(), phi_ref, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(w.numpy(), w_ref, rtol=1e-4, atol=1e-6)
    # Padded characters contribute nothing: the last row only sees character 1.
    np.testing.assert_allclose(w.numpy()[2], phi_ref[2, 0] * np.eye(c)[ids[2, 0]], rtol=1e-4, atol=1e-6)


def test_stopping_rule():
    # phi over positions 1..U_max+1 = 1..5; the real lengths are 4 and 2.
    phi = np.array([[0.1, 0.2, 0.3, 0.6, 0.5],    # U=4: phi(5)=0.5 < phi(4)=0.6 -> go on
                    [0.1, 0.2, 0.3, 0.0, 0.0],    # U=2: phi(3)=0.3 > max(0.1, 0.2) -> stop
                    [0.1, 0.2, 0.3, 0.4, 0.9],    # U=4: phi(5)=0.9 beats all -> stop
                    [0.9, 0.2, 0.1, 5.0, 5.0]],   # U=2: phi(3)=0.1 < 0.9 -> go on; padding is ignored
                   np.float32)
    done = attention.window_finished(tf.constant(phi), tf.constant([4, 2, 4, 2]))
    np.testing.assert_array_equal(done.numpy(), [False, True, True, False])


# ----------------------------------------------------------------------------------------------
# Loss (eq. 23-26)


def numpy_sequence_loss(raw, strokes, mask, m):
    """-sum_t log(sum_j pi_j N(x_{t+1} | mu_j, sigma_j, rho_j)) - log(e_t or 1 - e_t), per line."""
    out = np.zeros(len(raw))
    for b in range(raw.shape[0]):
        for t in range(raw.shape[1]):
            if not mask[b, t + 1]:
                continue
            x1, x2, x3 = strokes[b, t + 1]
            e_hat = raw[b, t, 0]
            pi_hat, mu1, mu2, ls1, ls2, rho_hat = np.split(raw[b, t, 1:], 6)
            pi = np.exp(pi_hat) / np.exp(pi_hat).sum()
            s1, s2, rho = np.exp(ls1), np.exp(ls2), np.tanh(rho_hat)
            z = ((x1 - mu1) / s1) ** 2 + ((x2 - mu2) / s2) ** 2 - 2 * rho * (x1 - mu1) * (x2 - mu2) / (s1 * s2)
            n = np.exp(-z / (2 * (1 - rho ** 2))) / (2 * np.pi * s1 * s2 * np.sqrt(1 - rho ** 2))
            e = 1.0 / (1.0 + np.exp(e_hat))
            out[b] -= np.log(np.sum(pi * n)) + np.log(e if x3 == 1 else 1 - e)
    return out


def test_loss_matches_graves_formula():
    rng = np.random.default_rng(1)
    b, t, m = 3, 6, 4
    raw = rng.normal(size=(b, t - 1, 1 + 6 * m))
    strokes = rng.normal(size=(b, t, 3))
    strokes[..., 2] = rng.integers(0, 2, size=(b, t))
    mask = (np.arange(t)[None] < np.array([[6], [3], [5]])).astype(np.float64)
    raw32 = tf.constant(raw, tf.float32)
    offset_nll, eos_nll, points = sequence_losses(raw32[..., :1], raw32[..., 1:], tf.constant(strokes, tf.float32),
                                                  tf.constant(mask, tf.float32))
    np.testing.assert_allclose((offset_nll + eos_nll).numpy(), numpy_sequence_loss(raw, strokes, mask, m),
                               rtol=1e-4)
    np.testing.assert_array_equal(points.numpy(), [5, 2, 4])


def test_large_bias_collapses_samples_to_the_mode():
    rng = np.random.default_rng(2)
    m = 5
    raw = rng.normal(size=(64, 1 + 6 * m))
    raw[:, 1:1 + m] = [rng.permutation(m) for _ in range(64)]  # component weights 1 logit apart
    raw = tf.constant(raw, tf.float32)
    mode = mixture.greedy_offset(mixture.mixture_params(raw[:, 1:])).numpy()
    for seed in ([1, 2], [3, 4]):
        offsets, _, _ = output_distributions(raw[..., :1], raw[..., 1:], bias=20.0)
        np.testing.assert_allclose(offsets.sample(seed=seed).numpy(), mode, atol=1e-5)
    offsets, _, _ = output_distributions(raw[..., :1], raw[..., 1:], bias=0.0)
    assert np.abs(offsets.sample(seed=[1, 2]).numpy() - mode).mean() > 0.1  # unbiased samples spread


# ----------------------------------------------------------------------------------------------
# LSTM recurrence and gradient clipping


def test_clip_gradient_is_identity_with_clipped_gradient():
    x = tf.constant([0.5, -2.0, 3.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = clip_gradient(x, tf.constant(1.5))
        loss = tf.reduce_sum(y * tf.constant([1.0, -4.0, 2.0]))
    np.testing.assert_array_equal(y.numpy(), x.numpy())
    np.testing.assert_array_equal(tape.gradient(loss, x).numpy(), [1.0, -1.5, 1.5])


@pytest.mark.parametrize("clip", [np.inf, 0.05])
def test_fused_lstm_backward_equals_autodiff_with_clipped_gates(clip):
    rng = np.random.default_rng(3)
    t, b, u = 5, 2, 4
    args = [tf.constant(rng.normal(size=s), tf.float32) for s in ((t, b, 4 * u), (b, u), (b, u), (u, 4 * u), (3, u))]
    weights = tf.constant(rng.normal(size=(t, b, u)) * 5, tf.float32)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(args)
        hs, _, c_last = lstm_sequence(*args, tf.constant(clip, tf.float32))
        fused = tf.reduce_sum(hs * weights) + tf.reduce_sum(c_last)
        h, c, outs = args[1], args[2], []
        for step in range(t):
            h, c = lstm_step(args[0][step], h, c, args[3], args[4], None if np.isinf(clip) else tf.constant(clip))
            outs.append(h)
        reference = tf.reduce_sum(tf.stack(outs) * weights) + tf.reduce_sum(c)
    np.testing.assert_allclose(fused.numpy(), reference.numpy(), rtol=1e-5)
    for g_fused, g_ref in zip(tape.gradient(fused, args), tape.gradient(reference, args)):
        np.testing.assert_allclose(g_fused.numpy(), g_ref.numpy(), rtol=1e-4, atol=1e-6)


# ----------------------------------------------------------------------------------------------
# Whole networks


def synthetic_lines(rng, lengths, texts, chars):
    t = max(lengths)
    strokes = np.zeros((len(lengths), t, 3), np.float32)
    mask = np.zeros((len(lengths), t), np.float32)
    for i, n in enumerate(lengths):
        phase = np.arange(n) / 3.0 + i
        strokes[i, :n, 0] = np.cos(phase)
        strokes[i, :n, 1] = np.sin(2 * phase)
        strokes[i, 6:n:7, 2] = 1.0
        strokes[i, n - 1, 2] = 1.0
        mask[i, :n] = 1.0
    u = max(map(len, texts))
    ids = np.zeros((len(texts), u), np.int32)
    char_mask = np.zeros((len(texts), u), np.float32)
    for i, text in enumerate(texts):
        ids[i, :len(text)] = [chars.index(ch) for ch in text]
        char_mask[i, :len(text)] = 1.0
    return {"strokes": tf.constant(strokes), "stroke_mask": tf.constant(mask), "chars": tf.constant(ids),
            "char_mask": tf.constant(char_mask)}


@pytest.mark.parametrize("task", ["prediction", "synthesis"])
def test_teacher_forced_pass_equals_sampling_steps(task):
    """call() (fused LSTMs, window loop) and step() (used by sampling) compute the same outputs."""
    config = tiny_config(task=task, num_layers=3)
    model = build_model(config, compile=False)
    data = synthetic_lines(np.random.default_rng(4), [9, 6], ["abc", "ca"], config.chars)
    out = model(data)
    context = model.make_context(data.get("chars"), data.get("char_mask")) if task == "synthesis" else None
    state = model.initial_state(2, context)
    raws = []
    for t in range(8):
        raw, state, _ = model.step(data["strokes"][:, t], state, context)
        raws.append(raw.numpy())
    np.testing.assert_allclose(np.stack(raws, 1), out["raw"].numpy(), rtol=1e-4, atol=1e-5)


def test_tiny_synthesis_network_overfits_two_lines():
    keras.utils.set_random_seed(0)
    config = tiny_config(rnn_size=24, num_mixture=4, learning_rate=0.01)
    model = build_model(config)
    data = synthetic_lines(np.random.default_rng(5), [24, 20], ["ab", "cab"], config.chars)
    start = model.evaluate(tf.data.Dataset.from_tensors(data), verbose=0, return_dict=True)["loss"]
    model.fit(tf.data.Dataset.from_tensors(data).repeat(), steps_per_epoch=80, epochs=1, verbose=0)
    end = model.evaluate(tf.data.Dataset.from_tensors(data), verbose=0, return_dict=True)
    assert end["loss"] < start - 60.0, (start, end)  # from ~+3 to below 0 nats on each of ~22 points
    assert end["nats_per_point"] < 0.0


def test_generation_stops_by_the_window_rule():
    config = tiny_config(kappa_bias_init=-1.0)  # the window advances ~0.37 characters per step
    model = build_model(config, compile=False)
    data = synthetic_lines(np.random.default_rng(6), [2, 2], ["abcab", "ab"], config.chars)
    cap = 200
    out = tf.function(model.generate)(2, cap, bias=0.5, seed=tf.constant([7, 8]), chars=data["chars"],
                                      char_mask=data["char_mask"], record=True)
    lengths, phi = out["lengths"].numpy(), out["phi"].numpy()
    assert (lengths < cap).all() and lengths[1] < lengths[0]  # the shorter text ends first
    for b, (n, u) in enumerate(zip(lengths, [5, 2])):
        finished = [phi[b, t, u] > phi[b, t, :u].max() for t in range(n + 1)]
        assert finished[n] and not any(finished[:n])  # stopped at the first step the rule held
        assert not out["strokes"].numpy()[b, n:].any()  # nothing drawn after the end


def test_align_window_moves_every_gaussian_onto_the_position():
    """After a prime, align_window moves the window's peak onto the given character by whole
    characters (all K kappas by the same amount, alpha and beta kept), recomputes w from the moved
    window, and leaves rows with a negative position and the LSTM states untouched."""
    config = tiny_config(kappa_bias_init=-1.0)
    model = build_model(config, compile=False)
    data = synthetic_lines(np.random.default_rng(7), [9, 9, 9], ["abcab", "abcab", "ab"], config.chars)
    context = model.make_context(data["chars"], data["char_mask"])
    _, state, extras = model.run(data["strokes"][:, :-1], model.initial_state(3, context), context)
    num_chars = tf.constant([5, 5, 2])
    before = attention.window_peak(extras["phi"][:, -1], num_chars).numpy()
    target = np.array([3, 0, -1], np.int32)
    aligned = model.align_window(state, context, num_chars, tf.constant(target))
    for a, b in zip(aligned[:-2], state[:-2]):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    shift = aligned[-2].numpy() - state[-2].numpy()
    np.testing.assert_allclose(shift, np.broadcast_to([[target[0] - before[0]], [target[1] - before[1]], [0]],
                                                      shift.shape), atol=1e-5)
    alpha, beta, _ = attention.window_parameters(model.window.dense(aligned[0]), aligned[-2])
    phi = attention.window_weights(alpha, beta, aligned[-2], 6)
    assert attention.window_peak(phi, num_chars).numpy()[:2].tolist() == [3, 0]
    np.testing.assert_allclose(aligned[-1].numpy()[:2], attention.window_vector(phi[:, :-1], context).numpy()[:2],
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(aligned[-1].numpy()[2], state[-1].numpy()[2])


def test_generate_reports_the_window_peak_of_every_step():
    """generate's "window" is window_peak of the phi it records (the character being written;
    num_chars past the end), and 0 once a line is done."""
    config = tiny_config(kappa_bias_init=-1.0)
    model = build_model(config, compile=False)
    data = synthetic_lines(np.random.default_rng(6), [2, 2], ["abcab", "ab"], config.chars)
    out = tf.function(model.generate)(2, 200, bias=0.5, seed=tf.constant([7, 8]), chars=data["chars"],
                                      char_mask=data["char_mask"], record=True)
    lengths, phi, window = out["lengths"].numpy(), out["phi"].numpy(), out["window"].numpy()
    for b, (n, u) in enumerate(zip(lengths, [5, 2])):
        np.testing.assert_array_equal(window[b, :n], phi[b, :n, :u + 1].argmax(-1))
        assert not window[b, n:].any()
