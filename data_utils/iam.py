"""IAM-OnDB (IAM On-Line Handwriting Database) -> offset sequences, splits, a cache, tf.data pipelines.

Accepted sources (`load_corpus(data_dir)`):
  * the raw release tree: `data_dir/lineStrokes/a01/a01-000/a01-000u-01.xml` (one XML file per
    text line: <StrokeSet><Stroke><Point x y time/>...) and `data_dir/ascii/a01/a01-000/a01-000u.txt`
    (transcriptions; line NN of form F is the NN-th non-empty line after `CSR:` in F.txt);
  * a folder holding the two archives as distributed (`lineStrokes-all.tar.gz`, `ascii-all.tar.gz`)
    or repacked (`iamondb_lineStrokes.tar.xz`, `iamondb_ascii.tar.xz`); any `*lineStrokes*.tar*` /
    `*ascii*.tar*` name is accepted and read as a stream (nothing is unpacked to disk);
  * a pre-parsed flat-array file `iamondb_lines.npz` (a path to it, or a folder holding it), which is
    also the format of this module's cache.
When a folder holds several of these, the raw tree wins, then the archives, then the npz.

Parsing the raw XML once takes ~15 s (full corpus, one core); the result is cached as one flat `.npz`
(`iam_corpus_cache.npz`) keyed on the sources' sizes and modification times, so later loads take
under a second.

Conventions of `Corpus.strokes` (raw offsets, not normalised):
  each line is float32 [n, 3], row t = (dx, dy, eos): the pen offset from point t-1 to point t in
  whiteboard sensor units, with **y pointing up** (dy = -(y_t - y_{t-1}) of the raw y-down
  coordinates, so plotting the cumulative sums gives upright writing); the first row's offset is
  (0, 0); eos = 1 on the last point of every stroke (the pen lifts after it), so the last row of a
  line always has eos = 1. Offsets after an eos row are the pen-up jumps between strokes.
"""
import bz2
import collections
import contextlib
import dataclasses
import gzip
import json
import lzma
import os
import re
import sys
import tarfile
import time
import xml.etree.ElementTree as ET
import zlib

import numpy as np

from fileio.files import atomic_path
from fileio.progress import Progress

CACHE_NAME = "iam_corpus_cache.npz"
PREPARSED_NAME = "iamondb_lines.npz"
_CACHE_VERSION = 2  # 2: caches of cut-off archives or absurd coordinates (refused since) are parsed again
_DEFAULT_CACHE_DIR = os.path.join("~", ".cache", "rnngen", "iam")

SPLIT_LISTS = ("trainset", "testset_v", "testset_t", "testset_f")
# Official IAM-OnDB task lists -> split names, per scheme. "official": the lists as they are;
# "graves": Graves 2013 section 4 (train on trainset + testset_t + testset_f, stop early on testset_v).
SPLIT_SCHEMES = {
    "official": {"trainset": "train", "testset_v": "valid", "testset_t": "valid2", "testset_f": "test"},
    "graves": {"trainset": "train", "testset_t": "train", "testset_f": "train", "testset_v": "valid"},
}
# split_official values of the pre-parsed iamondb_lines.npz -> list names.
_NPZ_SPLIT_NAMES = {"train": "trainset", "val1": "testset_v", "val2": "testset_t", "test": "testset_f"}
_PLACEHOLDER = "please enter transcription here"
MAX_COORDINATE = 1e5  # |x|, |y| of a plausible point; the whiteboard's sensor units stay within about -100..10,000
_LINE_ID = re.compile(r"^(.+)-(\d+)$")


# ----------------------------------------------------------------------------------------------
# The corpus


@dataclasses.dataclass
class Corpus:
    """All lines of IAM-OnDB (or of a subset tree), in line-id order.

    line_ids: list[str], e.g. 'a01-000u-01' (form 'a01-000u', line 01).
    texts: list[str], the CSR transcription of each line ('' where unusable).
    text_ok: bool [L], False where the form's transcription is missing, empty, a placeholder or
        has a different number of lines than the form has XML files (such lines serve prediction,
        never synthesis).
    strokes: list of float32 [n_i, 3] raw offsets (dx, dy up, eos); see the module docstring.
    split: str [L], 'train' / 'valid' / 'valid2' / 'test' / '' (in no split); see load_corpus.
    summary: the one-line report printed by load_corpus.
    """

    line_ids: list
    texts: list
    text_ok: np.ndarray
    strokes: list
    split: np.ndarray
    summary: str = ""

    def __len__(self):
        return len(self.line_ids)

    @property
    def num_points(self) -> int:
        return int(sum(len(s) for s in self.strokes))

    def index(self, line_id: str) -> int:
        """Position of `line_id` in the corpus; KeyError with a hint when absent."""
        try:
            return self.line_ids.index(line_id)
        except ValueError:
            near = [i for i in self.line_ids if i.startswith(line_id.rsplit("-", 1)[0])][:5]
            hint = f" Lines of that form: {', '.join(near)}." if near else ""
            raise KeyError(f"No line '{line_id}' in the corpus ({len(self)} lines).{hint}") from None


def form_of(line_id: str) -> str:
    """'a01-000u-01' -> 'a01-000u'."""
    return line_id.rsplit("-", 1)[0]


def _strokes_from_flat(xy, pen_up, offsets):
    """Flat absolute points -> list of float32 [n_i, 3] offset lines (corpus convention).

    xy: [N, 2] raw x, y (y down); pen_up: [N] 1 on the last point of each stroke;
    offsets: [L + 1] line i is rows offsets[i]:offsets[i+1]."""
    xy = np.asarray(xy, dtype=np.float32)
    rows = np.zeros((len(xy), 3), dtype=np.float32)
    rows[1:, 0:2] = xy[1:] - xy[:-1]
    rows[offsets[:-1], 0:2] = 0.0
    rows[:, 1] = 0.0 - rows[:, 1]  # y up; 0.0 - x keeps zeros positive (-0.0 would print as such)
    rows[:, 2] = pen_up
    return np.split(rows, offsets[1:-1])


# ----------------------------------------------------------------------------------------------
# Parsing the raw formats


def _parse_line_xml(data):
    """One lineStrokes XML document (bytes) -> (xy float32 [n, 2] raw x, y with y down,
    pen_up uint8 [n], 1 on the last point of each stroke). Raises ValueError when malformed, also for
    absurd coordinates (beyond MAX_COORDINATE: one such point would swamp the offset statistics)."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as e:
        raise ValueError(f"not well-formed XML ({e})") from None
    points, pen_up = [], []
    try:
        for stroke in root.iter("Stroke"):
            pts = [(float(p.attrib["x"]), float(p.attrib["y"])) for p in stroke.iter("Point")]
            if pts:
                points.extend(pts)
                pen_up.extend([0] * (len(pts) - 1) + [1])
    except (KeyError, ValueError) as e:
        raise ValueError(f"a <Point> without a numeric x/y ({e})") from None
    if not points:
        raise ValueError("no <Stroke><Point> elements")
    xy = np.array(points, dtype=np.float32)
    if not np.isfinite(xy).all():
        raise ValueError("non-finite coordinates")
    if np.abs(xy).max() > MAX_COORDINATE:
        raise ValueError(f"a coordinate of {np.abs(xy).max():g}, beyond +-{MAX_COORDINATE:g}")
    return xy, np.array(pen_up, dtype=np.uint8)


def _parse_csr(raw):
    """A form's ascii .txt content -> its CSR lines (stripped, non-empty); [] if none."""
    lines = raw.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip().startswith("CSR:")), None)
    if start is None:
        return []
    csr = []
    for line in lines[start + 1:]:
        line = line.strip()
        if line in ("OCR:", "CSR:"):
            break
        if line:
            csr.append(line)
    return csr


def _decode(data):
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _walk(root, suffix):
    """Sorted paths of the files under `root` whose name ends with `suffix`; a folder that cannot
    be read is an error (skipping it would load part of the corpus as if it were all)."""
    def unreadable(error):
        if isinstance(error, PermissionError):
            raise PermissionError(f"The IAM-OnDB folder {error.filename} cannot be read ({error.strerror}); fix "
                                  "its permissions.")

    found = []
    for folder, _, names in os.walk(root, onerror=unreadable):
        found.extend(os.path.join(folder, n) for n in names if n.endswith(suffix))
    return sorted(found)


def _decompressed(raw):
    """A reader of the decompressed content of an open archive file (gzip, xz, bzip2 or plain
    tar, told by its first bytes). Python's gzip/lzma/bz2 readers check the stream's checksum at
    its end, which tarfile's own gzip reader does not."""
    magic = raw.read(6)
    raw.seek(0)
    if magic.startswith(b"\x1f\x8b"):
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if magic.startswith(b"\xfd7zXZ\x00"):
        return lzma.LZMAFile(raw)
    if magic.startswith(b"BZh"):
        return bz2.BZ2File(raw)
    return contextlib.nullcontext(raw)


def _iter_archive(path):
    """Stream the regular files of a tar archive: yields (member name, bytes, fraction read).

    The whole archive is read, to its end: tarfile's stream reader stops quietly at a damaged
    member header and at the end of the data (an archive cut at a member boundary and compressed
    again is a valid gzip file), and gzip checks its CRC only at the end of the stream, so the last
    member must be followed by the tar end-of-archive marker (a block of zeros), the rest must be
    zeros too and decompress without error."""
    try:
        with open(path, "rb") as raw, _decompressed(raw) as stream:
            size = max(os.fstat(raw.fileno()).st_size, 1)
            with tarfile.open(fileobj=stream, mode="r|") as tar:
                for member in tar:
                    if member.isfile():
                        yield member.name, tar.extractfile(member).read(), raw.tell() / size
                if tar.fileobj.tell() - tar.offset != tarfile.BLOCKSIZE:  # no (whole) block after the last member
                    raise tarfile.ReadError("it ends without the tar end-of-archive marker: it was cut off after "
                                            f"{tar.offset:,} bytes of tar data")
                while True:  # the rest of the (decompressed) stream: reading it checks the CRC
                    chunk = tar.fileobj.read(1 << 20)
                    if not chunk:
                        break
                    if chunk.strip(b"\0"):
                        raise tarfile.ReadError("a damaged member header ends the archive early; "
                                                "more data follows it")
    except (tarfile.TarError, EOFError, OSError, ValueError, zlib.error, lzma.LZMAError) as e:
        if isinstance(e, FileNotFoundError):
            raise
        raise ValueError(f"The archive {path} is damaged or incomplete ({e}); download it again.") from None


class _Parsed:
    """What the parse of a source collects before it is assembled into flat arrays."""

    def __init__(self):
        self.lines = {}  # line_id -> (xy, pen_up)
        self.malformed = []  # line ids (or file names) whose XML could not be read
        self.xml_per_form = collections.Counter()  # every XML file counts, malformed or not
        self.csr = {}  # form id -> CSR lines

    def add_xml(self, name, data):
        stem = os.path.basename(name)[: -len(".xml")]
        match = _LINE_ID.match(stem)
        if not match:
            self.malformed.append(stem)
            return
        self.xml_per_form[match.group(1)] += 1
        try:
            self.lines[stem] = _parse_line_xml(data)
        except ValueError:
            self.malformed.append(stem)

    def add_txt(self, name, data):
        self.csr[os.path.basename(name)[: -len(".txt")]] = _parse_csr(_decode(data))


def _parse_tree(root, progress):
    parsed = _Parsed()
    xml_files = _walk(os.path.join(root, "lineStrokes"), ".xml")
    bar = Progress("Parsing IAM-OnDB lineStrokes XML", total=len(xml_files), enabled=progress)
    for path in xml_files:
        with open(path, "rb") as f:
            parsed.add_xml(path, f.read())
        bar.advance()
    bar.close()
    for path in _walk(os.path.join(root, "ascii"), ".txt"):
        with open(path, "rb") as f:
            parsed.add_txt(path, f.read())
    return parsed


def _parse_archives(strokes_archive, ascii_archive, progress):
    parsed = _Parsed()
    bar = Progress(f"Parsing IAM-OnDB XML from {os.path.basename(strokes_archive)}", unit="files",
                   enabled=progress)
    for name, data, fraction in _iter_archive(strokes_archive):
        if name.endswith(".xml"):
            parsed.add_xml(name, data)
            bar.advance(fraction=fraction)
    bar.close()
    if ascii_archive:
        for name, data, _ in _iter_archive(ascii_archive):
            if name.endswith(".txt"):
                parsed.add_txt(name, data)
    return parsed


def _assemble(parsed):
    """_Parsed -> flat arrays (the npz layout) + the per-form exclusion reasons."""
    line_ids = sorted(parsed.lines)
    if not line_ids:
        raise ValueError("No readable lineStrokes XML file was found; check the data folder.")
    numbers = collections.defaultdict(list)  # form -> line numbers of its readable lines
    for line_id in line_ids:
        form, number = _LINE_ID.match(line_id).groups()
        numbers[form].append(int(number))
    reasons = {}  # form -> why its transcription is unusable
    for form, nums in sorted(numbers.items()):
        csr = parsed.csr.get(form)
        if csr is None:
            reasons[form] = "missing"
        elif not csr:
            reasons[form] = "empty"
        elif any(line.lower().strip(" .") == _PLACEHOLDER for line in csr):
            reasons[form] = "placeholder"
        elif len(csr) != parsed.xml_per_form[form] or max(nums) > len(csr) or min(nums) < 1:
            reasons[form] = "misaligned"
    text_ok = np.array([form_of(i) not in reasons for i in line_ids], dtype=bool)
    texts = [parsed.csr[form_of(i)][int(_LINE_ID.match(i).group(2)) - 1] if ok else ""
             for i, ok in zip(line_ids, text_ok)]
    lengths = [len(parsed.lines[i][0]) for i in line_ids]
    return {
        "line_ids": np.array(line_ids, dtype=str),
        "texts": np.array(texts, dtype=str),
        "text_ok": text_ok,
        "offsets": np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        "xy": np.concatenate([parsed.lines[i][0] for i in line_ids]),
        "pen_up": np.concatenate([parsed.lines[i][1] for i in line_ids]),
        "excluded": np.array([f"{form}:{why}" for form, why in sorted(reasons.items())], dtype=str),
        "malformed": np.array(sorted(parsed.malformed), dtype=str),
    }


# ----------------------------------------------------------------------------------------------
# Locating sources, cache


def _find_source(data_dir):
    """-> ('npz', path) | ('tree', root) | ('archives', (strokes_archive, ascii_archive or None))."""
    data_dir = os.path.expanduser(str(data_dir))
    if os.path.isfile(data_dir):
        if data_dir.endswith(".npz"):
            return "npz", data_dir
        raise ValueError(f"{data_dir} is a file but not an .npz; pass the folder that holds the "
                         "IAM-OnDB data (lineStrokes/ + ascii/, or their archives).")
    if not os.path.isdir(data_dir):
        try:
            os.stat(data_dir)
        except PermissionError:
            raise PermissionError(f"No IAM-OnDB data can be read at {data_dir}: permission denied on a folder "
                                  "above it. Fix the permissions or pass another --data_dir.") from None
        except OSError:
            raise FileNotFoundError(f"No IAM-OnDB data at {data_dir}: the path does not exist.") from None
        raise ValueError(f"{data_dir} is neither a folder nor an .npz file (a device, pipe or socket); pass the "
                         "folder that holds the IAM-OnDB data (lineStrokes/ + ascii/, or their archives).")
    if not os.access(data_dir, os.R_OK | os.X_OK):
        raise PermissionError(f"The IAM-OnDB data folder {data_dir} cannot be read (permission denied). Fix its "
                              "permissions or pass another --data_dir.")
    if os.path.isdir(os.path.join(data_dir, "lineStrokes")):
        return "tree", data_dir
    names = sorted(os.listdir(data_dir))
    archives = [n for n in names if n.endswith((".tar", ".tar.gz", ".tgz", ".tar.xz", ".tar.bz2"))]
    strokes = [n for n in archives if "linestrokes" in n.lower()]
    if strokes:
        ascii_ = [n for n in archives if "ascii" in n.lower()]
        return "archives", (os.path.join(data_dir, strokes[0]),
                            os.path.join(data_dir, ascii_[0]) if ascii_ else None)
    for name in (PREPARSED_NAME, CACHE_NAME):
        if name in names:
            return "npz", os.path.join(data_dir, name)
    raise FileNotFoundError(
        f"No IAM-OnDB data in {data_dir}. Expected one of: the raw tree (lineStrokes/ and ascii/ "
        "folders), the archives lineStrokes-all.tar.gz + ascii-all.tar.gz (as downloaded from "
        "https://fki.tic.heia-fr.ch/databases/iam-on-line-handwriting-database), or iamondb_lines.npz."
    )


def _tree_signature(root):
    files = _walk(root, "") if os.path.isdir(root) else []
    stats = [os.stat(f) for f in files]
    return [len(files), sum(s.st_size for s in stats), max((s.st_mtime_ns for s in stats), default=0)]


def _source_key(kind, source):
    if kind == "tree":
        parts = {sub: _tree_signature(os.path.join(source, sub)) for sub in ("lineStrokes", "ascii")}
    else:
        parts = {}
        for path in source:
            if path:
                st = os.stat(path)
                parts[os.path.basename(path)] = [st.st_size, st.st_mtime_ns]
    return json.dumps({"version": _CACHE_VERSION, "kind": kind, "files": parts}, sort_keys=True)


def _cache_path(cache_dir, source_dir):
    if cache_dir:
        folder = os.path.expanduser(str(cache_dir))
    elif os.access(source_dir, os.W_OK):
        folder = source_dir
    else:
        folder = os.path.expanduser(_DEFAULT_CACHE_DIR)
    os.makedirs(folder, exist_ok=True)
    return os.path.join(folder, CACHE_NAME)


def _load_npz(path):
    with np.load(path) as f:
        missing = {"line_ids", "texts", "text_ok", "offsets", "xy", "pen_up"} - set(f.files)
        if missing:
            raise ValueError(f"{path} is not an IAM-OnDB lines file: it lacks {sorted(missing)}. "
                             "Pass the raw data folder instead.")
        wanted = {"line_ids", "texts", "text_ok", "offsets", "xy", "pen_up", "split_official",
                  "excluded", "malformed", "cache_key"}
        return {k: f[k] for k in f.files if k in wanted}


def _write_cache(path, arrays, key):
    xy = arrays["xy"]
    if np.array_equal(xy, np.round(xy)) and np.abs(xy).max() < 2 ** 15:
        arrays = dict(arrays, xy=xy.astype(np.int16))  # IAM coordinates are small integers: half the size
    with atomic_path(path, suffix=".npz") as tmp:
        np.savez(tmp, cache_key=np.array(key), **arrays)


# ----------------------------------------------------------------------------------------------
# Splits


def _read_split_lists(folders, required):
    """{list name: set of form ids} from the first folder holding trainset.txt, else None."""
    for folder in folders:
        if os.path.isfile(os.path.join(folder, "trainset.txt")):
            lists = {}
            for name in SPLIT_LISTS:
                path = os.path.join(folder, name + ".txt")
                if os.path.isfile(path):
                    with open(path, encoding="utf-8") as f:
                        lists[name] = {line.strip() for line in f if line.strip()}
            return lists, folder
    if required:
        raise FileNotFoundError(f"No trainset.txt in {folders[0]}: the splits folder must hold the "
                                f"IAM-OnDB task lists {', '.join(n + '.txt' for n in SPLIT_LISTS)}.")
    return None, None


def fallback_list(form: str) -> str:
    """Deterministic split of a form when no task lists are given: a hash of the form id puts
    ~80% of forms in 'trainset', ~10% in 'testset_v' and ~10% in 'testset_f' (list names,
    mapped to split names by the scheme)."""
    bucket = zlib.crc32(form.encode("utf-8")) % 10
    return "testset_v" if bucket == 0 else "testset_f" if bucket == 1 else "trainset"


def _assign_splits(line_ids, lists, npz_split, scheme):
    """Per line, the split name under `scheme`, plus a description of where it came from."""
    if lists is not None:
        owner = {form: name for name in SPLIT_LISTS for form in lists.get(name, ())}
        membership = [owner.get(form_of(i), "") for i in line_ids]
        origin = "official task lists"
    elif npz_split is not None:
        membership = [_NPZ_SPLIT_NAMES.get(str(s), "") for s in npz_split]
        origin = "official split stored in the npz"
    else:
        membership = [fallback_list(form_of(i)) for i in line_ids]
        origin = "deterministic split by form (no task lists found)"
    mapping = SPLIT_SCHEMES[scheme]
    return np.array([mapping.get(m, "") for m in membership], dtype="<U6"), origin


# ----------------------------------------------------------------------------------------------
# Loading


def load_corpus(data_dir: str | os.PathLike, cache_dir: str | os.PathLike | None = None,
                splits_dir: str | os.PathLike | None = None, progress: bool = True,
                split_scheme: str = "official") -> Corpus:
    """Load IAM-OnDB as a Corpus (see the module docstring for the accepted layouts).

    data_dir: raw tree root, folder of archives, or iamondb_lines.npz (file or its folder).
    cache_dir: where iam_corpus_cache.npz is kept when raw XML is parsed; default data_dir when
        writable, else ~/.cache/rnngen/iam. The cache is rebuilt when the sources' file count,
        sizes or modification times change.
    splits_dir: folder with trainset.txt, testset_v.txt, testset_t.txt, testset_f.txt (one form id
        per line). Default: data_dir, then data_dir/splits; without lists, the pre-parsed npz's own
        official split, else a deterministic split by form (fallback_list).
    split_scheme: 'official' -> train = trainset, valid = testset_v, valid2 = testset_t,
        test = testset_f; 'graves' -> train = trainset + testset_t + testset_f, valid = testset_v
        (Graves 2013 section 4). Lines of forms in no list get split ''.
    progress: show a progress bar while parsing and print the summary line (both to stderr).
    """
    if split_scheme not in SPLIT_SCHEMES:
        raise ValueError(f"split_scheme must be one of {sorted(SPLIT_SCHEMES)}, got {split_scheme!r}.")
    start = time.time()
    kind, source = _find_source(data_dir)
    source_dir = os.path.dirname(source) if kind == "npz" else os.path.expanduser(str(data_dir))
    if kind == "npz":
        arrays, how = _load_npz(source), f"read {os.path.basename(source)}"
    else:
        cache = _cache_path(cache_dir, source_dir)
        key = _source_key(kind, source)
        arrays = None
        if os.path.isfile(cache):
            try:
                arrays = _load_npz(cache)
            except (ValueError, OSError, EOFError):
                arrays = None
            if arrays is not None and str(arrays.get("cache_key", "")) != key:
                arrays = None
        if arrays is not None:
            how = f"loaded from cache {cache}"
        else:
            parsed = _parse_tree(source, progress) if kind == "tree" else _parse_archives(*source, progress)
            arrays = _assemble(parsed)
            how = f"parsed {kind} in {time.time() - start:.1f}s, cached to {cache}"
            try:
                _write_cache(cache, arrays, key)
            except OSError as e:  # a full or read-only disk costs the next run a re-parse, nothing more
                how = f"parsed {kind} in {time.time() - start:.1f}s, NOT cached ({e}; pass cache_dir)"

    line_ids = [str(i) for i in arrays["line_ids"]]
    texts = [str(t) for t in arrays["texts"]]
    text_ok = arrays["text_ok"].astype(bool)
    offsets = arrays["offsets"].astype(np.int64)
    strokes = _strokes_from_flat(arrays["xy"], arrays["pen_up"], offsets)

    folders = [os.path.expanduser(str(splits_dir))] if splits_dir else [source_dir, os.path.join(source_dir, "splits")]
    lists, _ = _read_split_lists(folders, required=bool(splits_dir))
    split, origin = _assign_splits(line_ids, lists, arrays.get("split_official"), split_scheme)

    summary = _summary(line_ids, text_ok, offsets, arrays, split, origin, split_scheme, how, time.time() - start)
    if progress:
        print(summary, file=sys.stderr, flush=True)
    return Corpus(line_ids, texts, text_ok, strokes, split, summary)


def _summary(line_ids, text_ok, offsets, arrays, split, origin, scheme, how, seconds):
    if "excluded" in arrays:
        excluded = [str(e).split(":") for e in arrays["excluded"]]
    else:  # a pre-parsed npz: reasons not recorded
        excluded = [(f, "unusable") for f in sorted({form_of(i) for i, ok in zip(line_ids, text_ok) if not ok})]
    by_reason = collections.defaultdict(list)
    for form, why in excluded:
        by_reason[why].append(form)
    detail = "; ".join(f"{why}: {', '.join(forms[:6])}{' ...' if len(forms) > 6 else ''}"
                       for why, forms in sorted(by_reason.items()))
    malformed = [str(m) for m in arrays.get("malformed", [])]
    bad = f" ({', '.join(malformed[:6])}{' ...' if len(malformed) > 6 else ''})" if malformed else ""
    counts = collections.Counter(split.tolist())
    splits = " / ".join(f"{name or 'none'} {counts[name]:,}" for name in
                        ("train", "valid", "valid2", "test", "") if counts.get(name))
    return (f"IAM-OnDB: {len(line_ids):,} lines, {int(offsets[-1]):,} points ({how}, {seconds:.1f}s total); "
            f"{len(excluded)} forms ({int((~text_ok).sum()):,} lines) excluded from synthesis"
            f"{' (' + detail + ')' if detail else ''}; {len(malformed)} malformed XML files skipped{bad}; "
            f"splits ({origin}, scheme '{scheme}'): {splits}.")
