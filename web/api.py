"""The web app's routes: a FastAPI application over web.service (the model calls), and the static page.

Routes (JSON in, JSON out; every error, 404 and 405 included, is {"error": "what was wrong"} with
HTTP 400, 404, 405, 413, 500 or 503, answered without closing the connection):
  GET  /                      the page (web/static/)
  GET  /api/info              which models are loaded, their alphabets and styles, the limits
  POST /api/sketch/sample     {num_samples, temperature, seed?, model?} -> {"drawings": [stroke-3, ...]}
  POST /api/sketch/complete   {strokes, num_samples, temperature, seed?, model?} -> {"drawings"} (continuations)
  POST /api/sketch/reconstruct {strokes, temperature, seed?, model?} -> {"drawings": [one]}
  POST /api/sketch/interpolate {a, b, steps, temperature, seed?, model?} -> {"drawings": [steps]}
  POST /api/handwriting/write {text, style?, custom_style?, bias, seed?} -> {"lines": [...], "windows", "svg"}
  GET  /api/handwriting/styles {name: {"text", "strokes"}} of the loaded styles (the page's previews)
  POST /api/text/generate     {prompt, steps, temperature, seed?} -> {"text"}
Drawings from the page ("strokes", "a", "b") are lists of strokes, each a list of absolute [x, y]
canvas points; drawings returned are stroke-3 rows [dx, dy, pen_lifted] in the model's data units;
handwriting lines are IAM offsets [dx, dy, end_of_stroke] (y up).

Nothing in a request reaches the file system: sketch models and styles are picked by name from those
loaded at start ("model" names one of /api/info's sketch models; default the first).
"""
import contextlib
import json
import logging
import math
import os
import typing
from collections.abc import Sequence

import numpy as np
import pydantic
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from data_utils import svg
from data_utils.handwriting_style import style_from_polylines
from data_utils.latent import slerp
from web.service import Service, ServiceError

log = logging.getLogger("rnngen.web")

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
    "max_coordinate": 1_000_000,   # |x|, |y| of a canvas point
    "max_json_depth": 400,         # nesting of the request body
}


class ApiError(ServiceError):
    """A request refused before any model runs (the status and message are the answer)."""


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
    too_deep = ApiError(400, f"The request body is nested deeper than {LIMITS['max_json_depth']} levels.")
    try:
        payload = json.loads(b"".join(chunks) or b"null", parse_constant=_reject_constant)
    except RecursionError:
        raise too_deep from None
    except (ValueError, UnicodeDecodeError) as e:
        raise ApiError(400, f"The request body is not valid JSON ({e}).") from None
    if not isinstance(payload, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    if _depth(payload) > LIMITS["max_json_depth"]:
        raise too_deep
    try:
        return model.model_validate(payload)
    except pydantic.ValidationError as e:
        raise ApiError(400, _describe(e)) from None


def _depth(value) -> int:
    """Nesting depth of a parsed JSON value (iterative: a deep value cannot exhaust the stack)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > LIMITS["max_json_depth"]:
            break
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def check_drawing(strokes: Drawing, name: str = "strokes") -> list[np.ndarray]:
    """A canvas drawing: at least one point, finite coordinates within +-max_coordinate, within the
    size limits."""
    if not strokes or not any(len(s) for s in strokes):
        raise ApiError(400, f"{name}: the drawing is empty; draw something first.")
    if len(strokes) > LIMITS["max_strokes"]:
        raise ApiError(413, f"{name}: {len(strokes)} strokes; at most {LIMITS['max_strokes']} are allowed.")
    points = sum(len(s) for s in strokes)
    if points > LIMITS["max_points"]:
        raise ApiError(413, f"{name}: {points} points; at most {LIMITS['max_points']} are allowed.")
    bound = LIMITS["max_coordinate"]
    for k, stroke in enumerate(strokes):
        for p in stroke:
            if len(p) != 2 or not all(math.isfinite(v) for v in p):
                raise ApiError(400, f"{name}: stroke {k} holds a point that is not two finite numbers ({p}).")
            if any(abs(v) > bound for v in p):
                raise ApiError(400, f"{name}: stroke {k} holds the point {p}, beyond +-{bound:,} (canvas pixels "
                                    "are expected).")
    return [np.asarray(s, np.float64).reshape(-1, 2) for s in strokes if len(s)]


def refuse_unknown(characters: Sequence[str], message: str, more: str = "") -> None:
    """HTTP 400 naming the characters a model does not know (before anything runs)."""
    if characters:
        raise ApiError(400, f"{message}: {' '.join(repr(c) for c in characters)}.{more}")


def _seed(seed):
    return int(np.random.default_rng().integers(1 << 30)) if seed is None else seed


def wrap(text: str, width: int) -> list[str]:
    import textwrap
    lines = [line for paragraph in text.split("\n") for line in (textwrap.wrap(paragraph, width) or [])]
    if not lines:
        raise ApiError(400, "text: there is nothing to write.")
    if len(lines) > LIMITS["max_lines"]:
        raise ApiError(413, f"text: {len(lines)} lines after wrapping at {width} characters; at most "
                            f"{LIMITS['max_lines']} are allowed.")
    return lines


def create_app(service: Service) -> FastAPI:
    """The FastAPI application serving `service` (a web.service.Service) and the static page. Every
    error path answers {"error": ...} as JSON without closing the connection; only errors of our own
    (not the user's) are logged with a traceback."""

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        service.close()

    app = FastAPI(title="RNN sequence generators", docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=lifespan)
    app.state.service = service
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.exception_handler(ServiceError)
    async def refused(request, error):
        return JSONResponse({"error": error.message}, status_code=error.status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request, error):  # 404 no such route, 405 wrong method
        return JSONResponse({"error": f"{error.detail}: {request.method} {request.url.path}"},
                            status_code=error.status_code, headers=getattr(error, "headers", None))

    invalid = getattr(service.tf.errors, "InvalidArgumentError", None)
    if invalid is not None:
        @app.exception_handler(invalid)
        async def model_refused(request, error):  # a SavedModel signature refused an input: say which
            message = error.message.split("assertion failed:")[-1].split("\n")[0].strip()
            return JSONResponse({"error": f"The model refused the input: {message}"}, status_code=400)

    @app.middleware("http")
    async def unexpected(request, call_next):
        """Anything else is a bug of ours: logged once, answered as JSON, the connection kept."""
        try:
            return await call_next(request)
        except Exception as error:  # noqa: BLE001 (the last line of defence)
            log.exception("internal error on %s %s", request.method, request.url.path)
            return JSONResponse({"error": f"Internal error ({type(error).__name__}); the server keeps running."},
                                status_code=500)

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
        return {"drawings": await service.decode(sketch, z, body.temperature, seed), "seed": seed}

    @app.post("/api/sketch/complete")
    async def sketch_complete(request: Request):
        body = await read_body(request, SketchDrawing)
        sketch = service.sketch(body.model)
        start = sketch.canvas_to_strokes(check_drawing(body.strokes))
        endings = await service.complete(sketch, start, body.num_samples, body.temperature, _seed(body.seed))
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
        strokes = sketch.canvas_to_strokes(check_drawing(body.strokes))
        mu, sigma = await service.encode(sketch, [strokes])
        seed = _seed(body.seed)
        z = mu + sigma * np.random.default_rng(seed).standard_normal((body.num_samples, mu.shape[1]))
        drawings = await service.decode(sketch, z, body.temperature, seed)
        return {"input": np.round(strokes, 3).tolist(), "drawings": drawings}

    @app.post("/api/sketch/interpolate")
    async def sketch_interpolate(request: Request):
        body = await read_body(request, SketchInterpolate)
        sketch = conditional_sketch(body.model)
        ends = [sketch.canvas_to_strokes(check_drawing(drawing, name))
                for drawing, name in ((body.a, "a"), (body.b, "b"))]
        mu, _ = await service.encode(sketch, ends)
        z = np.stack([slerp(mu[0], mu[1], t) for t in np.linspace(0.0, 1.0, body.steps)])
        return {"drawings": await service.decode(sketch, z, body.temperature, _seed(body.seed))}

    @app.post("/api/handwriting/write")
    async def handwriting_write(request: Request):
        body = await read_body(request, HandwritingWrite)
        model = service.handwriting
        if model is None:
            raise ApiError(404, "No handwriting model is loaded; start serve.py with --handwriting_run.")
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
        written = await service.write(lines, body.bias, _seed(body.seed), style, key)
        page = svg.handwriting_page([np.asarray(r, np.float32).reshape(-1, 3) for r, _ in written])
        return {"lines": [r for r, _ in written], "text_lines": lines, "windows": [w for _, w in written],
                "svg": page.tostring()}

    @app.get("/api/handwriting/styles")
    async def handwriting_styles():
        """Each shipped style's own line (IAM offsets) and text, for the page's preview."""
        model = service.handwriting
        if model is None:
            raise ApiError(404, "No handwriting model is loaded; start serve.py with --handwriting_run.")
        return {name: {"text": style.text, "strokes": np.round(style.strokes, 2).tolist()}
                for name, style in sorted(model.styles.items())}

    @app.post("/api/text/generate")
    async def text_generate(request: Request):
        body = await read_body(request, TextGenerate)
        if service.text is None:
            raise ApiError(404, "No text model is loaded; start serve.py with --char_run.")
        refuse_unknown(service.text.unknown_characters(body.prompt),
                       "The prompt holds characters the model does not know")
        return {"text": await service.generate(body.prompt, body.steps, body.temperature, _seed(body.seed))}

    return app
