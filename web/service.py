"""The model calls of the web app: one worker thread per loaded model (web.batching.Batcher), every
call of a model on it, so the event loop never runs a model and no two calls of one model overlap.
Requests for one model that arrive within a few milliseconds share one batched call where the
signature allows (sketch decode, handwriting lines of one style, text generation); encode and
complete run alone on the same worker. Every call has a deadline: a result that would come later is
an error (HTTP 503) instead of a request that hangs.

Nothing here knows HTTP; web.api turns requests into these calls and errors into answers.
"""
import asyncio
import functools
from collections.abc import Sequence

import numpy as np

from web.batching import Batcher
from web.models import HandwritingModel, SketchModel, TextModel

DEADLINE_S = 30.0  # the longest a request may wait for its model


class ServiceError(Exception):
    """A request the models cannot serve: status is the HTTP status web.api answers with."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def rows(strokes, lengths) -> list:
    """Batched signature output -> list of stroke rows cut to their lengths (JSON-ready)."""
    return [np.round(s[:n], 3).tolist() for s, n in zip(np.asarray(strokes), np.asarray(lengths))]


def split(results, sizes):
    """One batched call's rows -> the consecutive parts of `sizes` rows, one per request."""
    bounds = np.cumsum([0, *sizes])
    return [results[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


def window_text(text: str, window_char) -> str:
    """The characters of `text` the window's peak sat on (index per step from the synthesize
    signature's window_char), each once, in the order first reached; a character the window jumped
    over is missing, so the trace equals the text exactly when every character was written in order."""
    seen, out = -1, []
    for index in np.asarray(window_char):
        if seen < index < len(text):
            out.append(text[index])
            seen = int(index)
    return "".join(out)


class Service:
    """The loaded models and one Batcher (worker thread) per model; `window` None turns batching off.
    sketches: the Sketch-RNN models of the page's picker, the first the default."""

    def __init__(self, sketches: Sequence[SketchModel] = (), handwriting: HandwritingModel | None = None,
                 text: TextModel | None = None, window: float | None = 0.005, deadline: float = DEADLINE_S):
        import tensorflow as tf
        self.tf = tf
        self.deadline = deadline
        self.sketches = {model.name: model for model in sketches}
        self.handwriting, self.text = handwriting, text
        self.decoders = {name: Batcher(functools.partial(self._run_decode, model), window, name=f"sketch-{name}")
                         for name, model in self.sketches.items()}
        self.writer = Batcher(self._run_write, window, name="handwriting") if handwriting else None
        self.generator = Batcher(self._run_generate, window, name="text") if text else None

    def close(self) -> None:
        for batcher in (*self.decoders.values(), self.writer, self.generator):
            if batcher is not None:
                batcher.close()

    async def _within_deadline(self, work):
        try:
            return await asyncio.wait_for(work, self.deadline)
        except asyncio.TimeoutError:
            raise ServiceError(503, f"The model did not answer within {self.deadline:.0f} s (the server is busy); "
                                    "try again, or ask for less.") from None

    # ----- sketch ----------------------------------------------------------------------------------
    def sketch(self, name: str | None = None) -> SketchModel:
        """The sketch model called `name` (None: the default), else ServiceError naming the loaded ones."""
        if not self.sketches:
            raise ServiceError(404, "No sketch model is loaded; start serve.py with --sketch_run.")
        if name is None:
            return next(iter(self.sketches.values()))
        if name not in self.sketches:
            raise ServiceError(400, f"Unknown sketch model {name!r}; the loaded ones are: "
                                    f"{', '.join(self.sketches)}.")
        return self.sketches[name]

    def _run_decode(self, model, items):
        tf = self.tf
        z = np.concatenate([item["z"] for item in items]).astype(np.float32)
        temperature = np.concatenate([np.full(len(item["z"]), item["temperature"]) for item in items])
        out = model.module.decode(z=tf.constant(z), temperature=tf.constant(temperature, tf.float32),
                                  seed=tf.constant([items[0]["seed"], 0], tf.int32))
        return split(rows(out["strokes"].numpy(), out["lengths"].numpy()), [len(item["z"]) for item in items])

    async def decode(self, model: SketchModel, z: np.ndarray, temperature: float, seed: int) -> list:
        """Drawings decoded from the rows of z (batched with other requests for the same model)."""
        work = self.decoders[model.name].submit({"z": z, "temperature": temperature, "seed": seed}, rows=len(z))
        return await self._within_deadline(work)

    def _encode(self, model, strokes):
        tf = self.tf
        lengths = np.array([len(s) for s in strokes], np.int32)
        padded = np.zeros((len(strokes), lengths.max(), 3), np.float32)
        for i, s in enumerate(strokes):
            padded[i, :len(s)] = s
        out = model.module.encode(strokes=tf.constant(padded), lengths=tf.constant(lengths))
        return out["mu"].numpy(), out["sigma"].numpy()

    async def encode(self, model: SketchModel, strokes: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """(mu, sigma) of stroke-3 drawings in the model's units."""
        return await self._within_deadline(self.decoders[model.name].call(self._encode, model, strokes))

    def _complete(self, model, start, num_samples, temperature, seed):
        tf = self.tf
        out = model.module.complete(strokes=tf.constant(start), num_samples=tf.constant(num_samples),
                                    temperature=tf.constant(temperature, tf.float32),
                                    seed=tf.constant([seed, 0], tf.int32))
        return rows(out["strokes"].numpy(), out["lengths"].numpy())

    async def complete(self, model: SketchModel, start: np.ndarray, num_samples: int, temperature: float,
                       seed: int) -> list:
        """num_samples continuations of the stroke-3 drawing `start` (model units)."""
        work = self.decoders[model.name].call(self._complete, model, start, num_samples, temperature, seed)
        return await self._within_deadline(work)

    # ----- handwriting: texts written in one style share a call --------------------------------------------
    def _run_write(self, items):
        tf = self.tf
        texts = [line for item in items for line in item["lines"]]
        bias = np.concatenate([np.full(len(item["lines"]), item["bias"]) for item in items]).astype(np.float32)
        style = items[0]["style"]
        strokes = style.strokes if style is not None else np.zeros((0, 3), np.float32)
        out = self.handwriting.module.synthesize(
            text=tf.constant(texts), bias=tf.constant(bias), seed=tf.constant([items[0]["seed"], 0], tf.int32),
            style_strokes=tf.constant(strokes, tf.float32), style_text=tf.constant(style.text if style else ""))
        lengths = out["lengths"].numpy()
        lines = rows(out["strokes"].numpy(), lengths)
        windows = [window_text(text, w[:n]) for text, w, n in zip(texts, out["window_char"].numpy(), lengths)]
        sizes = [len(item["lines"]) for item in items]
        return [list(zip(a, b)) for a, b in zip(split(lines, sizes), split(windows, sizes))]

    async def write(self, lines: list[str], bias: float, seed: int, style, key) -> list:
        """One (handwritten line as IAM offsets, window trace) per text line, in `style` (None:
        unprimed). The window trace is the text's characters in the order the attention window
        reached them (web.service.window_text)."""
        work = self.writer.submit({"lines": lines, "bias": bias, "seed": seed, "style": style}, rows=len(lines),
                                  key=key)
        return await self._within_deadline(work)

    # ----- text: prompts of any length share a call; each result is cut to its own length -------------------
    def _run_generate(self, items):
        tf = self.tf
        steps = max(item["steps"] for item in items)
        out = self.text.module.generate(
            prime=tf.constant([item["prompt"] for item in items]), steps=tf.constant(steps),
            temperature=tf.constant([item["temperature"] for item in items], tf.float32),
            top_k=tf.constant(0), seed=tf.constant(items[0]["seed"]))
        texts = [t.decode("utf-8") for t in out["text"].numpy()]
        return [t[:len(item["prompt"]) + item["steps"]] for t, item in zip(texts, items)]

    async def generate(self, prompt: str, steps: int, temperature: float, seed: int) -> str:
        work = self.generator.submit({"prompt": prompt, "steps": steps, "temperature": temperature, "seed": seed})
        return await self._within_deadline(work)
