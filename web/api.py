"""The web app: a FastAPI application over the SavedModels of web.models, and the static page.

Routes (JSON in, JSON out; every error is {"error": "what was wrong"} with HTTP 400, 404 or 413):
  GET  /                      the page (web/static/)
  GET  /api/info              which models are loaded, their alphabets and styles, the limits
  POST /api/sketch/sample     {num_samples, temperature, seed?, model?} -> {"drawings": [stroke-3, ...]}
  POST /api/sketch/complete   {strokes, num_samples, temperature, seed?, model?} -> {"drawings"} (continuations)
  POST /api/sketch/reconstruct {strokes, temperature, seed?, model?} -> {"drawings": [one]}
  POST /api/sketch/interpolate {a, b, steps, temperature, seed?, model?} -> {"drawings": [steps]}
  POST /api/handwriting/write {text, style?, custom_style?, bias, seed?} -> {"lines": [...], "svg"}
  POST /api/text/generate     {prompt, steps, temperature, seed?} -> {"text"}
Drawings from the page ("strokes", "a", "b") are lists of strokes, each a list of absolute [x, y]
canvas points; drawings returned are stroke-3 rows [dx, dy, pen_lifted] in the model's data units;
handwriting lines are IAM offsets [dx, dy, end_of_stroke] (y up).

Nothing in a request reaches the file system: sketch models and styles are picked by name from those
loaded at start ("model" names one of /api/info's sketch models; default the first).
"""
import functools
import json
import math
import os
import typing
from collections.abc import Sequence

import numpy as np
import pydantic
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from data_utils import svg
from data_utils.handwriting_style import style_from_polylines
from data_utils.latent import slerp
from web.batching import Batcher

if typing.TYPE_CHECKING:
    from web.models import HandwritingModel, SketchModel, TextModel

STATIC_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")

LIMITS = {
    "max_body_bytes": 1_000_000,   # larger requests get HTTP 413
    "max_samples": 16,             # drawings per request
    "max_points": 5_000,           # points of one drawing from the canvas
    "max_strokes": 300,
    "max_text_chars": 300,         # handwriting text
    "max_lines": 8,
    "line_chars": 60,              # handwriting lines are wrapped at this width
    "max_prompt_chars": 1_000,     # char-RNN prompt
    "max_steps": 2_000,            # char-RNN characters per request
    "max_interpolation_steps": 12,
    "temperature": [0.01, 2.0],
    "bias": [0.0, 10.0],
}


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


# ----- request bodies ------------------------------------------------------------------------------
Temperature = typing.Annotated[float, pydantic.Field(ge=LIMITS["temperature"][0], le=LIMITS["temperature"][1])]
Seed = typing.Annotated[int, pydantic.Field(ge=0, lt=2 ** 31)]
Samples = typing.Annotated[int, pydantic.Field(ge=1, le=LIMITS["max_samples"])]
Drawing = list[list[list[float]]]
ModelName = typing.Annotated[str, pydantic.Field(max_length=200)]


class _Body(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", protected_namespaces=())


_BodyT = typing.TypeVar("_BodyT", bound=pydantic.BaseModel)  # the request model read_body validates against


class SketchSample(_Body):
    num_samples: Samples = 4
    temperature: Temperature = 0.4
    seed: Seed | None = None
    model: ModelName | None = None


class SketchDrawing(_Body):
    strokes: Drawing
    num_samples: Samples = 4
    temperature: Temperature = 0.4
    seed: Seed | None = None
    model: ModelName | None = None


class SketchInterpolate(_Body):
    a: Drawing
    b: Drawing
    steps: typing.Annotated[int, pydantic.Field(ge=2, le=LIMITS["max_interpolation_steps"])] = 6
    temperature: Temperature = 0.2
    seed: Seed | None = None
    model: ModelName | None = None


class CustomStyle(_Body):
    strokes: Drawing
    text: typing.Annotated[str, pydantic.Field(min_length=1, max_length=200)]


class HandwritingWrite(_Body):
    text: typing.Annotated[str, pydantic.Field(min_length=1, max_length=LIMITS["max_text_chars"])]
    style: str | None = None
    custom_style: CustomStyle | None = None
    bias: typing.Annotated[float, pydantic.Field(ge=LIMITS["bias"][0], le=LIMITS["bias"][1])] = 1.0
    seed: Seed | None = None


class TextGenerate(_Body):
    prompt: typing.Annotated[str, pydantic.Field(min_length=1, max_length=LIMITS["max_prompt_chars"])]
    steps: typing.Annotated[int, pydantic.Field(ge=1, le=LIMITS["max_steps"])] = 300
    temperature: Temperature = 0.8
    seed: Seed | None = None


def _describe(error):
    """pydantic ValidationError -> one readable sentence."""
    parts = []
    for e in error.errors():
        where = ".".join(str(p) for p in e["loc"]) or "body"
        parts.append(f"{where}: {e['msg']}")
    return "Invalid request: " + "; ".join(parts) + "."


def _reject_constant(name):
    raise ValueError(f"{name} is not a number JSON allows")


async def read_body(request: Request, model: type[_BodyT]) -> _BodyT:
    """The request's JSON body, size-limited (413), parsed strictly (no NaN/Infinity) and
    validated against `model` (400 naming the field)."""
    size = 0
    chunks = []
    async for chunk in request.stream():
        size += len(chunk)
        if size > LIMITS["max_body_bytes"]:
            raise ApiError(413, f"The request is larger than {LIMITS['max_body_bytes']:,} bytes; send a smaller "
                                "drawing or less text.")
        chunks.append(chunk)
    try:
        payload = json.loads(b"".join(chunks) or b"null", parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as e:
        raise ApiError(400, f"The request body is not valid JSON ({e}).") from None
    if not isinstance(payload, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    try:
        return model.model_validate(payload)
    except pydantic.ValidationError as e:
        raise ApiError(400, _describe(e)) from None


def check_drawing(strokes: Drawing, name: str = "strokes") -> list[np.ndarray]:
    """A canvas drawing: at least one point, finite coordinates, within the size limits."""
    if not strokes or not any(len(s) for s in strokes):
        raise ApiError(400, f"{name}: the drawing is empty; draw something first.")
    if len(strokes) > LIMITS["max_strokes"]:
        raise ApiError(413, f"{name}: {len(strokes)} strokes; at most {LIMITS['max_strokes']} are allowed.")
    points = sum(len(s) for s in strokes)
    if points > LIMITS["max_points"]:
        raise ApiError(413, f"{name}: {points} points; at most {LIMITS['max_points']} are allowed.")
    for k, stroke in enumerate(strokes):
        for p in stroke:
            if len(p) != 2 or not all(math.isfinite(v) for v in p):
                raise ApiError(400, f"{name}: stroke {k} holds a point that is not two finite numbers ({p}).")
    return [np.asarray(s, np.float64).reshape(-1, 2) for s in strokes if len(s)]


def refuse_unknown(characters: Sequence[str], message: str, more: str = "") -> None:
    """HTTP 400 naming the characters a model does not know (before anything runs)."""
    if characters:
        raise ApiError(400, f"{message}: {' '.join(repr(c) for c in characters)}.{more}")


def _seed(seed):
    return int(np.random.default_rng().integers(1 << 30)) if seed is None else seed


def _rows(strokes, lengths):
    """Batched signature output -> list of stroke rows cut to their lengths (JSON-ready)."""
    return [np.round(s[:n], 3).tolist() for s, n in zip(np.asarray(strokes), np.asarray(lengths))]


def _split(rows, sizes):
    """One batched call's rows -> the consecutive parts of `sizes` rows, one per request."""
    bounds = np.cumsum([0, *sizes])
    return [rows[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


def wrap(text: str, width: int) -> list[str]:
    import textwrap
    lines = [line for paragraph in text.split("\n") for line in (textwrap.wrap(paragraph, width) or [])]
    if not lines:
        raise ApiError(400, "text: there is nothing to write.")
    if len(lines) > LIMITS["max_lines"]:
        raise ApiError(413, f"text: {len(lines)} lines after wrapping at {width} characters; at most "
                            f"{LIMITS['max_lines']} are allowed.")
    return lines


# ----- the batched calls -----------------------------------------------------------------------------
class Service:
    """The loaded models and one Batcher per model; `window` None turns batching off. sketches: the
    Sketch-RNN models of the page's picker, the first the default."""

    def __init__(self, sketches: "Sequence[SketchModel]" = (), handwriting: "HandwritingModel | None" = None,
                 text: "TextModel | None" = None, window: float | None = 0.005):
        import tensorflow as tf
        self.tf = tf
        self.sketches = {model.name: model for model in sketches}
        self.handwriting, self.text = handwriting, text
        self.decoders = {name: Batcher(functools.partial(self._run_decode, model), window, name=f"sketch-{name}")
                         for name, model in self.sketches.items()}
        self.write = Batcher(self._run_write, window, name="handwriting") if handwriting else None
        self.generate = Batcher(self._run_generate, window, name="text") if text else None

    def close(self) -> None:
        for batcher in (*self.decoders.values(), self.write, self.generate):
            if batcher is not None:
                batcher.close()

    def sketch(self, name: str | None = None) -> "SketchModel":
        """The sketch model called `name` (None: the default), else ApiError naming the loaded ones."""
        if not self.sketches:
            raise ApiError(404, "No sketch model is loaded; start serve.py with --sketch_run.")
        if name is None:
            return next(iter(self.sketches.values()))
        if name not in self.sketches:
            raise ApiError(400, f"Unknown sketch model {name!r}; the loaded ones are: {', '.join(self.sketches)}.")
        return self.sketches[name]

    # sketch: every mode ends in decode(z rows) of the SavedModel
    def _run_decode(self, model, items):
        tf = self.tf
        z = np.concatenate([item["z"] for item in items]).astype(np.float32)
        temperature = np.concatenate([np.full(len(item["z"]), item["temperature"]) for item in items])
        out = model.module.decode(z=tf.constant(z), temperature=tf.constant(temperature, tf.float32),
                                  seed=tf.constant([items[0]["seed"], 0], tf.int32))
        return _split(_rows(out["strokes"].numpy(), out["lengths"].numpy()), [len(item["z"]) for item in items])

    async def decode(self, model: "SketchModel", z: np.ndarray, temperature: float, seed: int) -> list:
        return await self.decoders[model.name].submit({"z": z, "temperature": temperature, "seed": seed},
                                                      rows=len(z))

    def encode(self, model: "SketchModel",
               drawings: Sequence[Sequence[np.ndarray]]) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
        tf = self.tf
        strokes = [model.canvas_to_strokes(d) for d in drawings]
        lengths = np.array([len(s) for s in strokes], np.int32)
        padded = np.zeros((len(strokes), lengths.max(), 3), np.float32)
        for i, s in enumerate(strokes):
            padded[i, :len(s)] = s
        out = model.module.encode(strokes=tf.constant(padded), lengths=tf.constant(lengths))
        return out["mu"].numpy(), out["sigma"].numpy(), strokes

    def complete(self, model: "SketchModel", drawing: Sequence[np.ndarray], num_samples: int, temperature: float,
                 seed: int) -> tuple[np.ndarray, list[list[list[float]]]]:
        tf = self.tf
        start = model.canvas_to_strokes(drawing)
        out = model.module.complete(strokes=tf.constant(start), num_samples=tf.constant(num_samples),
                                    temperature=tf.constant(temperature, tf.float32),
                                    seed=tf.constant([seed, 0], tf.int32))
        return start, _rows(out["strokes"].numpy(), out["lengths"].numpy())

    # handwriting: texts written in one style share a call
    def _run_write(self, items):
        tf = self.tf
        texts = [line for item in items for line in item["lines"]]
        bias = np.concatenate([np.full(len(item["lines"]), item["bias"]) for item in items]).astype(np.float32)
        style = items[0]["style"]
        strokes = style.strokes if style is not None else np.zeros((0, 3), np.float32)
        out = self.handwriting.module.synthesize(
            text=tf.constant(texts), bias=tf.constant(bias), seed=tf.constant([items[0]["seed"], 0], tf.int32),
            style_strokes=tf.constant(strokes, tf.float32), style_text=tf.constant(style.text if style else ""))
        return _split(_rows(out["strokes"].numpy(), out["lengths"].numpy()), [len(item["lines"]) for item in items])

    # text: prompts of any length share a call; each result is cut to its own length
    def _run_generate(self, items):
        tf = self.tf
        steps = max(item["steps"] for item in items)
        out = self.text.module.generate(
            prime=tf.constant([item["prompt"] for item in items]), steps=tf.constant(steps),
            temperature=tf.constant([item["temperature"] for item in items], tf.float32),
            top_k=tf.constant(0), seed=tf.constant(items[0]["seed"]))
        texts = [t.decode("utf-8") for t in out["text"].numpy()]
        return [t[:len(item["prompt"]) + item["steps"]] for t, item in zip(texts, items)]


def create_app(service: Service) -> FastAPI:
    """The FastAPI application serving `service` (a Service) and the static page."""
    app = FastAPI(title="RNN sequence generators", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.service = service
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.exception_handler(ApiError)
    async def api_error(request, error):
        return JSONResponse({"error": error.message}, status_code=error.status)

    @app.exception_handler(Exception)
    async def unexpected(request, error):
        invalid = getattr(service.tf.errors, "InvalidArgumentError", ())
        if isinstance(error, invalid):  # a SavedModel signature refused an input: say which
            message = error.message.split("assertion failed:")[-1].split("\n")[0].strip()
            return JSONResponse({"error": f"The model refused the input: {message}"}, status_code=400)
        return JSONResponse({"error": f"Internal error ({type(error).__name__}); the server keeps running."},
                            status_code=500)

    def need(model, name, flag):
        if model is None:
            raise ApiError(404, f"No {name} model is loaded; start serve.py with {flag}.")
        return model

    @app.get("/")
    async def index():
        return FileResponse(os.path.join(STATIC_DIR, "index.html"))

    @app.get("/api/info")
    async def info():
        h, t = service.handwriting, service.text
        models = [{"name": m.name, "conditional": m.conditional, "path": m.path} for m in service.sketches.values()]
        return {
            "limits": LIMITS,
            "sketch": models and {**models[0], "models": models},
            "handwriting": h and {"alphabet": h.alphabet, "styles": sorted(h.styles), "path": h.path},
            "text": t and {"characters": "".join(t.chars), "path": t.path},
        }

    @app.post("/api/sketch/sample")
    async def sketch_sample(request: Request):
        body = await read_body(request, SketchSample)
        sketch = service.sketch(body.model)
        seed = _seed(body.seed)
        z = np.random.default_rng(seed).standard_normal((body.num_samples, sketch.z_size))
        drawings = await service.decode(sketch, z, body.temperature, seed)
        return {"drawings": drawings, "seed": seed}

    @app.post("/api/sketch/complete")
    async def sketch_complete(request: Request):
        body = await read_body(request, SketchDrawing)
        sketch = service.sketch(body.model)
        drawing = check_drawing(body.strokes)
        start, endings = service.complete(sketch, drawing, body.num_samples, body.temperature, _seed(body.seed))
        return {"start": np.round(start, 3).tolist(), "drawings": endings}

    def conditional_sketch(name):
        sketch = service.sketch(name)
        if not sketch.conditional:
            raise ApiError(400, f"The sketch model {sketch.name!r} is unconditional (no encoder): it cannot "
                                "reconstruct or interpolate drawings; pick a conditional one for that.")
        return sketch

    @app.post("/api/sketch/reconstruct")
    async def sketch_reconstruct(request: Request):
        body = await read_body(request, SketchDrawing)
        sketch = conditional_sketch(body.model)
        mu, sigma, strokes = service.encode(sketch, [check_drawing(body.strokes)])
        seed = _seed(body.seed)
        z = mu + sigma * np.random.default_rng(seed).standard_normal((body.num_samples, mu.shape[1]))
        drawings = await service.decode(sketch, z, body.temperature, seed)
        return {"input": np.round(strokes[0], 3).tolist(), "drawings": drawings}

    @app.post("/api/sketch/interpolate")
    async def sketch_interpolate(request: Request):
        body = await read_body(request, SketchInterpolate)
        sketch = conditional_sketch(body.model)
        mu, _, _ = service.encode(sketch, [check_drawing(body.a, "a"), check_drawing(body.b, "b")])
        z = np.stack([slerp(mu[0], mu[1], t) for t in np.linspace(0.0, 1.0, body.steps)])
        drawings = await service.decode(sketch, z, body.temperature, _seed(body.seed))
        return {"drawings": drawings}

    @app.post("/api/handwriting/write")
    async def handwriting_write(request: Request):
        body = await read_body(request, HandwritingWrite)
        model = need(service.handwriting, "handwriting", "--handwriting_run")
        refuse_unknown(model.unknown_characters(body.text), "The model cannot write these characters",
                       f" It knows: {model.alphabet}")
        lines = wrap(body.text, LIMITS["line_chars"])
        style, key = None, None
        if body.custom_style is not None:
            refuse_unknown(model.unknown_characters(body.custom_style.text),
                           "Your style's text holds characters the model does not know")
            try:
                style = style_from_polylines(check_drawing(body.custom_style.strokes, "custom_style.strokes"),
                                             body.custom_style.text)
            except ValueError as e:
                raise ApiError(400, f"custom_style: {e}") from None
            key = id(style)  # a style of its own: no other request shares it
        elif body.style:
            if body.style not in model.styles:
                raise ApiError(400, f"Unknown style {body.style!r}; the styles are: {', '.join(sorted(model.styles))}.")
            style, key = model.styles[body.style], body.style
        rows = await service.write.submit({"lines": lines, "bias": body.bias, "seed": _seed(body.seed),
                                           "style": style}, rows=len(lines), key=key)
        page = svg.handwriting_page([np.asarray(r, np.float32).reshape(-1, 3) for r in rows])
        return {"lines": rows, "text_lines": lines, "svg": page.tostring()}

    @app.post("/api/text/generate")
    async def text_generate(request: Request):
        body = await read_body(request, TextGenerate)
        model = need(service.text, "text", "--char_run")
        refuse_unknown(model.unknown_characters(body.prompt), "The prompt holds characters the model does not know")
        text = await service.generate.submit({"prompt": body.prompt, "steps": body.steps,
                                              "temperature": body.temperature, "seed": _seed(body.seed)})
        return {"text": text}

    @app.on_event("shutdown")
    async def shutdown():
        service.close()

    return app
