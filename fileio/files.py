"""Writing files so that a kill, a full disk or an exception never leaves a half-written file.

Every file the project writes goes through `atomic_path` (or the helpers built on it): the content
is written to a hidden temporary file in the destination's folder and renamed over the destination
only when complete (a rename within one folder is atomic on POSIX and Windows). After any failure
the destination still holds its previous content, or does not exist, and no temporary file is left.
"""
import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from typing import IO


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = "") -> Iterator[str]:
    """Yield a temporary path beside `path`; when the block ends without an exception it is renamed
    to `path`, otherwise removed. suffix: an extension the writer needs to see on the temporary
    name (e.g. ".h5" for Keras, ".npz" for numpy)."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=f".part{suffix}", dir=folder)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o644)  # mkstemp made it private; written files are ordinary files
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w", encoding: str = "utf-8") -> Iterator[IO]:
    """open() for writing (mode "w" or "wb") through atomic_path."""
    with atomic_path(path) as tmp:
        with open(tmp, mode, encoding=None if "b" in mode else encoding) as f:
            yield f


def save_json(value: object, path: str | os.PathLike) -> None:
    """Write `value` as indented JSON, atomically."""
    with atomic_open(path) as f:
        json.dump(value, f, indent=2, sort_keys=True)
        f.write("\n")


def save_text(text: str, path: str | os.PathLike) -> None:
    """Write a UTF-8 text file, atomically."""
    with atomic_open(path) as f:
        f.write(text)


def remove_partial_writes(folder: str | os.PathLike) -> list[str]:
    """Delete the temporary files and folders that atomic_path / atomic_dir leave when the process is
    killed mid-write (".NAME.<random>.part*", ".NAME.<random>.old"); returns what was removed."""
    removed = []
    for name in os.listdir(folder) if os.path.isdir(folder) else []:
        if name.startswith(".") and (".part" in name or name.endswith(".old")):
            path = os.path.join(folder, name)
            if os.path.isdir(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.unlink(path)
            removed.append(path)
    return removed


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike) -> Iterator[str]:
    """Yield a temporary folder beside `path` to fill; when the block succeeds it replaces `path`
    (an existing folder is moved aside first and deleted after the new one is in place), otherwise
    it is deleted. A kill never leaves a half-written folder at `path`."""
    path = os.path.abspath(os.fspath(path))
    parent = os.path.dirname(path)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".{os.path.basename(path)}.", suffix=".part", dir=parent)
    old = None
    try:
        yield tmp
        os.chmod(tmp, 0o755)  # mkdtemp made it private
        if os.path.exists(path):
            old = tempfile.mkdtemp(prefix=f".{os.path.basename(path)}.", suffix=".old", dir=parent)
            os.rmdir(old)
            os.replace(path, old)
        os.replace(tmp, path)
    finally:
        for leftover in (tmp, old):
            if leftover and os.path.exists(leftover):
                shutil.rmtree(leftover, ignore_errors=True)
