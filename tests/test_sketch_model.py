"""Sketch-RNN model: losses against references, cells, schedules, sampling, overfitting."""
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from sketch_rnn.config import SketchRNNConfig
from sketch_rnn.model import (
    SketchLearningRate,
    SketchRNN,
    build_model,
    gaussian_kl,
    kl_weight_at,
    reconstruction_losses,
)


def tiny_config(**kw):
    base = dict(enc_rnn_size=16, dec_rnn_size=24, z_size=8, num_mixture=3, batch_size=8, max_seq_len=12)
    base.update(kw)
    return SketchRNNConfig(**base)


def make_batch(rng, batch=8, n=12):
    """Random stroke-5 drawings of random lengths with start token and (0,0,0,0,1) padding."""
    x = np.zeros((batch, n + 1, 5), np.float32)
    x[:, 0, 2] = 1
    lens = rng.integers(3, n + 1, size=batch).astype(np.int32)
    for b, ln in enumerate(lens):
        x[b, 1:ln + 1, :2] = rng.normal(size=(ln, 2))
        pen = rng.random(ln) < 0.2
        pen[-1] = True
        x[b, 1:ln + 1, 2] = ~pen
        x[b, 1:ln + 1, 3] = pen
        x[b, ln + 1:, 4] = 1
    return {"strokes": tf.constant(x), "seq_len": tf.constant(lens)}


def test_kl_matches_closed_form_of_tfp():
    rng = np.random.default_rng(0)
    mu = rng.normal(size=(4, 6)).astype(np.float32)
    presig = rng.normal(size=(4, 6)).astype(np.float32)
    q = tfp.distributions.Normal(mu, np.exp(presig / 2))
    p = tfp.distributions.Normal(0.0, 1.0)
    expected = np.mean(tfp.distributions.kl_divergence(q, p).numpy())
    np.testing.assert_allclose(gaussian_kl(mu, presig).numpy(), expected, rtol=1e-5)


def test_pen_loss_is_categorical_cross_entropy():
    rng = np.random.default_rng(1)
    raw = rng.normal(size=(2, 5, 6 * 3 + 3)).astype(np.float32)
    target = np.zeros((2, 5, 5), np.float32)
    target[..., 2 + rng.integers(0, 3, size=(2, 5))] = 0
    idx = rng.integers(0, 3, size=(2, 5))
    for b in range(2):
        for t in range(5):
            target[b, t, 2 + idx[b, t]] = 1
    _, pen_nll = reconstruction_losses(tf.constant(raw[..., :3]), tf.constant(raw[..., 3:]), tf.constant(target))
    logits = raw[..., :3]
    log_softmax = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    expected = -np.take_along_axis(log_softmax, idx[..., None], -1)[..., 0]
    np.testing.assert_allclose(pen_nll.numpy(), expected, rtol=1e-5)


def test_offset_loss_has_the_originals_epsilon_floor():
    raw = np.zeros((1, 1, 6 * 1 + 3), np.float32)
    raw[0, 0, 3 + 3:3 + 5] = np.log(0.01)  # tiny sigmas: the density far away is ~0
    target = np.array([[[50.0, 50.0, 1, 0, 0]]], np.float32)
    offset_nll, _ = reconstruction_losses(tf.constant(raw[..., :3]), tf.constant(raw[..., 3:]), tf.constant(target))
    np.testing.assert_allclose(offset_nll.numpy(), -np.log(1e-6), rtol=1e-5)


def test_schedules_follow_the_original_formulas():
    c = SketchRNNConfig()
    lr = SketchLearningRate(c.learning_rate, c.decay_rate, c.min_learning_rate)
    np.testing.assert_allclose(float(lr(1000)), (1e-3 - 1e-5) * 0.9999 ** 1000 + 1e-5, rtol=1e-5)
    np.testing.assert_allclose(float(kl_weight_at(c, 0)), 0.01, rtol=1e-6)
    np.testing.assert_allclose(float(kl_weight_at(c, 20000)), 0.5 - 0.49 * 0.99995 ** 20000, rtol=1e-5)


def test_loss_masks_offsets_after_the_end_of_drawing():
    """Changing the padded part of the target must not change L_s; L_p counts all N_max steps."""
    rng = np.random.default_rng(2)
    model = SketchRNN(tiny_config(conditional=False))
    data = make_batch(rng)
    out = model(data)
    a = model.compute_losses(data, out)
    strokes = data["strokes"].numpy()
    lens = data["seq_len"].numpy()
    changed = strokes.copy()
    for b, ln in enumerate(lens):
        changed[b, ln + 1:, :2] = 99.0
    b_ = model.compute_losses({"strokes": tf.constant(changed), "seq_len": data["seq_len"]}, out)
    np.testing.assert_allclose(a["offset_loss"].numpy(), b_["offset_loss"].numpy(), rtol=1e-6)
    # Manual L_s: mean over B*N of the masked per-point offset loss.
    offset_nll, pen_nll = reconstruction_losses(*model.output_layer.split(out["raw"]), data["strokes"][:, 1:])
    mask = (1 - strokes[:, 1:, 4])
    np.testing.assert_allclose(a["offset_loss"].numpy(), np.mean(offset_nll.numpy() * mask), rtol=1e-5)
    np.testing.assert_allclose(a["pen_loss"].numpy(), np.mean(pen_nll.numpy()), rtol=1e-5)


def test_bucket_padded_batch_keeps_the_loss_scale_of_n_max():
    """A batch padded to fewer than N_max steps (bucket_width) is divided by B * N_max too: the
    evaluation loss is unchanged, the training pen loss lacks exactly the dropped padding steps."""
    rng = np.random.default_rng(7)
    model = SketchRNN(tiny_config(conditional=False, max_seq_len=20, use_recurrent_dropout=False))
    full = make_batch(rng, n=20)
    full = {"strokes": full["strokes"], "seq_len": tf.minimum(full["seq_len"], 10)}
    x = full["strokes"].numpy()
    for row, n in zip(x, full["seq_len"].numpy()):
        row[n + 1:] = [0, 0, 0, 0, 1]
        row[n, 2:] = [0, 1, 0]
    full = {"strokes": tf.constant(x), "seq_len": full["seq_len"]}
    short = {"strokes": full["strokes"][:, :11], "seq_len": full["seq_len"]}
    out_full, out_short = model(full), model(short)
    np.testing.assert_allclose(out_full["raw"][:, :10].numpy(), out_short["raw"].numpy(), atol=1e-5)
    for name in ("offset_loss", "pen_loss"):
        np.testing.assert_allclose(model.compute_losses(full, out_full, mask_pen=True)[name].numpy(),
                                   model.compute_losses(short, out_short, mask_pen=True)[name].numpy(), rtol=1e-5)
    _, pen_nll = reconstruction_losses(*model.output_layer.split(out_full["raw"]), full["strokes"][:, 1:])
    dropped = pen_nll.numpy()[:, 10:].sum() / (8 * 20)
    train_full = model.compute_losses(full, out_full)["pen_loss"].numpy()
    train_short = model.compute_losses(short, out_short)["pen_loss"].numpy()
    np.testing.assert_allclose(train_full - train_short, dropped, rtol=1e-4)


def test_training_on_bucketed_batches_of_several_lengths():
    from data_utils import sketch_data
    rng = np.random.default_rng(8)
    drawings = []
    for n in rng.integers(2, 13, size=40):
        d = np.zeros((n, 3), np.float32)
        d[:, :2] = rng.normal(size=(n, 2))
        d[-1, 2] = 1
        drawings.append(d)
    ds = sketch_data.make_dataset(drawings, 12, 8, seed=1, bucket_width=4)
    assert len({b["strokes"].shape[1] for b in ds.take(12)}) > 1
    model = build_model(tiny_config(), jit_compile=False)
    history = model.fit(ds, steps_per_epoch=12, epochs=1, verbose=0).history
    assert np.isfinite(history["loss"][-1])
    assert int(model.optimizer.iterations.numpy()) == 12


def test_kl_is_floored_at_tolerance():
    model = SketchRNN(tiny_config(kl_tolerance=5.0))
    data = make_batch(np.random.default_rng(3))
    losses = model.compute_losses(data, model(data))
    assert float(losses["kl"]) == pytest.approx(5.0)


@pytest.mark.parametrize("kind", ["lstm", "layer_norm", "hyper"])
def test_encoder_reads_only_the_real_length(kind):
    """Padding after seq_len must not change mu: the encoder stops at each drawing's end."""
    model = SketchRNN(tiny_config(enc_model=kind, dec_model=kind))
    data = make_batch(np.random.default_rng(4))
    mu, _ = model.encode(data["strokes"], data["seq_len"])
    noisy = data["strokes"].numpy().copy()
    for b, ln in enumerate(data["seq_len"].numpy()):
        noisy[b, ln + 1:] = 7.0
    mu2, _ = model.encode(tf.constant(noisy), data["seq_len"])
    np.testing.assert_allclose(mu.numpy(), mu2.numpy(), atol=1e-6)
    assert mu.shape == (8, 8)


def test_low_temperature_sampling_tends_to_greedy():
    model = SketchRNN(tiny_config())
    z = tf.random.normal([4, 8], seed=1)
    greedy, glen = model.generate(z, 4, 10, greedy=True, seed=(1, 1))
    cold, clen = model.generate(z, 4, 10, temperature=1e-6, seed=(1, 1))
    np.testing.assert_array_equal(glen.numpy(), clen.numpy())
    np.testing.assert_allclose(cold.numpy(), greedy.numpy(), atol=1e-2)
    hot, _ = model.generate(z, 4, 10, temperature=1.0, seed=(1, 1))
    assert np.abs(hot.numpy() - greedy.numpy()).max() > 0.1


def test_generated_drawings_end_with_padding_after_their_length():
    model = SketchRNN(tiny_config(conditional=False))
    strokes, lengths = tf.function(lambda: model.generate(None, 6, 15, temperature=1.5, seed=(2, 3)))()
    strokes, lengths = strokes.numpy(), lengths.numpy()
    assert strokes.shape == (6, 15, 5)
    for s, ln in zip(strokes, lengths):
        np.testing.assert_array_equal(s[ln:], np.tile([0, 0, 0, 0, 1], (15 - ln, 1)))
        assert np.all(s[:ln, 4] == 0)
        np.testing.assert_array_equal(s[:ln, 2:].sum(-1), 1)


def test_tiny_model_overfits_eight_drawings():
    config = tiny_config(learning_rate=0.01, min_learning_rate=0.01, use_recurrent_dropout=False,
                         kl_weight_start=0.5)
    data = make_batch(np.random.default_rng(5))
    model = build_model(config, jit_compile=False)
    first = model.evaluate(tf.data.Dataset.from_tensors(data), verbose=0, return_dict=True)["recon"]
    model.fit(tf.data.Dataset.from_tensors(data).repeat(), steps_per_epoch=250, epochs=1, verbose=0)
    last = model.evaluate(tf.data.Dataset.from_tensors(data), verbose=0, return_dict=True)["recon"]
    assert last < 0.5 * first, (first, last)


def reference_lstm(xs, h, c, kernel, drop):
    """The LSTMCell recurrence written plainly, differentiated by TensorFlow's autodiff."""
    hs = []
    for t in range(xs.shape[0]):
        i, j, f, o = tf.split(xs[t] + tf.matmul(h, kernel), 4, axis=-1)
        c = c * tf.sigmoid(f + 1.0) + tf.sigmoid(i) * tf.tanh(j) * drop[t]
        h = tf.tanh(c) * tf.sigmoid(o)
        hs.append(h)
    return tf.stack(hs), c


def test_fused_lstm_gradients_match_autodiff():
    from sketch_rnn.cells import fused_lstm
    rng = np.random.default_rng(6)
    t, b, u = 7, 3, 5
    args = [tf.constant(rng.normal(size=s).astype(np.float32)) for s in [(t, b, 4 * u), (b, u), (b, u), (u, 4 * u)]]
    drop = tf.constant((rng.random((t, b, u)) < 0.7).astype(np.float32) / 0.7)
    weights_h = tf.constant(rng.normal(size=(t, b, u)).astype(np.float32))
    weights_c = tf.constant(rng.normal(size=(b, u)).astype(np.float32))
    results = []
    for fn in (fused_lstm, reference_lstm):
        with tf.GradientTape() as tape:
            tape.watch(args)
            hs, c_last = fn(*args, drop)
            loss = tf.reduce_sum(hs * weights_h) + tf.reduce_sum(c_last * weights_c)
        results.append((hs.numpy(), tape.gradient(loss, args)))
    np.testing.assert_allclose(results[0][0], results[1][0], atol=1e-5)
    for fused_grad, reference_grad in zip(results[0][1], results[1][1]):
        np.testing.assert_allclose(fused_grad.numpy(), reference_grad.numpy(), rtol=1e-4, atol=1e-5)
