"""Atomic HTTP(S) download with a progress line, standard library only (urllib).

download(url, dest) writes to a temporary `.part` file beside dest and renames it to dest only after
the whole payload arrived (and, when given, `verify(part_path)` accepted it), so an error, a dropped
connection or Ctrl-C never leaves a half-written dest behind.
"""
import http.client
import os
import sys
import tempfile
import time
import urllib.error
import urllib.request

CHUNK = 1 << 16


class DownloadError(RuntimeError):
    """A download failed; the message names the URL and how to get the file by hand."""


def _size(n):
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024.0


class _Progress:
    """One status line on a text stream: 'name: 3.1 MB / 12.4 MB (25%) 1.8 MB/s', redrawn in place."""

    def __init__(self, stream, name, total, every=0.2):
        self.stream, self.name, self.total, self.every = stream, name, total, every
        self.start = self.last = time.monotonic()

    def update(self, done, final=False):
        now = time.monotonic()
        if self.stream is None or (not final and now - self.last < self.every):
            return
        self.last = now
        speed = done / max(now - self.start, 1e-6)
        text = f"{self.name}: {_size(done)}"
        if self.total:
            text += f" / {_size(self.total)} ({100.0 * done / self.total:.0f}%)"
        self.stream.write(f"\r{text} {_size(speed)}/s" + ("\n" if final else ""))
        self.stream.flush()


def manual_fix(url, dest):
    return (f"Download it yourself (for example `curl -L -o '{dest}' '{url}'` or with a browser) "
            f"and put it at {dest}.")


def download(url, dest, verify=None, progress=True, timeout=60.0):
    """Fetch url into the file dest (its folder is created); returns dest.

    verify: optional function(path) raising ValueError when the fetched file is unusable (checked
    before dest is created). progress: True for a progress line on stderr, a text stream for it there,
    or None/False for silence.
    Raises DownloadError (HTTP error, offline, timeout, truncated or rejected payload); nothing is
    left at dest or in a .part file after any failure or interruption.
    """
    stream = sys.stderr if progress is True else (progress or None)
    folder = os.path.dirname(os.path.abspath(dest))
    os.makedirs(folder, exist_ok=True)
    fd, part = tempfile.mkstemp(prefix=f".{os.path.basename(dest)}.", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                response = urllib.request.urlopen(url, timeout=timeout)
            except urllib.error.HTTPError as e:
                raise DownloadError(f"Could not download {url}: the server answered HTTP {e.code} "
                                    f"{e.reason}. {manual_fix(url, dest)}") from e
            except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as e:
                raise DownloadError(f"Could not download {url} ({getattr(e, 'reason', None) or e}); "
                                    f"are you offline? {manual_fix(url, dest)}") from e
            with response:
                total = int(response.headers.get("Content-Length") or 0)
                bar = _Progress(stream, os.path.basename(dest), total)
                done = 0
                while True:
                    try:
                        chunk = response.read(CHUNK)
                    except (http.client.HTTPException, OSError) as e:
                        raise DownloadError(f"Download of {url} failed after {done} bytes ({e}); nothing was "
                                            f"saved. Run again, or: {manual_fix(url, dest)}") from e
                    if not chunk:
                        break
                    out.write(chunk)
                    done += len(chunk)
                    bar.update(done)
                bar.update(done, final=True)
        if total and done != total:
            raise DownloadError(f"Download of {url} was cut off after {done} of {total} bytes; nothing was "
                                f"saved. Run again, or: {manual_fix(url, dest)}")
        if verify is not None:
            try:
                verify(part)
            except ValueError as e:
                raise DownloadError(f"The file downloaded from {url} is not usable ({e}); nothing was "
                                    f"saved. {manual_fix(url, dest)}") from e
        os.chmod(part, 0o644)  # mkstemp made it private
        os.replace(part, dest)
        return dest
    except BaseException:  # includes KeyboardInterrupt: never leave a partial file behind
        if os.path.exists(part):
            os.unlink(part)
        raise
