"""Plain-text corpora for the char-RNN: reading UTF-8 files or folders, a deterministic
train/valid split and tf.data pipelines of (input, next-character target) windows.

Everything here works on Python strings (Unicode code points) and int32 character ids from a
`data_utils.text.Vocabulary`; nothing depends on a model.
"""
import os

import numpy as np
import tensorflow as tf
from numpy.typing import ArrayLike

from data_utils.text import Vocabulary


class CorpusError(ValueError):
    """A text file or folder that cannot be used as a training corpus."""


def read_text_file(path: str | os.PathLike) -> str:
    """The UTF-8 text of one file (a leading BOM dropped, CRLF line ends turned into LF).

    Raises CorpusError naming the file for an empty file, a binary file (NUL byte) or bytes
    that are not UTF-8, with the byte offset of the first offending byte.
    """
    try:
        with open(path, "rb") as f:
            data = f.read()
    except PermissionError:
        raise CorpusError(f"{path} cannot be read (permission denied). Fix its permissions or remove it "
                          "from the corpus.") from None
    if not data:
        raise CorpusError(f"{path} is empty; a char-RNN needs some text to learn from.")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise CorpusError(f"{path} looks like a binary file: it has a NUL byte at byte offset {nul}. "
                          "Give a UTF-8 text file (or remove this file from the folder).")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise CorpusError(f"{path} is not UTF-8 text: byte 0x{data[e.start]:02x} at byte offset {e.start} "
                          f"({e.reason}). Convert it to UTF-8 (e.g. iconv -t UTF-8) or remove it.") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n")


def list_text_files(path: str) -> list[str]:
    """[path] for a file; for a folder every non-hidden file below it, in sorted path order."""
    if os.path.isfile(path):
        return [path]
    if not os.path.isdir(path):
        try:
            os.stat(path)
        except PermissionError:
            raise CorpusError(f"{path} cannot be read: permission denied on a folder above it. Fix the permissions "
                              "or point --data_dir elsewhere.") from None
        except OSError:
            raise CorpusError(f"{path} does not exist. Point --data_dir at a UTF-8 text file or a folder of "
                              "them.") from None
        raise CorpusError(f"{path} is neither a regular file nor a folder (a device, pipe or socket). Point "
                          "--data_dir at a UTF-8 text file or a folder of them.")

    def unreadable(error):
        raise CorpusError(f"The folder {error.filename} cannot be read ({error.strerror}). Fix its permissions "
                          "or point --data_dir elsewhere.")

    if not os.access(path, os.R_OK | os.X_OK):
        unreadable(PermissionError(13, "Permission denied", path))
    files = []
    for root, dirs, names in os.walk(path, onerror=unreadable):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        files.extend(os.path.join(root, n) for n in sorted(names) if not n.startswith("."))
    if not files:
        raise CorpusError(f"The folder {path} holds no files. Put UTF-8 text files in it.")
    return files


def load_corpus(path: str) -> str:
    """The text of a file, or of all files of a folder joined in sorted order (a newline is
    added between files where one does not already end the previous file)."""
    texts = [read_text_file(p) for p in list_text_files(path)]
    joined = [t if t.endswith("\n") or i == len(texts) - 1 else t + "\n" for i, t in enumerate(texts)]
    return "".join(joined)


def corpus_name(path: str) -> str:
    """A run-directory name for a data path: the file name without extension, or the folder name."""
    base = os.path.basename(os.path.normpath(path))
    return os.path.splitext(base)[0] if os.path.isfile(path) else base


def split_text(text: str, valid_fraction: float) -> tuple[str, str]:
    """Deterministic split: the first (1 - valid_fraction) of the characters train, the rest valid."""
    if not 0.0 <= valid_fraction < 1.0:
        raise ValueError(f"valid_fraction must be in [0, 1); got {valid_fraction}.")
    cut = int(round(len(text) * (1.0 - valid_fraction)))
    return text[:cut], text[cut:]


def encode_known(vocabulary: Vocabulary, text: str) -> tuple[np.ndarray, int]:
    """(ids [n] int32 of the characters of `text` that are in `vocabulary`, number dropped).
    Used for the validation split, which may hold characters the training split lacks."""
    keep = [c for c in text if c in vocabulary.index]
    return vocabulary.encode("".join(keep)), len(text) - len(keep)


def train_dataset(ids: ArrayLike, seq_length: int, batch_size: int, seed: int | None = None,
                  start_batch: int = 0) -> tf.data.Dataset:
    """Infinite tf.data.Dataset of (inputs, targets), each [batch_size, seq_length] int32:
    windows of seq_length + 1 characters starting at uniformly random positions of `ids`,
    targets = inputs shifted by one character. With a seed the stream is a function of it;
    start_batch: begin at batch k (an exact resume at step k)."""
    ids = np.asarray(ids, np.int32)
    if len(ids) < seq_length + 1:
        raise CorpusError(f"The training text has {len(ids)} characters, fewer than seq_length + 1 = "
                          f"{seq_length + 1}. Use more text or a smaller seq_length (--hparams=seq_length=...).")
    ids_t = tf.constant(ids)
    num_starts = len(ids) - seq_length
    offsets = tf.range(seq_length + 1)

    def windows(randoms):
        starts = tf.cast(randoms % num_starts, tf.int32)
        w = tf.gather(ids_t, starts[:, None] + offsets[None, :])
        return w[:, :-1], w[:, 1:]

    randoms = tf.data.Dataset.random(seed=seed).batch(batch_size, drop_remainder=True)
    return randoms.skip(start_batch).map(windows).prefetch(2)


def eval_dataset(ids: ArrayLike, seq_length: int, batch_size: int) -> tf.data.Dataset | None:
    """Finite dataset of consecutive non-overlapping windows (inputs, targets) [b, seq_length]
    covering `ids` once (a tail shorter than one window is left out); None if `ids` has fewer
    than seq_length + 1 characters."""
    ids = np.asarray(ids, np.int32)
    n = (len(ids) - 1) // seq_length
    if n < 1:
        return None
    inputs = ids[:n * seq_length].reshape(n, seq_length)
    targets = ids[1:n * seq_length + 1].reshape(n, seq_length)
    return tf.data.Dataset.from_tensor_slices((inputs, targets)).batch(batch_size)
