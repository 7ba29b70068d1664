"""Atomic HTTP(S) download with a progress line, standard library only (urllib).

download(url, dest) writes to a temporary file beside dest (fileio.files.atomic_path) that
becomes dest only after the whole payload arrived (and, when given, `verify(part_path)` accepted
it), so an error, a dropped connection or Ctrl-C never leaves a half-written dest behind. Ctrl-C
becomes DownloadInterrupted, whose one-line message names the URL and says nothing was saved.
"""
import http.client
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import TextIO

from fileio.files import atomic_path
from fileio.progress import Progress

CHUNK = 1 << 16


class DownloadError(RuntimeError):
    """A download failed; the message names the URL and how to get the file by hand."""


class DownloadInterrupted(DownloadError, KeyboardInterrupt):
    """Ctrl-C during a download. A DownloadError, so the CLIs print it as one line naming the URL
    (not a traceback), and a KeyboardInterrupt, so code that handles Ctrl-C still sees one."""


def manual_fix(url: str, dest: str) -> str:
    return (f"Download it yourself (for example `curl -L -o '{dest}' '{url}'` or with a browser) "
            f"and put it at {dest}.")


def download(url: str, dest: str, verify: Callable[[str], object] | None = None,
             progress: bool | TextIO | None = True, timeout: float = 60.0) -> str:
    """Fetch url into the file dest (its folder is created); returns dest.

    verify: optional function(path) raising ValueError when the fetched file is unusable (checked
    before dest is created). progress: True for a progress line on stderr, a text stream for it there,
    or None/False for silence.
    Raises DownloadError (HTTP error, offline, timeout, truncated or rejected payload) and
    DownloadInterrupted (Ctrl-C); nothing is left at dest or in a .part file after any failure or
    interruption.
    """
    stream = sys.stderr if progress is True else (progress or None)
    try:
        return _download(url, dest, verify, stream, timeout)
    except KeyboardInterrupt:  # the .part file is already removed (atomic_path)
        if stream is not None and getattr(stream, "isatty", lambda: False)():
            stream.write("\n")  # end the progress line the message would otherwise continue
        raise DownloadInterrupted(f"Download of {url} was interrupted (Ctrl-C); nothing was saved at {dest}. "
                                  f"Run again to download it, or: {manual_fix(url, dest)}") from None


def _download(url, dest, verify, stream, timeout):
    with atomic_path(dest) as part, open(part, "wb") as out:
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
            bar = Progress(os.path.basename(dest), total or None, unit="bytes", stream=stream,
                           enabled=stream is not None)
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
            bar.close()
        out.close()
        if total and done != total:
            raise DownloadError(f"Download of {url} was cut off after {done} of {total} bytes; nothing was "
                                f"saved. Run again, or: {manual_fix(url, dest)}")
        if verify is not None:
            try:
                verify(part)
            except ValueError as e:
                raise DownloadError(f"The file downloaded from {url} is not usable ({e}); nothing was "
                                    f"saved. {manual_fix(url, dest)}") from e
    return dest
