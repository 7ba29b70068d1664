"""stroke-3/5 and polyline conversions, normalisation, augmentation and RDP against independent numpy
references (the references re-state the original magenta sketch_rnn/utils.py loops)."""
import numpy as np
import pytest

from data_utils import strokes as S


def random_drawing(rng, n, pen_p=0.2):
    d = np.zeros((n, 3), np.float32)
    d[:, 0:2] = rng.integers(-20, 21, size=(n, 2))
    d[:, 2] = rng.random(n) < pen_p
    d[-1, 2] = 1
    return d


def reference_augment(strokes, prob, u):
    """The original augment_strokes loop, with its uniforms given as u [n]."""
    result, prev, count, stroke = [], [0, 0, 1], 0, [0, 0, 1]
    for i in range(len(strokes)):
        cand = [float(strokes[i][0]), float(strokes[i][1]), float(strokes[i][2])]
        count = 0 if cand[2] == 1 or prev[2] == 1 else count + 1
        if cand[2] == 0 and prev[2] == 0 and count > 2 and u[i] < prob:
            stroke[0] += cand[0]
            stroke[1] += cand[1]
        else:
            stroke = cand
            prev = stroke
            result.append(stroke)
    return np.array(result, np.float32)


def test_stroke5_round_trip_and_padding():
    rng = np.random.default_rng(0)
    d = random_drawing(rng, 7)
    big = S.to_big_strokes(d, 10)
    assert big.shape == (10, 5)
    np.testing.assert_array_equal(big[:7, 0:2], d[:, 0:2])
    np.testing.assert_array_equal(big[:7, 2:5].sum(axis=1), 1)
    np.testing.assert_array_equal(big[:7, 3], d[:, 2])
    np.testing.assert_array_equal(big[7:], np.tile([0, 0, 0, 0, 1], (3, 1)))
    np.testing.assert_array_equal(S.to_normal_strokes(big), d)
    # no end row: everything is kept (the original's rule)
    np.testing.assert_array_equal(S.to_normal_strokes(S.to_big_strokes(d, 7)), d)
    with pytest.raises(ValueError, match="does not fit max_len=5"):
        S.to_big_strokes(d, 5)


def test_pad_batch_matches_original_layout():
    rng = np.random.default_rng(1)
    batch = [random_drawing(rng, n) for n in (5, 1, 8)]
    out, lengths = S.pad_batch(batch, 8)
    assert out.shape == (3, 9, 5) and out.dtype == np.float32
    np.testing.assert_array_equal(lengths, [5, 1, 8])
    for i, d in enumerate(batch):  # the original: stroke-5 padded, shifted right by one, start token in row 0
        ref = np.zeros((9, 5))
        ref[:len(d), 0:2] = d[:, 0:2]
        ref[:len(d), 3] = d[:, 2]
        ref[:len(d), 2] = 1 - ref[:len(d), 3]
        ref[len(d):, 4] = 1
        ref[1:] = ref[:-1].copy()
        ref[0] = [0, 0, 1, 0, 0]
        np.testing.assert_array_equal(out[i], ref)
        np.testing.assert_array_equal(S.to_normal_strokes(out[i, 1:]), d)
    with pytest.raises(ValueError, match="8 points does not fit max_len=7"):
        S.pad_batch(batch, 7)


def test_polylines_round_trip():
    lines = [np.array([[1.0, 2.0], [4.0, 6.0], [4.0, 0.0]]), np.array([[10.0, 10.0]]), np.array([[0.0, 5.0], [3, 5]])]
    st = S.lines_to_strokes(lines)
    np.testing.assert_array_equal(st, [[1, 2, 0], [3, 4, 0], [0, -6, 1], [6, 10, 1], [-10, -5, 0], [3, 0, 1]])
    back = S.strokes_to_lines(st)
    assert len(back) == 3
    for a, b in zip(back, lines):
        np.testing.assert_allclose(a, b)
    # a last stroke without a pen lift (a sample cut at N_max) is kept
    cut = S.strokes_to_lines(st[:-1])
    assert len(cut) == 3 and len(cut[-1]) == 1
    assert S.lines_to_strokes([]).shape == (0, 3) and S.strokes_to_lines(np.zeros((0, 3))) == []
    assert S.bounds(st) == (0.0, 10.0, 0.0, 10.0)


def test_scale_factor_and_normalize():
    rng = np.random.default_rng(2)
    drawings = [random_drawing(rng, n) * [3, 1, 1] for n in (4, 9, 2)]
    direct = np.std(np.concatenate([np.concatenate([d[:, 0], d[:, 1]]) for d in drawings]).astype(np.float64))
    assert S.scale_factor(drawings) == pytest.approx(direct, rel=1e-12)
    before = [d.copy() for d in drawings]
    norm = S.normalize(drawings, 4.0)
    for a, b in zip(norm, drawings):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a[:, 0:2], b[:, 0:2] / 4.0)
        np.testing.assert_array_equal(a[:, 2], b[:, 2])
    for a, b in zip(drawings, before):  # the input is not modified
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="standard deviation 0"):
        S.scale_factor([np.array([[0, 0, 1]])])


def test_clip_offsets():
    out = S.clip_offsets(np.array([[5000, -3000, 0], [2, -2000, 1]], np.int16), 1000)
    np.testing.assert_array_equal(out, [[1000, -1000, 0], [2, -1000, 1]])
    assert out.dtype == np.float32


def check_valid(out, original):
    assert out.dtype == np.float32 and out.ndim == 2 and out.shape[1] == 3
    assert np.all(np.isfinite(out))
    assert set(np.unique(out[:, 2])) <= {0.0, 1.0}
    assert out[-1, 2] == 1
    assert len(out) <= len(original)


def test_augment_strokes_equals_original_loop():
    for seed in range(5):
        rng = np.random.default_rng(seed)
        d = random_drawing(rng, 60, pen_p=0.1)
        u = np.random.default_rng(100 + seed).random(len(d))
        out = S.augment_strokes(d, 0.5, np.random.default_rng(100 + seed))
        np.testing.assert_allclose(out, reference_augment(d, 0.5, u))
        check_valid(out, d)
        # stroke ends stay where they were; the number of strokes is unchanged
        ends = lambda x: np.cumsum(x[:, 0:2], axis=0)[x[:, 2] == 1]  # noqa: E731
        np.testing.assert_allclose(ends(out), ends(d))
        assert len(out) < len(d)  # p = 0.5 over 60 points drops some


def test_augment_batch_equals_per_drawing_original():
    rng = np.random.default_rng(3)
    batch = [random_drawing(rng, n, 0.15) for n in (30, 3, 45, 12)]
    out = S.augment_batch(batch, 0.0, 0.4, np.random.default_rng(7))
    u = np.split(np.random.default_rng(7).random(sum(map(len, batch))), np.cumsum([len(d) for d in batch])[:-1])
    for o, d, ui in zip(out, batch, u):
        np.testing.assert_allclose(o, reference_augment(d, 0.4, ui))
        check_valid(o, d)


def test_random_scale_stays_in_range():
    rng = np.random.default_rng(4)
    batch = [random_drawing(rng, 20) for _ in range(50)]
    for d in batch:  # no zero offsets, so the factors can be read back
        d[:, 0:2] = rng.integers(1, 20, size=(20, 2)) * rng.choice([-1, 1], size=(20, 2))
    out = S.augment_batch(batch, 0.15, 0.0, np.random.default_rng(0))
    fx = np.array([o[0, 0] / d[0, 0] for o, d in zip(out, batch)])
    fy = np.array([o[0, 1] / d[0, 1] for o, d in zip(out, batch)])
    for o, d, sx, sy in zip(out, batch, fx, fy):
        np.testing.assert_allclose(o[:, 0:2], d[:, 0:2] * [sx, sy], rtol=1e-5)
        np.testing.assert_array_equal(o[:, 2], d[:, 2])
    assert np.all(np.abs(np.concatenate([fx, fy]) - 1) <= 0.15 + 1e-6)
    assert np.std(fx - fy) > 0.01  # x and y factors are independent
    single = S.random_scale(batch[0], 0.15, np.random.default_rng(1))
    assert single.dtype == np.float32 and np.all(np.abs(single[:, :2] / batch[0][:, :2] - 1) <= 0.15 + 1e-6)


def line_distance(p, a, b):
    d = b - a
    n = np.hypot(*d)
    return abs(d[0] * (p[1] - a[1]) - d[1] * (p[0] - a[0])) / n if n > 0 else np.hypot(*(p - a))


def test_rdp():
    line = np.column_stack([np.arange(10.0), 2 * np.arange(10.0)])  # collinear
    np.testing.assert_array_equal(S.rdp(line, 0.1), line[[0, -1]])
    zigzag = np.array([[0, 0], [1, 0.1], [2, 0], [3, 5], [4, 0], [5, 0]], np.float64)
    np.testing.assert_array_equal(S.rdp(zigzag, 0.5), zigzag[[0, 2, 3, 4, 5]])
    np.testing.assert_array_equal(S.rdp(zigzag, 1.0), zigzag[[0, 2, 3, 5]])  # (4, 0) is 0.93 from the chord
    rng = np.random.default_rng(5)
    walk = np.cumsum(rng.normal(size=(200, 2)), axis=0)
    for eps in (0.5, 2.0):
        kept = S.rdp(walk, eps)
        idx = [int(np.flatnonzero((walk == k).all(axis=1))[0]) for k in kept]
        assert idx[0] == 0 and idx[-1] == len(walk) - 1 and idx == sorted(idx)
        for a, b in zip(idx[:-1], idx[1:]):  # every dropped point is within eps of its span's chord
            assert all(line_distance(walk[j], walk[a], walk[b]) <= eps for j in range(a + 1, b))
    assert len(S.rdp(walk, 2.0)) < len(S.rdp(walk, 0.5)) < len(walk)
    np.testing.assert_array_equal(S.rdp(walk[:2], 1.0), walk[:2])


def test_validate_drawing_messages():
    assert S.validate_drawing(np.array([[1, 2, 1]])) is None
    assert "shape (2, 2)" in S.validate_drawing(np.zeros((2, 2)))
    assert "empty" in S.validate_drawing(np.zeros((0, 3)))
    assert "NaN" in S.validate_drawing(np.array([[np.nan, 0, 1]]))
    assert "pen_lifted values [0.0, 2.0]" in S.validate_drawing(np.array([[1, 1, 0], [0, 0, 2.0]]))
    assert "dtype <U1" in S.validate_drawing(np.array([["a", "b", "c"]]))
