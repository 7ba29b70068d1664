"""Character vocabularies shared by the handwriting synthesis network and the char-RNN.

A Vocabulary maps characters to integer ids (0..size-1) and back; unknown characters are an
error that names them, never a silent substitution.
"""
import json
import os
from collections.abc import Iterable

import numpy as np

from fileio.files import atomic_open


class UnknownCharacterError(ValueError):
    """Raised when a text holds characters outside the vocabulary."""

    def __init__(self, unknown: Iterable[str], vocabulary: "Vocabulary"):
        self.unknown = sorted(set(unknown))
        shown = ", ".join(repr(c) for c in self.unknown)
        known = "".join(vocabulary.chars)
        super().__init__(
            f"Characters not in the model's alphabet: {shown}. "
            f"Remove or replace them; the alphabet is: {known!r}"
        )


class Vocabulary:
    def __init__(self, chars: Iterable[str]):
        chars = list(chars)
        if len(set(chars)) != len(chars):
            raise ValueError("Vocabulary characters must be unique.")
        if not chars:
            raise ValueError("A vocabulary needs at least one character; the text was empty.")
        self.chars = chars
        self.index = {c: i for i, c in enumerate(chars)}

    @classmethod
    def from_text(cls, text: str | Iterable[str]) -> "Vocabulary":
        """The sorted set of characters of `text` (a str or an iterable of str)."""
        if isinstance(text, str):
            text = [text]
        seen = set()
        for piece in text:
            seen.update(piece)
        return cls(sorted(seen))

    def __len__(self):
        return len(self.chars)

    def __eq__(self, other):
        return isinstance(other, Vocabulary) and self.chars == other.chars

    def unknown_characters(self, text: Iterable[str]) -> list[str]:
        return sorted(set(text) - set(self.index))

    def encode(self, text: str) -> np.ndarray:
        """str -> int32 ids [len(text)]; raises UnknownCharacterError naming unknown characters."""
        unknown = self.unknown_characters(text)
        if unknown:
            raise UnknownCharacterError(unknown, self)
        return np.array([self.index[c] for c in text], dtype=np.int32)

    def decode(self, ids: Iterable[int] | np.ndarray) -> str:
        return "".join(self.chars[int(i)] for i in ids)

    def save(self, path: str | os.PathLike) -> None:
        with atomic_open(path) as f:
            json.dump({"chars": self.chars}, f, ensure_ascii=False)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Vocabulary":
        if not os.path.exists(path):
            raise FileNotFoundError(f"No vocabulary file at {path}; the run directory is incomplete.")
        with open(path, encoding="utf-8") as f:
            return cls(json.load(f)["chars"])
