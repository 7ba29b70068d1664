"""Sketch-RNN data: .npz loading and validation, data-set download and cache, tf.data batches, making
your own .npz from QuickDraw ndjson. Follows magenta `sketch_rnn/utils.py` (DataLoader) and
`sketch_rnn_train.py` (load_dataset).

A sketch-rnn .npz holds three 1-D object arrays `train`, `valid`, `test`; each element is one drawing,
an int16 (sometimes float) array [n, 3] in stroke-3 (dx, dy, pen_lifted), see data_utils/strokes.py.

Command line (no TensorFlow needed):
  python -m data_utils.sketch_data make --ndjson cat.ndjson --out data/my_cat.npz [--epsilon 2]
  python -m data_utils.sketch_data info data/aaron_sheep.npz
  python -m data_utils.sketch_data download cat --data_dir data
"""
import argparse
import codecs
import dataclasses
import json
import os
import pickle
import stat
import sys
import urllib.parse
import zipfile
import zlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

import numpy as np
from numpy.typing import ArrayLike

from data_utils import strokes as S
from data_utils.strokes import normalize, to_big_strokes, to_normal_strokes  # noqa: F401 (public API)
from fileio.download import DownloadError, download
from fileio.files import atomic_open

if TYPE_CHECKING:
    import tensorflow as tf

SPLITS = ("train", "valid", "test")
LIMIT = 1000  # |dx|, |dy| are clipped to this, as the original DataLoader(limit=1000)

QUICKDRAW_URL = "https://storage.googleapis.com/quickdraw_dataset/sketchrnn"
GITHUB_URL = "https://github.com/hardmaru/sketch-rnn-datasets/raw/master"
# Data sets of github.com/hardmaru/sketch-rnn-datasets: file stem -> path in that repository.
GITHUB_DATASETS = {
    "aaron_sheep": "aaron_sheep/aaron_sheep.npz",
    "omniglot": "omniglot/omniglot.npz",
    "short_kanji": "kanji/short_kanji.npz",
    "kanji.rdp100": "kanji/kanji.rdp100.npz",
    "kanji.rdp200": "kanji/kanji.rdp200.npz",
}
ALIASES = {"kanji": "short_kanji"}  # the set the kanji folder's README describes (10000/600/500)
URL_ENV = "SKETCH_RNN_DATA_URL"


# ----------------------------------------------------------------------------- reading .npz safely

def _numpy_globals():
    core = getattr(np, "_core", None) or np.core  # numpy 2 / numpy 1
    return {
        ("numpy.core.multiarray", "_reconstruct"): core.multiarray._reconstruct,
        ("numpy.core.multiarray", "scalar"): core.multiarray.scalar,
        ("numpy.core.numeric", "_frombuffer"): core.numeric._frombuffer,
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("_codecs", "encode"): codecs.encode,  # bytes in Python-2 era pickles
    }


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles numpy arrays and nothing else, so a downloaded file cannot run code (which
    np.load(allow_pickle=True), the original's loader, would allow)."""

    allowed = None

    def find_class(self, module, name):
        if _ArrayUnpickler.allowed is None:
            _ArrayUnpickler.allowed = _numpy_globals()
        key = (module.replace("numpy._core", "numpy.core"), name)
        if key not in _ArrayUnpickler.allowed:
            raise pickle.UnpicklingError(f"it contains a pickled {module}.{name}, which is not a numpy array")
        return _ArrayUnpickler.allowed[key]


def _read_member(zf, member):
    """One .npy member of an open zip -> ndarray (object arrays through _ArrayUnpickler)."""
    with zf.open(member) as f:
        version = np.lib.format.read_magic(f)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) \
            else np.lib.format.read_array_header_2_0
        shape, fortran, dtype = read_header(f)
        if dtype.hasobject:
            return _ArrayUnpickler(f, encoding="latin1").load()
    with zf.open(member) as f:
        return np.lib.format.read_array(f, allow_pickle=False)


def _as_drawings(array, path, split):
    """A split's array -> list of validated drawings (original dtype); ValueError naming the problem."""
    where = f"{path}: split '{split}'"
    if not isinstance(array, np.ndarray):
        raise ValueError(f"{where} is a {type(array).__name__}, expected an array of drawings.")
    if array.dtype == object:
        if array.ndim != 1:
            raise ValueError(f"{where} is an object array of shape {array.shape}, expected 1-D (one drawing each).")
        drawings = list(array)
    elif array.ndim == 3:  # all drawings of one length, stored as one block
        drawings = list(array)
    else:
        raise ValueError(f"{where} has shape {array.shape} and dtype {array.dtype}; expected a 1-D object "
                         f"array of [n, 3] drawings (or one [count, n, 3] block).")
    for i, d in enumerate(drawings):
        if not isinstance(d, np.ndarray):
            raise ValueError(f"{where}, drawing {i} is a {type(d).__name__}, expected an [n, 3] array.")
        if d.ndim != 2 or d.shape[1] != 3 or len(d) == 0 or not np.issubdtype(d.dtype, np.number) \
                or np.iscomplexobj(d):
            raise ValueError(f"{where}, drawing {i} {S.validate_drawing(d)}.")
    if drawings:
        flat = np.concatenate(drawings)
        bad = ~np.all(np.isfinite(flat), axis=1) | ((flat[:, 2] != 0) & (flat[:, 2] != 1))
        if bad.any():
            i = int(np.searchsorted(np.cumsum([len(d) for d in drawings]), np.flatnonzero(bad)[0], side="right"))
            raise ValueError(f"{where}, drawing {i} {S.validate_drawing(drawings[i])}.")
    return drawings


def load_npz(path: str | os.PathLike) -> dict[str, list[np.ndarray]]:
    """Read and validate a sketch-rnn .npz -> {"train", "valid", "test": lists of [n, 3] arrays}.

    ValueError (naming the file, the split and the drawing index) for: a file that is not a zip / is
    corrupt, missing splits, wrong shapes or dtypes, NaN/inf, pen values other than 0/1, empty drawings.
    FileNotFoundError when path does not exist.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"Data file {path} does not exist.")
    fix = "delete it and download it again, or re-create it (python -m data_utils.sketch_data make)"
    try:
        with zipfile.ZipFile(path) as zf:
            members = {m[:-4]: m for m in zf.namelist() if m.endswith(".npy")}
            missing = [s for s in SPLITS if s not in members]
            if missing:
                raise ValueError(f"{path} has no {', '.join(repr(m) for m in missing)} array (it has: "
                                 f"{', '.join(sorted(members)) or 'nothing'}); a sketch-rnn .npz needs "
                                 f"train, valid and test.")
            arrays = {}
            for split in SPLITS:
                try:
                    arrays[split] = _read_member(zf, members[split])
                except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as e:
                    raise ValueError(f"{path}: split '{split}' cannot be read ({e}); {fix}.") from e
    except (zipfile.BadZipFile, zlib.error, EOFError) as e:
        raise ValueError(f"{path} is not a valid .npz (zip) file or is damaged ({e}); {fix}.") from e
    return {split: _as_drawings(arrays[split], path, split) for split in SPLITS}


def _object_array(drawings):
    out = np.empty(len(drawings), dtype=object)
    for i, d in enumerate(drawings):
        out[i] = d
    return out


def write_npz(path: str | os.PathLike, train: Sequence[ArrayLike], valid: Sequence[ArrayLike],
              test: Sequence[ArrayLike]) -> str | os.PathLike:
    """Write a sketch-rnn .npz (atomically) that load_npz and the original loader read.

    Each split is a list of stroke-3 arrays [n, 3]; they are stored as int16 when every value is an
    integer in int16 range (the format of the published sets), else as float32. ValueError names the
    first bad drawing.
    """
    splits = {}
    for split, drawings in zip(SPLITS, (train, valid, test)):
        drawings = [np.asarray(d) for d in drawings]
        for i, d in enumerate(drawings):
            problem = S.validate_drawing(d)
            if problem:
                raise ValueError(f"Cannot write {path}: split '{split}', drawing {i} {problem}.")
        integral = all(np.array_equal(d, np.round(d)) and np.abs(d).max() <= np.iinfo(np.int16).max
                       for d in drawings)
        splits[split] = _object_array([d.astype(np.int16 if integral else np.float32) for d in drawings])
    with atomic_open(path, "wb") as f:
        np.savez_compressed(f, **splits)
    return path


# ----------------------------------------------------------------------------- data sets

@dataclasses.dataclass
class SketchData:
    """Drawings of one or more .npz files, ready for normalize() and make_dataset().

    train/valid/test: lists of float32 [n, 3] drawings in data units (not normalised), dx, dy clipped
    to [-1000, 1000], only drawings with n <= the requested max_seq_len.
    max_seq_len: the longest kept drawing of all splits (N_max). scale_factor: the train split's std of
    dx, dy (calculate_normalizing_scale_factor). dropped: per split, drawings longer than max_seq_len.
    """
    train: list
    valid: list
    test: list
    max_seq_len: int
    scale_factor: float
    paths: list
    dropped: dict


def load_sketch_data(paths: str | os.PathLike | Sequence[str | os.PathLike], max_seq_len: int = 250,
                     limit: float = LIMIT) -> SketchData:
    """Load, validate and combine sketch-rnn .npz files (the original's data_set list) -> SketchData.

    Splits are concatenated in the order of paths. As the original DataLoader.preprocess, drawings
    longer than max_seq_len are dropped, dx, dy are clipped to [-limit, limit] and converted to float32;
    the scale factor is then computed on the kept training drawings.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    merged = {s: [] for s in SPLITS}
    for path in paths:
        for split, drawings in load_npz(path).items():
            merged[split] += drawings
    kept, dropped, clipped = {}, {}, 0
    for split in SPLITS:
        short = [d for d in merged[split] if len(d) <= max_seq_len]
        clipped += sum(int(np.count_nonzero(np.abs(d[:, :2]) > limit)) for d in short)
        kept[split] = [S.clip_offsets(d, limit) for d in short]
        dropped[split] = len(merged[split]) - len(kept[split])
    if clipped:
        print(f"Note: {clipped} pen offsets (dx or dy) in {', '.join(map(str, paths))} lie beyond +-{limit} and "
              f"were clipped to +-{limit}, as the original DataLoader does.", file=sys.stderr, flush=True)
    names = ", ".join(map(str, paths))
    if not merged["train"]:
        raise ValueError(f"The train split of {names} is empty (0 drawings); a model needs training drawings. "
                         f"Use a data set with a non-empty train split.")
    if not kept["train"]:
        raise ValueError(f"No training drawing of {names} has at most max_seq_len="
                         f"{max_seq_len} points ({dropped['train']} dropped); raise it, e.g. "
                         f"--hparams=max_seq_len=500.")
    try:
        scale = S.scale_factor(kept["train"])
    except ValueError as e:  # every offset the same (all zero): nothing to normalise by
        raise ValueError(f"{names}: the train split cannot be used: {e} (0 means every pen offset dx, dy is the "
                         f"same, e.g. all 0.) Check or re-create the file.") from None
    longest = max(len(d) for s in SPLITS for d in kept[s])
    return SketchData(kept["train"], kept["valid"], kept["test"], longest, scale, [str(p) for p in paths], dropped)


def dataset_url(name: str, base_url: str | None = None) -> str:
    """Download URL of data set `name` (a file stem): base_url, else $SKETCH_RNN_DATA_URL, holding
    <name>.npz files; else the sketch-rnn-datasets repository for its sets, else QuickDraw."""
    base = base_url or os.environ.get(URL_ENV)
    if base:
        return f"{base.rstrip('/')}/{urllib.parse.quote(name)}.npz"
    if name in GITHUB_DATASETS:
        return f"{GITHUB_URL}/{GITHUB_DATASETS[name]}"
    return f"{QUICKDRAW_URL}/{urllib.parse.quote(name)}.npz"


def _check_data_dir(data_dir: str) -> None:
    """A data folder that exists must be a folder this process can read (else a file in it looks
    missing and would be downloaded again); one that does not exist is made by the download."""
    try:
        st = os.stat(data_dir)
    except FileNotFoundError:
        return
    except PermissionError:
        raise PermissionError(f"The data folder {data_dir} (--data_dir) cannot be read: permission denied on a "
                              f"folder above it. Fix the permissions or choose another --data_dir; nothing was "
                              f"downloaded.") from None
    if not stat.S_ISDIR(st.st_mode):
        raise ValueError(f"The data folder {data_dir} (--data_dir) is not a folder (it is a file or a device); "
                         f"give the folder that holds (or will hold) NAME.npz.")
    if not os.access(data_dir, os.R_OK | os.X_OK):
        raise PermissionError(f"The data folder {data_dir} (--data_dir) cannot be read (permission denied). Fix its "
                              f"permissions or choose another --data_dir; nothing was downloaded.")


def resolve_dataset(name: str, data_dir: str = "data", base_url: str | None = None,
                    progress: bool | TextIO | None = True) -> str:
    """Path of data set `name` (e.g. "cat", "The Eiffel Tower", "aaron_sheep", "cat.full"):
    <data_dir>/<name>.npz if present, else downloaded there first (see dataset_url).

    Raises ValueError for a name that is a path, DownloadError (with the URL and the manual fix) when
    the download fails.
    """
    name = name.strip()
    if name.endswith(".npz"):
        name = name[:-4]
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"Data set name {name!r} is not a plain name; put your .npz into --data_dir "
                         f"and pass its file name without .npz.")
    _check_data_dir(data_dir)
    path = os.path.join(data_dir, name + ".npz")
    if os.path.isfile(path):
        return path
    if name in ALIASES:
        name = ALIASES[name]
        path = os.path.join(data_dir, name + ".npz")
        if os.path.isfile(path):
            return path
    url = dataset_url(name, base_url)
    try:
        return download(url, path, verify=load_npz, progress=progress)
    except DownloadError as e:
        hint = ""
        if "HTTP 404" in str(e) and url.startswith(QUICKDRAW_URL):
            hint = (f" '{name}' is not a QuickDraw category: names are as in https://github.com/"
                    f"googlecreativelab/quickdraw-dataset/blob/master/categories.txt (e.g. cat, "
                    f"'The Eiffel Tower'), or one of {', '.join(sorted(GITHUB_DATASETS) + sorted(ALIASES))}.")
        raise type(e)(f"Data set '{name}' is not in {data_dir}. {e}{hint}") from e  # Ctrl-C stays one


# ----------------------------------------------------------------------------- tf.data

def sort_by_length(drawings: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Drawings ordered by length, as the original DataLoader.preprocess orders every split
    (np.argsort of the lengths). Evaluation batches taken in this order without a remainder
    (make_dataset(..., shuffle=False, repeat=False)) are exactly the original's
    get_batch(0 .. num_batches - 1): the longest len % batch_size drawings are left out."""
    order = np.argsort([len(d) for d in drawings])
    return [drawings[i] for i in order]


def make_dataset(drawings: Sequence[ArrayLike], max_seq_len: int, batch_size: int, random_scale_factor: float = 0.0,
                 augment_stroke_prob: float = 0.0, shuffle: bool = True, repeat: bool = True, seed: int | None = None,
                 bucket_width: int = 0, start_batch: int = 0) -> "tf.data.Dataset":
    """tf.data.Dataset of batches {"strokes": float32 [B, max_seq_len + 1, 5], "seq_len": int32 [B]}.

    drawings: list of float32 [n, 3] stroke-3 (already normalised), n <= max_seq_len. Each batch is
    built like the original DataLoader._get_batch_from_indices: per drawing a fresh random x/y scale
    and point dropping (augment_strokes), then stroke-5 with the start token, padded with
    (0, 0, 0, 0, 1); seq_len is the length after augmentation. The augmentation is redrawn every time
    a drawing is used. shuffle: reshuffled every epoch; repeat: endless (batches may span epochs);
    incomplete final batches are dropped. For validation/test pass drawings in sort_by_length order,
    shuffle=False, repeat=False and no augmentation (then the batches are exactly the original's
    get_batch(0..num_batches-1)).

    bucket_width > 0 (a deviation from the original, for speed): drawings are batched with drawings
    of similar length (tf.data bucket_by_sequence_length, buckets of bucket_width points) and each
    batch is padded only to its bucket's top, min(max_seq_len, k * bucket_width) points, instead of
    max_seq_len; the time dimension of "strokes" then varies between batches (a few fixed values).

    With a seed the stream is a function of it: batch k is drawn in the shuffled order the seed
    fixes and augmented with a random generator seeded by (seed, k). start_batch: begin at batch k
    (an exact resume at step k) without building the batches before it.
    """
    import tensorflow as tf

    drawings = [np.asarray(d, np.float32) for d in drawings]
    longest = max((len(d) for d in drawings), default=0)
    if longest > max_seq_len:
        raise ValueError(f"A drawing has {longest} points, more than max_seq_len={max_seq_len}.")
    if len(drawings) < batch_size and not repeat:
        raise ValueError(f"Only {len(drawings)} drawings, fewer than one batch of {batch_size}.")
    if not drawings:
        raise ValueError("No drawings to make a data set from.")
    augment = random_scale_factor > 0 or augment_stroke_prob > 0

    if bucket_width < 0:
        raise ValueError(f"bucket_width must be >= 0 (0: no bucketing), got {bucket_width}.")
    lengths = np.array([len(d) for d in drawings], np.int64)

    def padded_length(indices):
        if not bucket_width:
            return max_seq_len
        longest_in_batch = int(lengths[indices].max())  # augmentation only drops points
        return min(max_seq_len, -(-longest_in_batch // bucket_width) * bucket_width)

    def build(number, indices):
        batch = [drawings[i] for i in indices]
        if augment:
            rng = np.random.default_rng(None if seed is None else [seed, int(number)])
            batch = S.augment_batch(batch, random_scale_factor, augment_stroke_prob, rng)
        return S.pad_batch(batch, padded_length(indices))

    def to_batch(number, indices):
        strokes, seq_len = tf.numpy_function(build, [number, indices], [tf.float32, tf.int32],
                                             stateful=augment and seed is None)
        strokes.set_shape([batch_size, None if bucket_width else max_seq_len + 1, 5])
        seq_len.set_shape([batch_size])
        return {"strokes": strokes, "seq_len": seq_len}

    ds = tf.data.Dataset.range(len(drawings))
    if shuffle:
        ds = ds.shuffle(len(drawings), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    tops = list(range(bucket_width, max_seq_len, bucket_width)) if bucket_width else []
    if tops:  # bucket k holds the drawings of (tops[k-1], tops[k]] points, the last one the rest
        lengths_t = tf.constant(lengths, tf.int32)
        ds = ds.bucket_by_sequence_length(
            lambda i: tf.gather(lengths_t, i), [top + 1 for top in tops], [batch_size] * (len(tops) + 1),
            drop_remainder=True)
    else:
        ds = ds.batch(batch_size, drop_remainder=True)
    ds = ds.enumerate()  # (batch number, drawing indices): cheap to skip, the batches are built after
    if start_batch:
        ds = ds.skip(start_batch)
    return ds.map(to_batch).prefetch(tf.data.AUTOTUNE)


# The same conversions in TensorFlow, for compiled samplers and SavedModel signatures.
def stroke3_to_stroke5_tensor(strokes: "tf.Tensor", lengths: "tf.Tensor",
                              scale_factor: "float | tf.Tensor") -> "tf.Tensor":
    """[B, T, 3] stroke-3 in data units -> [B, T + 1, 5] normalised stroke-5 with start token."""
    import tensorflow as tf

    t = tf.shape(strokes)[1]
    valid = tf.sequence_mask(lengths, t, dtype=tf.float32)[..., None]
    pen = strokes[..., 2:3]
    body = tf.concat([strokes[..., :2] / scale_factor, 1.0 - pen, pen, tf.zeros_like(pen)], axis=-1)
    end = tf.constant([0.0, 0.0, 0.0, 0.0, 1.0])
    body = body * valid + end * (1.0 - valid)
    start = tf.tile(tf.constant([[[0.0, 0.0, 1.0, 0.0, 0.0]]]), [tf.shape(strokes)[0], 1, 1])
    return tf.concat([start, body], axis=1)


def stroke5_to_stroke3_tensor(strokes5: "tf.Tensor", lengths: "tf.Tensor",
                              scale_factor: "float | tf.Tensor") -> "tf.Tensor":
    """[B, N, 5] normalised stroke-5 -> [B, N, 3] stroke-3 in data units, zero after lengths."""
    import tensorflow as tf

    valid = tf.sequence_mask(lengths, tf.shape(strokes5)[1], dtype=tf.float32)[..., None]
    out = tf.concat([strokes5[..., :2] * scale_factor, strokes5[..., 3:4]], axis=-1)
    return out * valid



# ----------------------------------------------------------------------------- making data sets

def ndjson_to_strokes(drawing: Sequence[Sequence[Sequence[float]]], epsilon: float | None = None) -> np.ndarray:
    """A QuickDraw ndjson "drawing" (list of strokes [[x...], [y...]] or [[x...], [y...], [t...]]) ->
    stroke-3 float32 [n, 3] with integer offsets. epsilon: RDP-simplify every stroke first (the
    sketch-rnn QuickDraw sets used 2.0). Absolute points are rounded before differencing, so the
    rounding error does not accumulate."""
    lines = []
    for k, stroke in enumerate(drawing):
        if not isinstance(stroke, (list, tuple)) or len(stroke) < 2 or len(stroke[0]) != len(stroke[1]):
            raise ValueError(f"stroke {k} is not [[x...], [y...]] with as many x as y")
        line = np.column_stack([np.asarray(stroke[0], np.float64), np.asarray(stroke[1], np.float64)])
        if epsilon:
            line = S.rdp(line, epsilon)
        lines.append(np.round(line))
    return S.lines_to_strokes(lines)


def read_ndjson(path: str | os.PathLike, epsilon: float | None = None, max_drawings: int | None = None,
                recognized_only: bool = False) -> list[np.ndarray]:
    """QuickDraw ndjson file (raw or simplified) -> list of stroke-3 drawings (empty ones skipped)."""
    out = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if max_drawings is not None and len(out) >= max_drawings:
                break
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                if recognized_only and not record.get("recognized", True):
                    continue
                strokes = ndjson_to_strokes(record["drawing"], epsilon)
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
                raise ValueError(f"{path}, line {number}: not a QuickDraw drawing record ({e!r}).") from e
            if len(strokes):
                out.append(strokes)
    return out


def split_drawings(drawings: Sequence[np.ndarray], valid_fraction: float, test_fraction: float,
                   seed: int = 0) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """Deterministic shuffle (numpy seed) and split -> (train, valid, test) lists."""
    order = np.random.default_rng(seed).permutation(len(drawings))
    n_valid = int(round(len(drawings) * valid_fraction))
    n_test = int(round(len(drawings) * test_fraction))
    pick = [drawings[i] for i in order]
    return pick[n_valid + n_test:], pick[:n_valid], pick[n_valid:n_valid + n_test]


def make_npz_from_ndjson(ndjson: str | os.PathLike, out: str | os.PathLike, epsilon: float = 2.0,
                         max_drawings: int | None = None, valid_fraction: float = 1 / 30,
                         test_fraction: float = 1 / 30, seed: int = 0, recognized_only: bool = False) -> dict[str, int]:
    """ndjson -> sketch-rnn .npz; returns {"train", "valid", "test": counts}. The default split fractions
    are those of the QuickDraw sketch-rnn sets (70000 / 2500 / 2500)."""
    drawings = read_ndjson(ndjson, epsilon, max_drawings, recognized_only)
    if not drawings:
        raise ValueError(f"{ndjson} holds no drawings.")
    train, valid, test = split_drawings(drawings, valid_fraction, test_fraction, seed)
    write_npz(out, train, valid, test)
    return {"train": len(train), "valid": len(valid), "test": len(test)}


def describe(path: str | os.PathLike, max_seq_len: int = 250) -> str:
    """Text summary of a .npz: drawings per split, lengths, scale factor."""
    data = load_sketch_data([path], max_seq_len)
    lines = [f"{path}"]
    for split in SPLITS:
        lengths = [len(d) for d in getattr(data, split)]
        mean = np.mean(lengths) if lengths else 0.0
        lines.append(f"  {split}: {len(lengths)} drawings (+{data.dropped[split]} longer than {max_seq_len} "
                     f"dropped), mean length {mean:.1f}, max {max(lengths, default=0)}")
    lines.append(f"  N_max {data.max_seq_len}, scale factor {data.scale_factor:.4f}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m data_utils.sketch_data",
                                     description="Make, inspect and download sketch-rnn .npz data sets.")
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("make", help="QuickDraw ndjson -> sketch-rnn .npz")
    make.add_argument("--ndjson", required=True, help="input .ndjson (raw or simplified QuickDraw)")
    make.add_argument("--out", required=True, help="output .npz")
    make.add_argument("--epsilon", type=float, default=2.0, help="RDP epsilon; 0 keeps every point")
    make.add_argument("--max_drawings", type=int, default=None, help="use at most this many drawings")
    make.add_argument("--valid_fraction", type=float, default=1 / 30)
    make.add_argument("--test_fraction", type=float, default=1 / 30)
    make.add_argument("--seed", type=int, default=0, help="seed of the split's shuffle")
    make.add_argument("--recognized_only", action="store_true", help="skip drawings with recognized=false")
    info = sub.add_parser("info", help="summarise a sketch-rnn .npz")
    info.add_argument("path")
    info.add_argument("--max_seq_len", type=int, default=250)
    get = sub.add_parser("download", help="download data sets into --data_dir")
    get.add_argument("names", nargs="+", help="QuickDraw categories or sketch-rnn-datasets names")
    get.add_argument("--data_dir", default="data")
    args = parser.parse_args(argv)
    try:
        if args.command == "make":
            counts = make_npz_from_ndjson(args.ndjson, args.out, args.epsilon, args.max_drawings,
                                          args.valid_fraction, args.test_fraction, args.seed, args.recognized_only)
            print(f"Wrote {args.out}: {counts['train']} train / {counts['valid']} valid / {counts['test']} test")
        elif args.command == "info":
            print(describe(args.path, args.max_seq_len))
        else:
            for name in args.names:
                print(resolve_dataset(name, args.data_dir))
    except (ValueError, OSError, DownloadError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
