"""Messages for data that is there but unusable: folders that cannot be read or are not folders,
empty or degenerate sketch splits, complex numbers, absurd IAM coordinates, char-RNN rates.
Each says what is wrong with which file or flag (docs/bad_input.md)."""
import json
import os
import shutil
import stat
import tempfile
import traceback

import numpy as np
import pytest

from data_utils import iam
from data_utils import sketch_data as SD

NOBODY = 65534


def _unreadable_cases(base):
    """{case: the error message (or "no error")} and the URLs a download was attempted for."""
    from data_utils import text_corpus

    downloads = []
    original = SD.download
    SD.download = lambda url, dest, **kw: downloads.append(url)
    cases = {
        "text_locked": lambda: text_corpus.list_text_files(os.path.join(base, "locked")),
        "text_below_locked": lambda: text_corpus.list_text_files(os.path.join(base, "locked", "inner")),
        "text_locked_subfolder": lambda: text_corpus.list_text_files(os.path.join(base, "open")),
        "text_locked_file": lambda: text_corpus.load_corpus(os.path.join(base, "open", "secret.txt")),
        "sketch_locked": lambda: SD.resolve_dataset("tiny", os.path.join(base, "locked"), base_url="http://127.0.0.1:9"),
        "sketch_below_locked": lambda: SD.resolve_dataset("tiny", os.path.join(base, "locked", "inner"),
                                                          base_url="http://127.0.0.1:9"),
        "iam_locked": lambda: iam.load_corpus(os.path.join(base, "locked"), progress=False),
        "iam_below_locked": lambda: iam.load_corpus(os.path.join(base, "locked", "inner"), progress=False),
        "iam_locked_subfolder": lambda: iam.load_corpus(os.path.join(base, "iam"), progress=False,
                                                        cache_dir=os.path.join(base, "cache")),
    }
    out = {}
    try:
        for name, case in cases.items():
            try:
                case()
                out[name] = "no error"
            except (ValueError, OSError) as e:
                out[name] = f"{type(e).__name__}: {e}"
    finally:
        SD.download = original
    out["downloads"] = downloads
    return out


def _as_a_user_permissions_apply_to(function, *args):
    """function(*args) (a JSON-able result) in a forked child that first becomes nobody when this
    process is root (who reads everything); None when that is not possible here."""
    from data_utils import text_corpus  # noqa: F401  (imported before the fork: the child only runs file checks)

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        status = 1
        try:
            os.close(read_end)
            if os.geteuid() == 0:
                status = 2
                os.setgroups([])
                os.setgid(NOBODY)
                os.setuid(NOBODY)
                status = 1
            with os.fdopen(write_end, "w") as f:
                json.dump(function(*args), f)
            status = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end) as f:
        text = f.read()
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) == 2:
        return None
    assert os.waitstatus_to_exitcode(status) == 0, "the child failed (its traceback is on stderr)"
    return json.loads(text)


def test_unreadable_data_dirs_say_permission_and_download_nothing():
    """A --data_dir without read permission (or below a folder without it) looked empty or missing:
    the char-RNN said "holds no files" / "does not exist", IAM "does not exist", and sketch went on
    to download into it. Now every one says it cannot be read, and nothing is downloaded."""
    base = tempfile.mkdtemp(prefix="rnngen-permissions-")  # not under pytest's root-only tmp folder
    try:
        os.chmod(base, 0o755)
        os.makedirs(os.path.join(base, "locked", "inner"))
        os.makedirs(os.path.join(base, "open", "closed"))
        with open(os.path.join(base, "open", "readable.txt"), "w") as f:
            f.write("some text\n")
        with open(os.path.join(base, "open", "secret.txt"), "w") as f:
            f.write("more text\n")
        os.makedirs(os.path.join(base, "iam", "lineStrokes", "a01", "a01-000"))
        os.makedirs(os.path.join(base, "cache"))
        for folder, _, names in os.walk(base):
            os.chmod(folder, 0o777)
            for n in names:
                os.chmod(os.path.join(folder, n), 0o644)
        for locked in ("locked", os.path.join("open", "closed"), os.path.join("iam", "lineStrokes", "a01")):
            os.chmod(os.path.join(base, locked), 0)
        os.chmod(os.path.join(base, "open", "secret.txt"), 0)
        out = _as_a_user_permissions_apply_to(_unreadable_cases, base)
    finally:
        for folder, dirs, _ in os.walk(base):
            for d in dirs:
                os.chmod(os.path.join(folder, d), 0o755)
        shutil.rmtree(base, ignore_errors=True)
    if out is None:
        pytest.skip("cannot run a process that folder permissions apply to here")
    locked = os.path.join(base, "locked")
    assert out["text_locked"] == f"CorpusError: The folder {locked} cannot be read (Permission denied). Fix its " \
                                 "permissions or point --data_dir elsewhere."
    assert out["text_below_locked"].startswith(f"CorpusError: {locked}/inner cannot be read: permission denied on "
                                               "a folder above it")
    assert out["text_locked_subfolder"].startswith(f"CorpusError: The folder {base}/open/closed cannot be read "
                                                   "(Permission denied)")
    assert out["text_locked_file"].startswith(f"CorpusError: {base}/open/secret.txt cannot be read (permission "
                                              "denied)")
    assert out["sketch_locked"] == f"PermissionError: The data folder {locked} (--data_dir) cannot be read " \
                                   "(permission denied). Fix its permissions or choose another --data_dir; " \
                                   "nothing was downloaded."
    assert out["sketch_below_locked"].startswith(f"PermissionError: The data folder {locked}/inner (--data_dir) "
                                                 "cannot be read: permission denied on a folder above it")
    assert out["downloads"] == []
    assert out["iam_locked"].startswith(f"PermissionError: The IAM-OnDB data folder {locked} cannot be read "
                                        "(permission denied)")
    assert out["iam_below_locked"].startswith(f"PermissionError: No IAM-OnDB data can be read at {locked}/inner: "
                                              "permission denied on a folder above it")
    assert out["iam_locked_subfolder"].startswith(f"PermissionError: The IAM-OnDB folder {base}/iam/lineStrokes/a01 "
                                                  "cannot be read (Permission denied)")


def test_a_data_dir_that_is_not_a_folder_says_so(monkeypatch):
    """--data_dir=/dev/null was "does not exist" (char-RNN, IAM); sketch tried to download into it."""
    from data_utils import text_corpus

    monkeypatch.setattr(SD, "download", lambda *a, **k: pytest.fail("no download into a device"))
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
    with pytest.raises(text_corpus.CorpusError, match=r"^/dev/null is neither a regular file nor a folder \(a device"):
        text_corpus.load_corpus(os.devnull)
    with pytest.raises(ValueError, match=r"^The data folder /dev/null \(--data_dir\) is not a folder"):
        SD.resolve_dataset("cat", os.devnull)
    with pytest.raises(ValueError, match=r"^/dev/null is neither a folder nor an .npz file \(a device"):
        iam.load_corpus(os.devnull, progress=False)


def _drawing(n, rng):
    d = np.zeros((n, 3), np.int16)
    d[:, :2] = rng.integers(-9, 10, (n, 2))
    d[-1, 2] = 1
    return d


def _object_array(items):
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def test_an_empty_train_split_is_called_empty(tmp_path):
    """An empty train split advised raising max_seq_len (which cannot help); now it says the split
    is empty. Drawings that are all too long still get the max_seq_len advice."""
    rng = np.random.default_rng(0)
    path = SD.write_npz(str(tmp_path / "empty_train.npz"), [], [_drawing(4, rng)], [_drawing(5, rng)])
    with pytest.raises(ValueError, match=rf"^The train split of {path} is empty \(0 drawings\)") as e:
        SD.load_sketch_data(path)
    assert "max_seq_len" not in str(e.value)
    long = SD.write_npz(str(tmp_path / "long.npz"), [_drawing(30, rng)], [], [])
    with pytest.raises(ValueError, match=r"has at most max_seq_len=10 points \(1 dropped\); raise it"):
        SD.load_sketch_data(long, max_seq_len=10)


def test_an_all_zero_block_names_the_file(tmp_path):
    """Drawings stored as one all-zero [count, n, 3] block: "standard deviation 0.0" named no file."""
    path = str(tmp_path / "zeros.npz")
    np.savez(path, train=np.zeros((4, 6, 3), np.int16), valid=np.zeros((2, 6, 3), np.int16),
             test=np.zeros((2, 6, 3), np.int16))
    with pytest.raises(ValueError, match=rf"^{path}: the train split cannot be used: The drawings' offsets have "
                                         r"standard deviation 0\.0.*every pen offset dx, dy is the same"):
        SD.load_sketch_data(path)


def test_complex_drawings_are_refused(tmp_path):
    """Complex numbers passed as numbers (their imaginary part silently dropped later)."""
    rng = np.random.default_rng(1)
    good = [_drawing(4, rng), _drawing(5, rng)]
    path = str(tmp_path / "complex.npz")
    np.savez(path, train=_object_array(good), valid=_object_array([good[0], good[1].astype(np.complex128)]),
             test=_object_array(good))
    with pytest.raises(ValueError, match=rf"^{path}: split 'valid', drawing 1 has dtype complex128, expected real "
                                         "numbers"):
        SD.load_npz(path)
    block = str(tmp_path / "complex_block.npz")
    np.savez(block, train=np.stack(good[:1] * 3).astype(np.complex64), valid=_object_array(good),
             test=_object_array(good))
    with pytest.raises(ValueError, match=rf"^{block}: split 'train', drawing 0 has dtype complex64, expected real"):
        SD.load_npz(block)
    with pytest.raises(ValueError, match=r"split 'test', drawing 0 has dtype complex128, expected real numbers"):
        SD.write_npz(str(tmp_path / "out.npz"), good, good, [good[0].astype(np.complex128)])
    assert not (tmp_path / "out.npz").exists()


def _line_xml(points):
    body = "".join(f'<Point x="{x}" y="{y}" time="0"/>' for x, y in points)
    return f'<?xml version="1.0"?><WhiteboardCaptureSession><StrokeSet><Stroke>{body}</Stroke></StrokeSet>' \
           '</WhiteboardCaptureSession>'


def test_iam_points_with_absurd_coordinates_drop_their_line(tmp_path):
    """A <Point x="1e30"> went into the corpus (and its offset statistics); now its line is skipped
    and counted with the malformed files in the summary line."""
    folder = tmp_path / "iam" / "lineStrokes" / "a01" / "a01-000"
    os.makedirs(folder)
    (folder / "a01-000-01.xml").write_text(_line_xml([(100, 200), (110, 190), (125, 195)]))
    (folder / "a01-000-02.xml").write_text(_line_xml([(100, 200), ("1e30", 190), (125, 195)]))
    (folder / "a01-000-03.xml").write_text(_line_xml([(100, 200), (130, "-2e5")]))
    corpus = iam.load_corpus(str(tmp_path / "iam"), cache_dir=str(tmp_path / "cache"), progress=False)
    assert corpus.line_ids == ["a01-000-01"]
    assert np.abs(np.concatenate(corpus.strokes)).max() < 100
    assert "1 lines" in corpus.summary and "2 malformed XML files skipped (a01-000-02, a01-000-03)" in corpus.summary
    with pytest.raises(ValueError, match=r"a coordinate of 1e\+30, beyond \+-100000"):
        iam._parse_line_xml(_line_xml([(0, 0), ("1e30", 0)]).encode())


@pytest.mark.parametrize("hparam,value,message", [
    ("learning_rate", -1.0, "learning_rate must be a finite number > 0; got -1.0 (--hparams=learning_rate=...)."),
    ("learning_rate", float("nan"), "learning_rate must be a finite number > 0; got nan"),
    ("decay_rate", 1.5, "decay_rate is a per-step decay factor in (0, 1] (1.0 = constant); got 1.5"),
    ("decay_rate", 0.0, "decay_rate is a per-step decay factor in (0, 1] (1.0 = constant); got 0.0"),
    ("grad_clip_norm", -1.0, "grad_clip_norm must be a finite number >= 0 (0 = no clipping); got -1.0"),
])
def test_char_rnn_rate_errors_name_the_one_that_failed(hparam, value, message):
    """The char-RNN listed all three limits ("learning_rate must be > 0, decay_rate in (0, 1] and
    grad_clip_norm >= 0") whichever was wrong; now it names the one and its value."""
    from char_rnn.config import CharRNNConfig

    with pytest.raises(ValueError) as e:
        CharRNNConfig(**{hparam: value})
    assert str(e.value).startswith(message)
    others = {"learning_rate", "decay_rate", "grad_clip_norm"} - {hparam}
    assert not any(name in str(e.value) for name in others)
