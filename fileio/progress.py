"""One status line for long work (parsing a corpus, downloading a file): redrawn in place on a
terminal, a new line every few seconds in a log file, nothing when disabled.

    bar = Progress("Parsing XML", total=len(files))
    for f in files:
        ...
        bar.advance()
    bar.close()
"""
import sys
import time
from typing import TextIO


def human_size(n: float) -> str:
    """Bytes -> '12.3 MB'."""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024.0


class Progress:
    """label: what is being done; total: the expected amount (None: unknown); unit: "bytes" shows
    amounts as sizes with a rate, anything else is a noun after the count ("files").
    stream: where to write (default: sys.stderr at the time); enabled=False: silent."""

    def __init__(self, label: str, total: int | None = None, unit: str = "", stream: TextIO | None = None,
                 enabled: bool = True):
        self.label, self.total, self.unit = label, total, unit
        self.stream = (stream or sys.stderr) if enabled else None
        self.tty = self.stream is not None and getattr(self.stream, "isatty", lambda: False)()
        self.every = 0.25 if self.tty else 5.0
        self.done = 0
        self.start = self.last = time.monotonic()

    def advance(self, amount: int = 1, fraction: float | None = None) -> None:
        """Count `amount` more done; fraction: how far along when total is unknown (e.g. bytes read)."""
        self.update(self.done + amount, fraction)

    def update(self, done: int, fraction: float | None = None) -> None:
        self.done = done
        now = time.monotonic()
        if self.stream is not None and now - self.last >= self.every:
            self.last = now
            self._show(fraction)

    def close(self, fraction: float | None = None) -> None:
        if self.stream is not None:
            self._show(fraction if fraction is not None or self.total else 1.0, final=True)

    def _show(self, fraction, final=False):
        if self.unit == "bytes":
            text = human_size(self.done) + (f" / {human_size(self.total)}" if self.total else "")
        else:
            text = f"{self.done:,}" + (f"/{self.total:,}" if self.total else "")
            text += f" {self.unit}" if self.unit else ""
        if self.total:
            fraction = self.done / self.total
        if fraction is not None:
            text += f" ({100 * fraction:.0f}%)"
        seconds = time.monotonic() - self.start
        text += (f" {human_size(self.done / max(seconds, 1e-6))}/s" if self.unit == "bytes" else f" {seconds:.0f}s")
        end = "\n" if final or not self.tty else ""
        self.stream.write(("\r" if self.tty else "") + f"{self.label}: {text} " + end)
        self.stream.flush()
