"""sketch-rnn .npz loading/validation, combining files, filtering, the scale factor, the tf.data
pipeline, ndjson -> npz, and (with RNNGEN_SHARED_DATA) the real aaron_sheep set."""
import json
import os

import numpy as np
import pytest

from data_utils import sketch_data as SD
from data_utils import strokes as S


def drawing(n, seed=0, big=False):
    rng = np.random.default_rng(seed)
    d = np.zeros((n, 3), np.int16)
    d[:, 0:2] = rng.integers(-30, 31, size=(n, 2))
    if big:
        d[0, 0] = 3000
    d[:, 2] = rng.random(n) < 0.2
    d[-1, 2] = 1
    return d


def raw_npz(path, **splits):
    """Write splits with plain np.savez (no validation), object arrays like the published files."""
    arrays = {}
    for k, v in splits.items():
        a = np.empty(len(v), dtype=object)
        for i, d in enumerate(v):
            a[i] = d
        arrays[k] = a
    np.savez(path, **arrays)
    return str(path)


@pytest.fixture
def good(tmp_path):
    train = [drawing(n, i) for i, n in enumerate((5, 12, 7, 30, 9))]
    return SD.write_npz(str(tmp_path / "good.npz"), train, [drawing(6, 10)], [drawing(8, 11), drawing(4, 12)])


def test_write_and_load_round_trip(good):
    data = SD.load_npz(good)
    assert [len(data[s]) for s in SD.SPLITS] == [5, 1, 2]
    assert data["train"][3].dtype == np.int16 and data["train"][3].shape == (30, 3)
    np.testing.assert_array_equal(data["train"][1], drawing(12, 1))
    # the original's loader reads it too
    original = np.load(good, allow_pickle=True, encoding="latin1")
    np.testing.assert_array_equal(original["test"][1], drawing(4, 12))


def test_write_npz_keeps_fractions_as_float(tmp_path):
    d = np.array([[0.5, 1.0, 0.0], [1.0, 2.0, 1.0]])
    out = SD.load_npz(SD.write_npz(str(tmp_path / "f.npz"), [d], [d], [d]))
    assert out["train"][0].dtype == np.float32
    np.testing.assert_array_equal(out["train"][0], d)
    with pytest.raises(ValueError, match=r"Cannot write .*x\.npz: split 'valid', drawing 0 is empty"):
        SD.write_npz(str(tmp_path / "x.npz"), [d], [np.zeros((0, 3))], [d])
    assert not os.path.exists(tmp_path / "x.npz")


def test_load_sketch_data_combines_filters_clips(tmp_path, capsys):
    a = SD.write_npz(str(tmp_path / "a.npz"), [drawing(5, 1), drawing(40, 2), drawing(9, 3, big=True)],
                     [drawing(50, 4)], [drawing(7, 5)])
    b = SD.write_npz(str(tmp_path / "b.npz"), [drawing(11, 6)], [drawing(3, 7)], [drawing(20, 8)])
    data = SD.load_sketch_data([a, b], max_seq_len=20)
    assert [len(d) for d in data.train] == [5, 9, 11]          # files in order, the 40-point one dropped
    assert [len(d) for d in data.valid] == [3] and [len(d) for d in data.test] == [7, 20]
    assert data.dropped == {"train": 1, "valid": 1, "test": 0}
    assert data.max_seq_len == 20
    assert all(d.dtype == np.float32 for d in data.train + data.valid + data.test)
    assert data.train[1][0, 0] == 1000                          # clipped to the limit
    big = drawing(9, 3, big=True)
    count = int(np.count_nonzero(np.abs(big[:, :2]) > 1000))
    assert count > 0
    assert f"Note: {count} pen offsets (dx or dy) in {a}, {b} lie beyond +-1000" in capsys.readouterr().err
    kept = [drawing(5, 1), drawing(9, 3, big=True), drawing(11, 6)]
    xy = np.concatenate([np.clip(d[:, 0:2].astype(np.float64), -1000, 1000).ravel() for d in kept])
    assert data.scale_factor == pytest.approx(np.std(xy), rel=1e-9)
    with pytest.raises(ValueError, match=r"No training drawing .* has at most max_seq_len=4 points \(3 dropped\)"):
        SD.load_sketch_data([a], max_seq_len=4)


def test_bad_files_give_clear_errors(tmp_path, good):
    ok = [drawing(4)]
    txt = tmp_path / "notzip.npz"
    txt.write_text("hello")
    with pytest.raises(ValueError, match=r"notzip\.npz is not a valid \.npz \(zip\) file"):
        SD.load_npz(str(txt))
    cut = tmp_path / "cut.npz"
    cut.write_bytes(open(good, "rb").read()[:300])
    with pytest.raises(ValueError, match=r"cut\.npz"):
        SD.load_npz(str(cut))
    damaged = bytearray(open(good, "rb").read())
    damaged[len(damaged) // 2] ^= 0xFF
    (tmp_path / "damaged.npz").write_bytes(damaged)
    with pytest.raises(ValueError, match=r"damaged\.npz"):
        SD.load_npz(str(tmp_path / "damaged.npz"))
    npy = tmp_path / "array.npz"
    with open(npy, "wb") as f:
        np.save(f, np.zeros(3))
    with pytest.raises(ValueError, match="not a valid .npz"):
        SD.load_npz(str(npy))
    with pytest.raises(ValueError, match=r"missing\.npz has no 'valid' array \(it has: test, train\)"):
        SD.load_npz(raw_npz(tmp_path / "missing.npz", train=ok, test=ok))
    cases = {
        "dims": ([drawing(4), np.zeros((3, 2))], r"split 'train', drawing 1 has shape \(3, 2\)"),
        "nan": ([drawing(4), drawing(3), np.array([[1.0, np.inf, 0], [1, 1, 1]])], "drawing 2 contains NaN"),
        "empty": ([drawing(4), np.zeros((0, 3), np.int16)], "drawing 1 is empty"),
        "pen": ([np.array([[1, 1, 3]], np.int16)], "drawing 0 has pen_lifted values"),
        "notarray": ([drawing(3), "abc"], "drawing 1 is a str"),
    }
    for name, (bad, message) in cases.items():
        path = raw_npz(tmp_path / f"{name}.npz", train=ok, valid=bad, test=ok)
        with pytest.raises(ValueError, match=rf"{name}\.npz: split 'valid'.*" + message.replace("split 'train', ", "")):
            SD.load_npz(path)
    block = tmp_path / "block.npz"
    np.savez(block, train=np.zeros((2, 4, 3)), valid=np.zeros((2, 4)), test=np.zeros((1, 4, 3)))
    with pytest.raises(ValueError, match=r"split 'valid' has shape \(2, 4\)"):
        SD.load_npz(str(block))
    with pytest.raises(FileNotFoundError, match="nothere.npz does not exist"):
        SD.load_npz(str(tmp_path / "nothere.npz"))


class Evil:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return os.makedirs, (self.target,)


def test_pickled_code_is_refused(tmp_path):
    target = str(tmp_path / "pwned")
    path = raw_npz(tmp_path / "evil.npz", train=[drawing(3)], valid=[Evil(target)], test=[drawing(3)])
    with pytest.raises(ValueError, match=r"evil\.npz: split 'valid' cannot be read .*os.makedirs.*not a numpy array"):
        SD.load_npz(path)
    assert not os.path.exists(target)


def test_make_dataset_batches(tmp_path):
    import tensorflow as tf
    drawings = [S.normalize([drawing(n, n).astype(np.float32)], 10.0)[0] for n in (3, 7, 2, 9, 5, 4, 6)]
    ds = SD.make_dataset(drawings, 9, 3, shuffle=False, repeat=False)
    batches = list(ds)
    assert len(batches) == 2  # 7 drawings, batch 3, remainder dropped
    for k, b in enumerate(batches):
        assert b["strokes"].dtype == tf.float32 and b["strokes"].shape == (3, 10, 5)
        assert b["seq_len"].dtype == tf.int32
        ref, lengths = S.pad_batch(drawings[3 * k:3 * k + 3], 9)
        np.testing.assert_array_equal(b["strokes"].numpy(), ref)
        np.testing.assert_array_equal(b["seq_len"].numpy(), lengths)
    with pytest.raises(ValueError, match="fewer than one batch of 8"):
        SD.make_dataset(drawings, 9, 8, shuffle=False, repeat=False)
    with pytest.raises(ValueError, match="9 points, more than max_seq_len=8"):
        SD.make_dataset(drawings, 8, 2)


def test_bucketed_batches_hold_similar_lengths_padded_to_their_bucket():
    lengths = [1 + (7 * i) % 40 for i in range(60)]  # 1..40, every length
    drawings = S.normalize([drawing(n, i) for i, n in enumerate(lengths)], 10.0)
    ds = SD.make_dataset(drawings, 40, 4, shuffle=True, repeat=True, seed=1, bucket_width=10)
    padded_to = set()
    for b in ds.take(40):
        seq_len = b["seq_len"].numpy()
        steps = b["strokes"].shape[1] - 1
        top = min(40, -(-int(seq_len.max()) // 10) * 10)
        assert steps == top, (steps, seq_len)
        assert seq_len.min() > top - 10, seq_len  # one bucket per batch
        x = b["strokes"].numpy()
        for row, n in zip(x, seq_len):
            assert row[0].tolist() == [0, 0, 1, 0, 0]
            assert (row[n + 1:, 4] == 1).all() and (row[1:n + 1, 4] == 0).all()
        padded_to.add(steps)
    assert padded_to == {10, 20, 30, 40}
    with pytest.raises(ValueError, match="bucket_width must be >= 0"):
        SD.make_dataset(drawings, 40, 4, bucket_width=-1)


def test_make_dataset_augments_every_time():
    drawings = S.normalize([drawing(40, i) for i in range(4)], 10.0)
    ds = SD.make_dataset(drawings, 40, 4, random_scale_factor=0.15, augment_stroke_prob=0.3, seed=3)
    first = [{k: v.numpy() for k, v in b.items()} for b in ds.take(6)]
    again = [{k: v.numpy() for k, v in b.items()} for b in
             SD.make_dataset(drawings, 40, 4, random_scale_factor=0.15, augment_stroke_prob=0.3, seed=3).take(6)]
    for a, b in zip(first, again):  # a seed makes it reproducible
        np.testing.assert_array_equal(a["strokes"], b["strokes"])
    seen = set()
    for b in first:
        x, lengths = b["strokes"], b["seq_len"]
        assert np.all(x[:, 0] == [0, 0, 1, 0, 0]) and np.all(lengths <= 40) and np.all(np.isfinite(x))
        for row, n in zip(x, lengths):
            d = S.to_normal_strokes(row[1:])
            assert len(d) == n and d[-1, 2] == 1
            np.testing.assert_array_equal(row[1 + n:], np.tile([0, 0, 0, 0, 1], (40 - n, 1)))
            np.testing.assert_array_equal(row[1:1 + n, 2:5].sum(axis=1), 1)
            seen.add(row.tobytes())
    # 6 batches of 4 from 4 drawings: each drawing came 6 times, never twice augmented the same way
    assert len(seen) == 24


def test_dataset_names_and_urls(tmp_path, monkeypatch):
    monkeypatch.delenv(SD.URL_ENV, raising=False)
    assert SD.dataset_url("The Eiffel Tower") == \
        "https://storage.googleapis.com/quickdraw_dataset/sketchrnn/The%20Eiffel%20Tower.npz"
    assert SD.dataset_url("aaron_sheep") == \
        "https://github.com/hardmaru/sketch-rnn-datasets/raw/master/aaron_sheep/aaron_sheep.npz"
    assert SD.dataset_url("cat", "http://mirror/x/") == "http://mirror/x/cat.npz"
    monkeypatch.setenv(SD.URL_ENV, "http://env-mirror")
    assert SD.dataset_url("aaron_sheep") == "http://env-mirror/aaron_sheep.npz"
    assert SD.dataset_url("cat", "http://arg") == "http://arg/cat.npz"
    # present files are used as they are, with no network (this base URL would refuse)
    SD.write_npz(str(tmp_path / "cat.npz"), [drawing(3)], [drawing(3)], [drawing(3)])
    SD.write_npz(str(tmp_path / "short_kanji.npz"), [drawing(3)], [drawing(3)], [drawing(3)])
    assert SD.resolve_dataset("cat", str(tmp_path), base_url="http://127.0.0.1:9") == str(tmp_path / "cat.npz")
    assert SD.resolve_dataset("cat.npz", str(tmp_path)) == str(tmp_path / "cat.npz")
    assert SD.resolve_dataset("kanji", str(tmp_path)) == str(tmp_path / "short_kanji.npz")
    for bad in ("../cat", "a/b", "", ".hidden"):
        with pytest.raises(ValueError, match="not a plain name"):
            SD.resolve_dataset(bad, str(tmp_path))


def test_ndjson_to_npz(tmp_path):
    straight = [[[0, 10, 20, 30, 40], [0, 0, 0, 0, 1]], [[50, 60], [50, 50]]]
    d = SD.ndjson_to_strokes(straight)
    np.testing.assert_array_equal(d, [[0, 0, 0], [10, 0, 0], [10, 0, 0], [10, 0, 0], [10, 1, 1],
                                      [10, 49, 0], [10, 0, 1]])
    simple = SD.ndjson_to_strokes(straight, epsilon=2.0)  # the near-straight stroke keeps its ends only
    np.testing.assert_array_equal(simple, [[0, 0, 0], [40, 1, 1], [10, 49, 0], [10, 0, 1]])
    with_t = SD.ndjson_to_strokes([[[0.4, 10.6], [0, 0], [0, 17]]])
    np.testing.assert_array_equal(with_t, [[0, 0, 0], [11, 0, 1]])  # rounded absolute points
    path = tmp_path / "cat.ndjson"
    with open(path, "w") as f:
        for i in range(30):
            f.write(json.dumps({"word": "cat", "recognized": i % 2 == 0,
                                "drawing": [[[0, 5 + i, 9], [0, 3, i]], [[1, 2], [7, 7]]]}) + "\n")
    out = str(tmp_path / "cat.npz")
    assert SD.main(["make", "--ndjson", str(path), "--out", out, "--epsilon", "0"]) == 0
    data = SD.load_npz(out)
    assert [len(data[s]) for s in SD.SPLITS] == [28, 1, 1]
    first = sorted(tuple(d[1, 0:2]) for s in SD.SPLITS for d in data[s])
    assert first == sorted((5 + i, 3) for i in range(30))  # every drawing once, none lost
    again = str(tmp_path / "again.npz")
    SD.make_npz_from_ndjson(str(path), again, epsilon=0)
    np.testing.assert_array_equal(SD.load_npz(again)["valid"][0], data["valid"][0])  # deterministic split
    counts = SD.make_npz_from_ndjson(str(path), again, max_drawings=10, recognized_only=True)
    assert sum(counts.values()) == 10
    with open(path, "a") as f:
        f.write('{"word": "cat", "drawing": [[[1, 2], [3]]]}\n')
    with pytest.raises(ValueError, match=r"cat\.ndjson, line 31: not a QuickDraw drawing record"):
        SD.read_ndjson(str(path))


def test_info_cli(good, capsys):
    assert SD.main(["info", good]) == 0
    text = capsys.readouterr().out
    assert "train: 5 drawings" in text and "N_max 30" in text
    assert SD.main(["info", good + ".missing"]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_shared_aaron_sheep(shared_data):
    path = os.path.join(shared_data, "sketch", "aaron_sheep.npz")
    data = SD.load_sketch_data([path], 250)
    assert (len(data.train), len(data.valid), len(data.test)) == (7400, 300, 300)
    assert data.max_seq_len == 250 and sum(data.dropped.values()) == 0
    assert all(d.ndim == 2 and d.shape[1] == 3 and d[-1, 2] == 1 for d in data.train)
    ref = np.load(path, allow_pickle=True, encoding="latin1")  # the original's way of reading it
    np.testing.assert_array_equal(data.test[17], ref["test"][17])
    xy = np.concatenate([d[:, 0:2].astype(np.float64).ravel() for d in ref["train"]])
    assert data.scale_factor == pytest.approx(np.std(xy), rel=1e-9)
    kanji = SD.load_npz(os.path.join(shared_data, "sketch", "kanji.rdp100.npz"))  # Python-2 pickle with bytes
    assert len(kanji["train"]) == 10358 and kanji["train"][0].dtype == np.float64
