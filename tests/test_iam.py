"""data_utils.iam: parsing a tiny IAM-OnDB-shaped tree (and its archives), splits, cache,
normalisation, tf.data pipelines; with RNNGEN_SHARED_DATA, checks against the real corpus."""
import collections
import gzip
import io
import json
import os
import tarfile

import numpy as np
import pytest

from data_utils import iam, iam_batches
from data_utils.text import UnknownCharacterError

# form -> {line number: strokes (lists of absolute raw (x, y) points, y down)}
FORMS = {
    "a01-000u": {1: [[(100, 200), (110, 190), (125, 195)], [(140, 210)], [(150, 200), (160, 205)]],
                 2: [[(10, 20), (13, 24)]]},
    "a01-001": {1: [[(0, 0), (5, 5), (9, 9)]], 2: None},  # line 02: malformed XML
    "b02-010": {1: [[(1, 1), (2, 2)]]},  # placeholder transcription
    "c03-000x": {1: [[(7, 7), (8, 9), (9, 7)], [(20, 8)]]},  # no transcription file
    "d04-000": {1: [[(3, 3), (4, 4)]], 2: [[(5, 5), (6, 7)]]},  # 2 XML lines, 3 CSR lines
}
CSR = {
    "a01-000u": ["A MOVE to stop", "Mr . Gaitskell"],
    "a01-001": ["hello world", "second line"],
    "b02-010": ["Please Enter Transcription here"],
    "d04-000": ["one", "two", "three"],
    "e05-000": ["a form without any XML"],
}
LISTS = {"trainset": ["a01-000u", "c03-000x"], "testset_v": ["a01-001"], "testset_t": ["d04-000"],
         "testset_f": ["b02-010"]}
LINE_IDS = ["a01-000u-01", "a01-000u-02", "a01-001-01", "b02-010-01", "c03-000x-01", "d04-000-01", "d04-000-02"]
# a01-000u-01 in the corpus convention, worked out by hand: (dx, -dy raw, eos).
A01_000U_01 = np.array([[0, 0, 0], [10, 10, 0], [15, -5, 1], [15, -15, 1], [10, 10, 0], [10, -5, 1]], np.float32)


def _xml(strokes):
    out = ['<?xml version="1.0" encoding="ISO-8859-1"?>\n<WhiteboardCaptureSession>\n  <WhiteboardDescription>\n'
           '    <SensorLocation corner="top_left"/>\n  </WhiteboardDescription>\n  <StrokeSet>\n']
    t = 10.0
    for stroke in strokes:
        out.append(f'    <Stroke colour="black" start_time="{t:.2f}" end_time="{t + 1:.2f}">\n')
        for x, y in stroke:
            out.append(f'      <Point x="{x}" y="{y}" time="{t:.2f}"/>\n')
            t += 0.01
        out.append("    </Stroke>\n")
    out.append("  </StrokeSet>\n</WhiteboardCaptureSession>\n")
    return "".join(out)


def _folder(form):
    return os.path.join(form[:3], form[:7])


def make_tree(root, lists=True):
    for form, lines in FORMS.items():
        folder = os.path.join(root, "lineStrokes", _folder(form))
        os.makedirs(folder, exist_ok=True)
        for number, strokes in lines.items():
            text = _xml(strokes) if strokes else '<?xml version="1.0"?><WhiteboardCaptureSession><StrokeSet><Stro'
            with open(os.path.join(folder, f"{form}-{number:02d}.xml"), "w") as f:
                f.write(text)
    for form, lines in CSR.items():
        folder = os.path.join(root, "ascii", _folder(form))
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, form + ".txt"), "w", newline="") as f:
            f.write("OCR:\r\n\r\nsome prompt text\r\n\r\nCSR:\r\n\r\n" + "".join(f"{t} \r\n" for t in lines))
    if lists:
        for name, forms in LISTS.items():
            with open(os.path.join(root, name + ".txt"), "w") as f:
                f.write("".join(f" {form}\n" for form in forms))
    return str(root)


def expected_strokes(strokes):
    """Independent reference: absolute points -> rows (dx, dy up, eos)."""
    pts = np.array([p for s in strokes for p in s], np.float64)
    eos = np.concatenate([[0] * (len(s) - 1) + [1] for s in strokes])
    rows = np.zeros((len(pts), 3))
    rows[1:, 0] = pts[1:, 0] - pts[:-1, 0]
    rows[1:, 1] = -(pts[1:, 1] - pts[:-1, 1])
    rows[:, 2] = eos
    return rows


@pytest.fixture
def tree(tmp_path):
    return make_tree(tmp_path / "iam")


def _load(path, tmp_path, **kw):
    return iam.load_corpus(path, cache_dir=str(tmp_path / "cache"), progress=False, **kw)


def test_parse_tree_values(tree, tmp_path):
    c = _load(tree, tmp_path)
    assert c.line_ids == LINE_IDS
    np.testing.assert_array_equal(c.strokes[0], A01_000U_01)
    for line_id, strokes in zip(c.line_ids, c.strokes):
        form, number = line_id.rsplit("-", 1)
        points = FORMS[form][int(number)]
        np.testing.assert_array_equal(strokes, expected_strokes(points))
        assert strokes.dtype == np.float32 and strokes[-1, 2] == 1
    assert c.texts == ["A MOVE to stop", "Mr . Gaitskell", "hello world", "", "", "", ""]
    assert c.text_ok.tolist() == [True, True, True, False, False, False, False]
    assert c.num_points == sum(len(s) for lines in FORMS.values() for st in lines.values() if st for s in st)
    for part in ("7 lines", "3 forms (4 lines) excluded from synthesis", "misaligned: d04-000", "missing: c03-000x",
                 "placeholder: b02-010", "1 malformed XML files skipped (a01-001-02)"):
        assert part in c.summary


def test_progress_and_summary_go_to_stderr(tree, tmp_path, capsys):
    iam.load_corpus(tree, cache_dir=str(tmp_path / "cache"), progress=True)
    err = capsys.readouterr().err
    assert "Parsing IAM-OnDB lineStrokes XML: 8/8 (100%)" in err
    assert err.strip().splitlines()[-1].startswith("IAM-OnDB: 7 lines, 21 points (parsed tree")


def test_archives_equal_tree(tree, tmp_path):
    arch = tmp_path / "archives"
    os.makedirs(arch / "splits")
    with tarfile.open(arch / "lineStrokes-all.tar.gz", "w:gz") as t:
        t.add(os.path.join(tree, "lineStrokes"), arcname="lineStrokes")
    with tarfile.open(arch / "iamondb_ascii.tar.xz", "w:xz") as t:
        t.add(os.path.join(tree, "ascii"), arcname="ascii")
    for name in LISTS:
        os.rename(os.path.join(tree, name + ".txt"), arch / "splits" / (name + ".txt"))
    a = iam.load_corpus(str(arch), progress=False)  # cache defaults to the (writable) data folder
    assert os.path.isfile(arch / iam.CACHE_NAME)
    t = _load(tree, tmp_path, splits_dir=str(arch / "splits"))
    assert a.line_ids == t.line_ids and a.texts == t.texts
    assert a.text_ok.tolist() == t.text_ok.tolist() and a.split.tolist() == t.split.tolist()
    for x, y in zip(a.strokes, t.strokes):
        np.testing.assert_array_equal(x, y)
    assert "misaligned: d04-000" in a.summary and "1 malformed" in a.summary


def test_damaged_archive_is_an_error(tree, tmp_path):
    arch = tmp_path / "bad"
    os.makedirs(arch)
    with tarfile.open(arch / "lineStrokes-all.tar.gz", "w:gz") as t:
        t.add(os.path.join(tree, "lineStrokes"), arcname="lineStrokes")
    data = (arch / "lineStrokes-all.tar.gz").read_bytes()
    (arch / "lineStrokes-all.tar.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="damaged or incomplete"):
        iam.load_corpus(str(arch), progress=False)


def _tar_bytes(tree):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as t:
        t.add(os.path.join(tree, "lineStrokes"), arcname="lineStrokes")
    return buffer.getvalue()


def test_archive_with_a_damaged_header_in_the_middle_is_an_error(tree, tmp_path):
    """A bad member header half-way makes tarfile's stream reader stop quietly; the lines before
    it must not be loaded (and cached) as if they were the whole corpus."""
    data = bytearray(_tar_bytes(tree))
    headers = [m.offset for m in tarfile.open(fileobj=io.BytesIO(bytes(data))).getmembers()]
    middle = headers[len(headers) // 2]
    data[middle + 148:middle + 156] = b"9999999\0"  # the header's checksum field
    arch = tmp_path / "bad_header"
    os.makedirs(arch)
    (arch / "lineStrokes-all.tar.gz").write_bytes(gzip.compress(bytes(data)))
    with pytest.raises(ValueError, match=r"lineStrokes-all.tar.gz is damaged or incomplete.*ends the archive early"):
        iam.load_corpus(str(arch), progress=False)
    assert not os.path.exists(arch / iam.CACHE_NAME)


def test_archive_with_a_bad_gzip_checksum_is_an_error(tree, tmp_path):
    data = bytearray(gzip.compress(_tar_bytes(tree)))
    data[-8:-4] = bytes(b ^ 0xFF for b in data[-8:-4])  # the gzip trailer's CRC32
    arch = tmp_path / "bad_crc"
    os.makedirs(arch)
    (arch / "lineStrokes-all.tar.gz").write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"damaged or incomplete \(CRC check failed"):
        iam.load_corpus(str(arch), progress=False)


@pytest.mark.parametrize("cut", ["at a member boundary", "inside a member header"])
def test_archive_cut_and_compressed_again_is_an_error(tree, tmp_path, cut):
    """A tar cut exactly where a member starts (or inside its header), then gzipped again, is a
    valid gzip file that tarfile's stream reader ends quietly: it read as part of the lines and
    cached that as the corpus. The missing tar end-of-archive marker gives it away."""
    data = _tar_bytes(tree)
    headers = [m.offset for m in tarfile.open(fileobj=io.BytesIO(data)).getmembers()]
    middle = headers[len(headers) // 2] + (0 if cut == "at a member boundary" else 100)
    arch = tmp_path / "cut"
    os.makedirs(arch)
    (arch / "lineStrokes-all.tar.gz").write_bytes(gzip.compress(data[:middle]))
    with pytest.raises(ValueError, match=r"lineStrokes-all.tar.gz is damaged or incomplete \(it ends without the tar "
                                         r"end-of-archive marker: it was cut off after [\d,]+ bytes"):
        iam.load_corpus(str(arch), progress=False)
    assert not os.path.exists(arch / iam.CACHE_NAME)
    (arch / "lineStrokes-all.tar").write_bytes(data[:middle])  # uncompressed, the same
    os.remove(arch / "lineStrokes-all.tar.gz")
    with pytest.raises(ValueError, match=r"lineStrokes-all.tar is damaged or incomplete \(it ends without"):
        iam.load_corpus(str(arch), progress=False)
    assert not os.path.exists(arch / iam.CACHE_NAME)


def test_splits_official_graves_and_errors(tree, tmp_path):
    official = dict(zip(LINE_IDS, ["train", "train", "valid", "test", "train", "valid2", "valid2"]))
    assert dict(zip(LINE_IDS, _load(tree, tmp_path).split.tolist())) == official
    graves = _load(tree, tmp_path, split_scheme="graves").split.tolist()
    assert graves == ["train", "train", "valid", "train", "train", "train", "train"]
    os.makedirs(tmp_path / "empty")
    with pytest.raises(FileNotFoundError, match="No trainset.txt in .*empty"):
        _load(tree, tmp_path, splits_dir=str(tmp_path / "empty"))
    with pytest.raises(ValueError, match="split_scheme must be one of"):
        _load(tree, tmp_path, split_scheme="paper")


def test_fallback_split_is_deterministic_by_form(tmp_path):
    c = _load(make_tree(tmp_path / "nolists", lists=False), tmp_path)
    want = [iam.SPLIT_SCHEMES["official"][iam.fallback_list(iam.form_of(i))] for i in LINE_IDS]
    assert c.split.tolist() == want and "deterministic split by form" in c.summary
    forms = [f"x{i:02d}-{j:03d}" for i in range(40) for j in range(50)]
    shares = collections.Counter(iam.fallback_list(f) for f in forms)
    assert shares == collections.Counter(iam.fallback_list(f) for f in forms)  # stable
    assert abs(shares["trainset"] / len(forms) - 0.8) < 0.03
    assert abs(shares["testset_v"] / len(forms) - 0.1) < 0.03


def test_cache_reuse_and_invalidation(tree, tmp_path, monkeypatch):
    first = _load(tree, tmp_path)
    cache = tmp_path / "cache" / iam.CACHE_NAME
    assert cache.is_file() and "parsed tree" in first.summary

    def parser_called(data):
        raise RuntimeError("the XML parser ran")

    monkeypatch.setattr(iam, "_parse_line_xml", parser_called)
    second = _load(tree, tmp_path)
    assert "loaded from cache" in second.summary and second.line_ids == first.line_ids
    assert second.texts == first.texts and second.text_ok.tolist() == first.text_ok.tolist()
    assert "misaligned: d04-000" in second.summary and "1 malformed XML files skipped" in second.summary
    for x, y in zip(first.strokes, second.strokes):
        np.testing.assert_array_equal(x, y)
    # The cache file is itself a valid source.
    third = iam.load_corpus(str(cache), progress=False)
    np.testing.assert_array_equal(third.strokes[0], A01_000U_01)
    # A changed source file invalidates the cache.
    path = os.path.join(tree, "lineStrokes", "a01", "a01-000", "a01-000u-02.xml")
    with open(path, "w") as f:
        f.write(_xml([[(10, 20), (13, 24), (15, 30)]]))
    with pytest.raises(RuntimeError, match="the XML parser ran"):
        _load(tree, tmp_path)


def test_preparsed_npz_format(tmp_path):
    lines = [FORMS["a01-000u"][1], FORMS["a01-000u"][2], FORMS["d04-000"][1]]
    xy = np.array([p for line in lines for s in line for p in s], np.int16)
    pen_up = np.concatenate([[0] * (len(s) - 1) + [1] for line in lines for s in line]).astype(np.uint8)
    lengths = [sum(len(s) for s in line) for line in lines]
    path = tmp_path / "iamondb_lines.npz"
    np.savez(path, line_ids=np.array(["a01-000u-01", "a01-000u-02", "d04-000-01"]),
             texts=np.array(["A MOVE to stop", "Mr . Gaitskell", ""]), text_ok=np.array([True, True, False]),
             offsets=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64), xy=xy, pen_up=pen_up,
             time_cs=np.zeros(len(xy), np.int32), split_official=np.array(["train", "val1", "val2"]))
    for source in (str(path), str(tmp_path)):
        c = iam.load_corpus(source, progress=False)
        np.testing.assert_array_equal(c.strokes[0], A01_000U_01)
        np.testing.assert_array_equal(c.strokes[2], expected_strokes(FORMS["d04-000"][1]))
        assert c.split.tolist() == ["train", "valid", "valid2"]
        assert c.text_ok.tolist() == [True, True, False] and "1 forms (1 lines) excluded" in c.summary
    np.savez(tmp_path / "other.npz", xy=xy)
    with pytest.raises(ValueError, match="not an IAM-OnDB lines file: it lacks"):
        iam.load_corpus(str(tmp_path / "other.npz"), progress=False)


def test_missing_data_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        iam.load_corpus(str(tmp_path / "nowhere"), progress=False)
    with pytest.raises(FileNotFoundError, match="No IAM-OnDB data in .*lineStrokes-all.tar.gz"):
        iam.load_corpus(str(tmp_path), progress=False)


def test_offset_stats_normalise_round_trip():
    rng = np.random.default_rng(0)
    lines = []
    for n in (5, 40, 17):
        s = np.zeros((n, 3), np.float32)
        s[1:, :2] = rng.normal([8, 0], [40, 30], size=(n - 1, 2))
        s[:, 2] = rng.random(n) < 0.1
        s[-1, 2] = 1
        lines.append(s)
    lines[1][7, 0] = 5000.0  # an outlier
    stats = iam_batches.compute_offset_stats(lines, clip_std=3.0)
    ref = np.concatenate([s[1:, :2] for s in lines]).astype(np.float64)
    np.testing.assert_allclose(stats.mean, ref.mean(0), rtol=1e-5)
    np.testing.assert_allclose(stats.std, ref.std(0), rtol=1e-5)
    norm = iam_batches.normalize(lines[1], stats)
    assert norm[7, 0] == pytest.approx(3.0) and np.abs(norm[:, :2]).max() <= 3.0
    np.testing.assert_allclose(norm[3, :2], (lines[1][3, :2] - ref.mean(0)) / ref.std(0), rtol=1e-5)
    np.testing.assert_array_equal(norm[:, 2], lines[1][:, 2])
    back = iam_batches.denormalize(norm, stats)
    kept = np.abs((lines[1][:, :2] - stats.mean) / stats.std) < 3.0
    np.testing.assert_allclose(back[:, :2][kept], lines[1][:, :2][kept], atol=1e-3)
    assert not kept[7, 0]
    again = iam_batches.OffsetStats.from_dict(json.loads(json.dumps(stats.to_dict())))
    np.testing.assert_array_equal(again.mean, stats.mean)
    np.testing.assert_array_equal(again.std, stats.std)
    assert again.clip == 3.0
    batch = np.stack([lines[0], lines[0]])  # [B, T, 3] works too
    np.testing.assert_array_equal(iam_batches.normalize(batch, stats)[1], iam_batches.normalize(lines[0], stats))
    with pytest.raises(ValueError, match="at least two offsets"):
        iam_batches.compute_offset_stats([np.zeros((1, 3))])


def _batches(ds):
    return [{k: v.numpy() for k, v in b.items()} for b in ds]


def test_make_dataset_prediction(tree, tmp_path):
    c = _load(tree, tmp_path)
    stats = iam_batches.compute_offset_stats([c.strokes[i] for i in np.flatnonzero(c.split == "train")])
    train = [0, 1, 4]  # a01-000u-01, a01-000u-02, c03-000x-01
    batches = _batches(iam_batches.make_dataset(c, "train", 2, stats, shuffle=False, repeat=False))
    assert [b["strokes"].shape for b in batches] == [(2, 6, 3), (1, 4, 3)]
    rows = [r for b in batches for r in zip(b["strokes"], b["stroke_mask"])]
    for i, (strokes, mask) in zip(train, rows):
        n = len(c.strokes[i])
        assert mask.tolist() == [1.0] * n + [0.0] * (len(mask) - n)
        np.testing.assert_allclose(strokes[:n], iam_batches.normalize(c.strokes[i], stats), rtol=1e-6)
        assert not strokes[n:].any()
    cut = _batches(iam_batches.make_dataset(c, "train", 3, stats, max_points=3, shuffle=False, repeat=False))
    assert cut[0]["stroke_mask"].sum(1).tolist() == [3, 2, 3]
    np.testing.assert_allclose(cut[0]["strokes"][0], iam_batches.normalize(c.strokes[0][:3], stats), rtol=1e-6)
    ds = iam_batches.make_dataset(c, "train", 2, stats, seed=1)
    assert ds.element_spec["strokes"].shape.as_list() == [2, None, 3]
    assert "chars" not in ds.element_spec
    seen = [b["stroke_mask"].sum(1) for b in _batches(ds.take(6))]
    assert collections.Counter(np.concatenate(seen).tolist()) == {6: 4, 2: 4, 4: 4}  # 4 epochs, shuffled
    with pytest.raises(ValueError, match="no line in split 'nope'"):
        iam_batches.make_dataset(c, "nope", 2, stats)


def test_make_dataset_synthesis(tree, tmp_path):
    c = _load(tree, tmp_path)
    vocab = iam_batches.alphabet_from_texts(c.texts)
    assert "".join(vocab.chars) == "".join(sorted(set("A MOVE to stopMr . Gaitskellhello world")))
    stats = iam_batches.compute_offset_stats(c.strokes)
    (b,) = _batches(iam_batches.make_dataset(c, "train", 4, stats, vocabulary=vocab, shuffle=False, repeat=False))
    assert b["strokes"].shape == (2, 6, 3) and b["chars"].dtype == np.int32  # c03-000x-01 has no text
    assert b["chars"].shape == (2, 14) and b["char_mask"].sum(1).tolist() == [14, 14]
    assert [vocab.decode(ch) for ch in b["chars"]] == ["A MOVE to stop", "Mr . Gaitskell"]
    (b,) = _batches(iam_batches.make_dataset(c, "train", 4, stats, vocabulary=vocab, max_points=3, shuffle=False,
                                     repeat=False))
    assert [vocab.decode(ch[m > 0]) for ch, m in zip(b["chars"], b["char_mask"])] == ["Mr . Gaitskell"]
    with pytest.raises(UnknownCharacterError, match="'G'") as err:
        iam_batches.make_dataset(c, "train", 4, stats, vocabulary=iam_batches.alphabet_from_texts(["A MOVE to stop"]))
    assert "a01-000u-02" in str(err.value.__notes__)
    with pytest.raises(ValueError, match="has a usable transcription"):
        iam_batches.make_dataset(c, "test", 4, stats, vocabulary=vocab)  # b02-010: placeholder only
    with pytest.raises(ValueError, match="every text is empty"):
        iam_batches.alphabet_from_texts(["", ""])


def test_make_dataset_bucketing():
    rng = np.random.default_rng(3)
    lengths = rng.integers(2, 30, size=40)
    strokes = [np.concatenate([rng.normal(size=(n, 2)), np.ones((n, 1))], 1).astype(np.float32) for n in lengths]
    c = iam.Corpus([f"x01-000-{i:02d}" for i in range(40)], ["t"] * 40, np.ones(40, bool), strokes,
                   np.array(["train"] * 40))
    stats = iam_batches.compute_offset_stats(strokes)
    batches = _batches(iam_batches.make_dataset(c, "train", 4, stats, repeat=False, bucket_boundaries=[10, 20], seed=0))
    got = []
    for b in batches:
        n = b["stroke_mask"].sum(1).astype(int)
        assert len(set(np.digitize(n, [10, 20]))) == 1  # one bucket per batch
        assert b["strokes"].shape[1] == n.max()
        got.extend(n.tolist())
    assert sorted(got) == sorted(lengths.tolist())
    with pytest.raises(ValueError, match="increasing"):
        iam_batches.make_dataset(c, "train", 4, stats, bucket_boundaries=[20, 10])


# ------------------------------------------------------------------------------------------------
# The real corpus (only with RNNGEN_SHARED_DATA)


def test_real_preparsed_counts(shared_data):
    path = os.path.join(shared_data, "handwriting", "iamondb_lines.npz")
    c = iam.load_corpus(path, progress=False)
    assert len(c) == 12195 and c.num_points == 7656867 and int(c.text_ok.sum()) == 12177
    counts = collections.Counter(c.split.tolist())
    assert (counts["train"], counts["valid"], counts["valid2"], counts["test"]) == (5364, 1438, 1518, 3859)
    assert all(s[-1, 2] == 1 and not s[0, :2].any() for s in c.strokes[:50])
    assert len(iam_batches.alphabet_from_texts(c.texts)) == 81


def test_real_xml_members(shared_data, tmp_path):
    """Parse the XML of form a01-000u extracted from the real archive (its first members only)."""
    folder = os.path.join(shared_data, "handwriting")
    root = tmp_path / "real"
    with tarfile.open(os.path.join(folder, "iamondb_lineStrokes.tar.xz"), "r|xz") as t:
        got = 0
        for m in t:
            if m.isfile() and "/a01-000u-" in m.name:
                t.extract(m, root, filter="data")
                got += 1
            elif got:
                break
    with tarfile.open(os.path.join(folder, "iamondb_ascii.tar.xz"), "r|xz") as t:
        for m in t:
            if m.name.endswith("/a01-000u.txt"):
                t.extract(m, root, filter="data")
                break
    c = _load(str(root), tmp_path, splits_dir=os.path.join(folder, "splits"))
    ref = iam.load_corpus(os.path.join(folder, "iamondb_lines.npz"), progress=False)
    assert got == 6 and c.line_ids == [f"a01-000u-0{i}" for i in range(1, 7)]
    for i, line_id in enumerate(c.line_ids):
        j = ref.index(line_id)
        np.testing.assert_array_equal(c.strokes[i], ref.strokes[j])
        assert c.texts[i] == ref.texts[j] and c.text_ok[i] and c.split[i] == ref.split[j] == "valid2"
    assert c.texts[0] == "A MOVE to stop Mr . Gaitskell"
